import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';

// The module the dashboard runs as /dashboard/figures/csv.js (plain JavaScript, no build step).
type Csv = { membersToCsv: (items: Array<Record<string, unknown>>) => string; cellText: (value: unknown) => string };
const { membersToCsv, cellText } = (await import(pathToFileURL(join(import.meta.dirname, '../../src/domain/csv.js')).href)) as Csv;

const FORMULA_STARTS = ['=', '+', '-', '@', '\t', '\r'];

describe('dashboard CSV export', () => {
  it('neutralises a formula hidden in a list cell (the list is checked once joined)', () => {
    expect(cellText(['=HYPERLINK("http://evil.example","x")', 'b'])).toBe(`'=HYPERLINK("http://evil.example","x"); b`);
    expect(cellText(['@SUM(A1)'])).toBe(`'@SUM(A1)`);
    expect(cellText([null, 'x'])).toBe('; x');
    const csv = membersToCsv([{ userId: 'u1', accounts: ['=1+1', 'acme'] }]);
    expect(csv).toBe(`userId,accounts\r\nu1,'=1+1; acme\r\n`);
  });

  it('neutralises tab and carriage return first, as OWASP lists, and leaves numbers alone', () => {
    expect(cellText('\tcmd')).toBe(`'\tcmd`);
    expect(cellText('\r=1')).toBe(`'\r=1`);
    expect(cellText(-5)).toBe('-5');
    expect(cellText('plain')).toBe('plain');
  });

  it('no text cell of any export starts with a formula character', () => {
    const text = fc.string({ maxLength: 12 });
    const cell = fc.oneof(text, fc.array(fc.oneof(text, fc.constant(null)), { maxLength: 4 }), fc.constantFrom(...FORMULA_STARTS).chain((first) => text.map((rest) => first + rest)));
    fc.assert(
      fc.property(cell, (value) => {
        const out = cellText(value);
        expect(FORMULA_STARTS.includes(out.charAt(0))).toBe(false);
      }),
    );
  });
});
