/**
 * Runs at most `concurrency` of the given tasks at once; the others wait, urgent ones (a reader
 * waits) before the others (background refreshes), and among those the cheapest first (`cost`:
 * how long the task took last time), so a quick refresh never waits behind a slow one.
 *
 * @example
 * const limit = createLimit(2);
 * await Promise.all(days.map((day) => limit(() => computeDay(day), true)));
 */
export function createLimit(concurrency: number) {
  let running = 0;
  // Urgent ones first, in the order they came; then the others by cost, equal costs in order.
  const waiting: Array<{ urgent: boolean; cost: number; start: () => void }> = [];
  return async <T>(task: () => Promise<T>, urgent: boolean, cost = 0): Promise<T> => {
    if (running >= concurrency) {
      await new Promise<void>((start) => {
        const after = waiting.findIndex((other) => (urgent ? !other.urgent : !other.urgent && other.cost > cost));
        waiting.splice(after === -1 ? waiting.length : after, 0, { urgent, cost, start });
      });
    }
    running++;
    try {
      return await task();
    } finally {
      running--;
      waiting.shift()?.start();
    }
  };
}
