/**
 * Labels for the API's numbers. The API answers ratios (0.62); percentages exist only here, in
 * what a person reads.
 */

const DAY_MS = 86_400_000;

/** Today's UTC day, `YYYY-MM-DD` (the API's days are UTC). */
export const todayUtc = () => new Date().toISOString().slice(0, 10);
export const addDays = (day, days) => new Date(Date.parse(`${day}T00:00:00Z`) + days * DAY_MS).toISOString().slice(0, 10);
/** Seconds since the epoch at 00:00 UTC of a day (uPlot's x values). */
export const dayToSeconds = (day) => Date.parse(`${day}T00:00:00Z`) / 1000;

export const formatNumber = (value, digits = 0) =>
  value === null || value === undefined ? '—' : value.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: 0 });
/** 0.625 → "62.5 %"; null → "—". */
export const formatRatio = (ratio, digits = 0) => (ratio === null || ratio === undefined ? '—' : `${(ratio * 100).toFixed(digits)} %`);
export const formatSigned = (value) => (value === null || value === undefined ? '—' : value > 0 ? `+${value}` : String(value));

/** An NPS answer's category: the API's own definition (domain/nps-category.js, served under /dashboard/figures/). */
export { npsCategory } from './figures/nps-category.js';

/** The licence-utilisation band: green ≥ 80 %, amber 60–80 %, red < 60 %; none when seats are unknown. */
export function utilisationBand(ratio) {
  if (ratio === null || ratio === undefined) return 'none';
  if (ratio >= 0.8) return 'green';
  if (ratio >= 0.6) return 'amber';
  return 'red';
}
