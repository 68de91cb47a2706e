import { addDays } from '../domain/days.ts';
import type { FigureCache } from './figure-cache.ts';

/** Whether changes naming `changedDays` named only `day` or later ones (what a window figure ending at `day` reads again alone). */
export const changesFrom = (day: string) => (changedDays: readonly string[]) => changedDays.every((changed) => changed >= day);

/**
 * A cached figure over a window of days ending at `window.to` (its asOf), made from two parts: the
 * window's days before its last, kept inside the cached figure and used again while the changes
 * since named only the last day or later ones (events of today, the usual case); and the last
 * day, read on every computation. After an event of today a score table or the features used read
 * one day, not thirty. A change naming an earlier day, or every day (a link, a join, a rebuild),
 * reads the days before again. `combine` makes the figure of the two parts; when the days before
 * were kept, it is also handed the figure made last time with the last day's part then (`kept`),
 * to bring it up to date rather than make it anew.
 *
 * @example
 * const table = await windowFigure(cache, projectId, `users:1:${asOf}`, window, (days) => pointsOver(days), new Map(), (before, last) => tableOf(before, last));
 */
export async function windowFigure<Part, Figure>(
  cache: FigureCache,
  projectId: string,
  key: string,
  window: { from: string; to: string },
  part: (days: { from: string; to: string }) => Promise<Part>,
  none: Part,
  combine: (before: Part, last: Part, kept?: { figure: Figure; last: Part }) => Figure | Promise<Figure>,
): Promise<Figure> {
  const dayBefore = addDays(window.to, -1);
  const keepsBefore = changesFrom(window.to);
  const kept = await cache.incremental<{ figure: Figure; before: Part; last: Part }>(
    projectId,
    key,
    async (since) => {
      const unchanged = since !== undefined && keepsBefore(since.changedDays);
      const [before, last] = await Promise.all([
        unchanged ? since.value.before : window.from > dayBefore ? none : part({ from: window.from, to: dayBefore }),
        part({ from: window.to, to: window.to }),
      ]);
      return { figure: await combine(before, last, unchanged ? { figure: since.value.figure, last: since.value.last } : undefined), before, last };
    },
    window.to,
    keepsBefore,
  );
  return kept.figure;
}
