import { addDays } from './days.ts';

/**
 * The first UTC day whose raw events a project keeps (docs/privacy.md, "Retention"): with
 * `retentionDays` N on UTC day D, days D−N … D are kept and every day before D−N expires.
 * Whole UTC days by the event's (skew-corrected) timestamp, as the per-day figures count them.
 *
 * @example
 * firstKeptDay('2026-12-05', 30) // '2026-11-05': events of 2026-11-04 and before expire
 */
export function firstKeptDay(today: string, retentionDays: number): string {
  return addDays(today, -retentionDays);
}
