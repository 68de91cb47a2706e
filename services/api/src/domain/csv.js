// CSV text (RFC 4180), defined once. Plain JavaScript (typed by csv.d.ts) because the dashboard's
// segment export runs it too: dashboard.route.ts serves this file at /dashboard/figures/csv.js.
// It imports nothing, so it runs unchanged in both places. The service's CSV event export
// (privacy/events-csv.ts) writes its cells with csvField.

/**
 * Segment members → CSV (RFC 4180). Columns are the facts' field names in the API's order; lists
 * are joined with "; ". Every text cell that a spreadsheet would run as a formula (=, +, -, @, tab
 * or carriage return first, as OWASP lists) gets a leading apostrophe, checked on the finished
 * cell so a list cannot smuggle one in; numbers are written as they are.
 */

const FORMULA_START = /^[=+\-@\t\r]/;
const neutralised = (text) => (FORMULA_START.test(text) ? `'${text}` : text);

/** The text of one cell (exported for its test). */
export const cellText = (value) => {
  if (value === null || value === undefined) return '';
  if (typeof value === 'number') return String(value);
  if (Array.isArray(value)) return neutralised(value.map((item) => (item === null || item === undefined ? '' : String(item))).join('; '));
  return neutralised(String(value));
};
const quote = (text) => (/[",\r\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text);

/** One finished CSV field: the cell's text, neutralised, quoted when it must be (the service's event export writes with this too). */
export const csvField = (value) => quote(cellText(value));

/**
 * @example
 * membersToCsv([{ accountId: 'A', score: 3 }]) // 'accountId,score\r\nA,3\r\n'
 */
export function membersToCsv(items) {
  const columns = [];
  for (const item of items) for (const key of Object.keys(item)) if (!columns.includes(key)) columns.push(key);
  const lines = [columns.map((column) => quote(neutralised(column))).join(',')];
  for (const item of items) lines.push(columns.map((column) => csvField(item[column])).join(','));
  return `${lines.join('\r\n')}\r\n`;
}
