/**
 * Runs at most `concurrency` of the given tasks at once, the others in the order they came —
 * urgent ones (a reader waits) before the others (background refreshes).
 *
 * @example
 * const limit = createLimit(2);
 * await Promise.all(days.map((day) => limit(() => computeDay(day), true)));
 */
export function createLimit(concurrency: number) {
  let running = 0;
  const waiting: Array<() => void> = [];
  let urgentWaiting = 0;
  return async <T>(task: () => Promise<T>, urgent: boolean): Promise<T> => {
    if (running >= concurrency) {
      await new Promise<void>((resolve) => {
        if (urgent) waiting.splice(urgentWaiting++, 0, () => (urgentWaiting--, resolve()));
        else waiting.push(resolve);
      });
    }
    running++;
    try {
      return await task();
    } finally {
      running--;
      waiting.shift()?.();
    }
  };
}
