/** A time (ms since the epoch) as the wire's ISO 8601 text (docs/protocol.md). */
export const iso = (ms: number): string => new Date(ms).toISOString();

/** The size of `text` in UTF-8, as the service counts its limits (src/limits.ts). */
export const byteLength = (text: string): number => new TextEncoder().encode(text).length;
