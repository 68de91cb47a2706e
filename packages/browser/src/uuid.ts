/**
 * A UUID v7 (RFC 9562): 48 bits of Unix milliseconds, then random bits, so ids sort by time.
 * Uses `crypto.getRandomValues`, present in browsers (secure context or not), workers and Node.
 *
 * @example
 * uuid(Date.now()) // '019ab2c4-5e10-7c3a-9f12-3b4c5d6e7f80'
 */
export const uuid = (ms: number): string => {
  const time = Math.floor(ms).toString(16).padStart(12, '0');
  const random = crypto.getRandomValues(new Uint8Array(19));
  let next = 0;
  // After the time: version 7, then random hex digits (`x`), one of them (`y`) with the variant bits 10.
  return `${time.slice(0, 8)}-${time.slice(8)}-7xxx-yxxx-xxxxxxxxxxxx`.replace(/[xy]/g, (digit) =>
    (digit == 'x' ? random[next++]! & 15 : (random[next++]! & 3) | 8).toString(16),
  );
};
