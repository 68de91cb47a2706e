// Lumen Reports in React: one <UptakeProvider> at the root, hooks where events happen, and the
// NPS prompt and progress card as components (their code is downloaded only when they render).
import { UptakeProvider } from '@uptake/react';
import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { App } from './app.tsx';
import { readCurrentUser } from './current-user.ts';
import { BrowserRouter } from './router.tsx';
import './app.css';

const user = readCurrentUser();
// Keep this user on reload (the service picks a demo user when the URL names none).
if (!/[?&]user=/.test(location.search)) history.replaceState(null, '', `?user=${encodeURIComponent(user.id)}`);

createRoot(document.getElementById('root')!).render(
  <StrictMode>
    <UptakeProvider writeKey={user.writeKey} host={user.host}>
      <BrowserRouter>
        <App user={user} />
      </BrowserRouter>
    </UptakeProvider>
  </StrictMode>,
);
