import type { UptakeError } from './types.js';

/** Where an instance tells about its problems: the `onError` listeners (and the console with `debug`). */
export type Reporter = {
  report(error: UptakeError): void;
  /** Wraps `fn` so that it never throws: an exception is reported as `exception`. */
  guard<A extends unknown[], R>(fn: (...args: A) => R): (...args: A) => R | undefined;
  addListener(listener: (error: UptakeError) => void): void;
};

export const createReporter = (debug: boolean | undefined): Reporter => {
  const listeners: Array<(error: UptakeError) => void> = [];
  const report = (error: UptakeError): void => {
    if (debug) console.warn('[uptake]', error.code, error);
    for (const listener of listeners) {
      try {
        listener(error);
      } catch {
        // a listener's bug is not ours to throw
      }
    }
  };
  return {
    report,
    guard:
      (fn) =>
      (...args) => {
        try {
          return fn(...args);
        } catch (error) {
          report({ code: 'exception', error });
        }
      },
    addListener: (listener) => void listeners.push(listener),
  };
};
