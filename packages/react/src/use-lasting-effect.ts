import { useEffect, useRef } from 'react';

type Running = { key: string; stop: () => void; stopping?: ReturnType<typeof setTimeout> };

/**
 * `useEffect` for work that must happen once per mount and `key`: making the SDK instance, asking
 * the service for a widget. StrictMode (in development) unmounts and mounts every component again
 * at once; a plain effect would stop and start its work again (two instances, two page views, a
 * widget asked for twice). Here the stop is put off to the next task, and a mount with the same
 * `key` right after cancels it, so the work goes on. A real unmount stops it; a new `key` stops the
 * old work and starts anew.
 */
export const useLastingEffect = (start: () => () => void, key: string): void => {
  const running = useRef<Running | null>(null);
  useEffect(() => {
    const current = running.current;
    if (current && current.key === key && current.stopping !== undefined) {
      clearTimeout(current.stopping);
      current.stopping = undefined;
    } else {
      if (current) {
        clearTimeout(current.stopping);
        current.stop();
      }
      running.current = { key, stop: start() };
    }
    return () => {
      const started = running.current;
      if (!started) return;
      started.stopping = setTimeout(() => {
        if (running.current === started) running.current = null;
        started.stop();
      }, 0);
    };
  }, [key]);
};
