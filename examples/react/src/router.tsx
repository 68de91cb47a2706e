// A client-side router in a few lines (your app has React Router or another): the location in
// state, `history.pushState` on a link click, `popstate` for back and forward.
import { createContext, useContext, useEffect, useState, type MouseEvent, type ReactNode } from 'react';

export type Location = { pathname: string; search: string };
type Router = { location: Location; navigate(to: string): void };

const RouterContext = createContext<Router | null>(null);
const here = (): Location => ({ pathname: window.location.pathname, search: window.location.search });

export function BrowserRouter({ children }: { children: ReactNode }) {
  const [location, setLocation] = useState(here);
  useEffect(() => {
    const onPopState = () => setLocation(here());
    window.addEventListener('popstate', onPopState);
    return () => window.removeEventListener('popstate', onPopState);
  }, []);
  const navigate = (to: string) => {
    history.pushState(null, '', to);
    setLocation(here());
  };
  return <RouterContext.Provider value={{ location, navigate }}>{children}</RouterContext.Provider>;
}

export const useRouter = (): Router => useContext(RouterContext)!;

/** A link that navigates in the page (keeping the query, which names the demo user). */
export function Link({ to, children }: { to: string; children: ReactNode }) {
  const { location, navigate } = useRouter();
  const href = to + location.search;
  const onClick = (event: MouseEvent) => {
    if (event.metaKey || event.ctrlKey || event.shiftKey || event.button !== 0) return;
    event.preventDefault();
    navigate(href);
  };
  return (
    <a href={href} onClick={onClick} aria-current={location.pathname === to ? 'page' : undefined}>
      {children}
    </a>
  );
}
