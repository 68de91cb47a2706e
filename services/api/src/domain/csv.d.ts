// Types of csv.js (plain JavaScript the dashboard runs too; the service's CSV event export uses the same cells).

/** The text of one cell: numbers as they are, lists joined with "; ", text starting a formula prefixed with an apostrophe. */
export declare function cellText(value: unknown): string;

/** One finished CSV field (RFC 4180): cellText, quoted when it holds a quote, comma or line break. */
export declare function csvField(value: unknown): string;

export declare function membersToCsv(items: Array<Record<string, unknown>>): string;
