/* global Blob, URL, document, setTimeout */
/**
 * Segment members → CSV (RFC 4180). Columns are the facts' field names in the API's order; lists
 * are joined with "; ". Text cells that a spreadsheet would run as a formula (=, +, -, @ first)
 * get a leading apostrophe; numbers are written as they are.
 */

const cellText = (value) => {
  if (value === null || value === undefined) return '';
  if (Array.isArray(value)) return value.map((item) => (item === null ? '' : String(item))).join('; ');
  if (typeof value === 'string' && /^[=+\-@\t\r]/.test(value)) return `'${value}`;
  return String(value);
};
const quote = (text) => (/[",\r\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text);

/**
 * @example
 * membersToCsv([{ accountId: 'A', score: 3 }]) // 'accountId,score\r\nA,3\r\n'
 */
export function membersToCsv(items) {
  const columns = [];
  for (const item of items) for (const key of Object.keys(item)) if (!columns.includes(key)) columns.push(key);
  const lines = [columns.map(quote).join(',')];
  for (const item of items) lines.push(columns.map((column) => quote(cellText(item[column]))).join(','));
  return `${lines.join('\r\n')}\r\n`;
}

/** Starts a download of `text` as a file (a Blob URL and a temporary link). */
export function downloadText(filename, text, type = 'text/csv;charset=utf-8') {
  const url = URL.createObjectURL(new Blob([text], { type }));
  const link = document.createElement('a');
  link.href = url;
  link.download = filename;
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}
