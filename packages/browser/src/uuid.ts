const hex = (byte: number): string => (byte | 256).toString(16).slice(1);

/**
 * A UUID v7 (RFC 9562): 48 bits of Unix milliseconds, then random bits, so ids sort by time.
 * Uses `crypto.getRandomValues`, present in browsers (secure context or not), workers and Node.
 *
 * @example
 * uuid(Date.now()) // '019ab2c4-5e10-7c3a-9f12-3b4c5d6e7f80'
 */
export const uuid = (ms: number): string => {
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  // Uint8Array stores each value modulo 256: byte i gets bits 40−8i … 47−8i of the timestamp.
  for (let i = 0; i < 6; i++) bytes[i] = ms / 2 ** (40 - 8 * i);
  bytes[6] = (bytes[6]! & 15) | 0x70; // version 7
  bytes[8] = (bytes[8]! & 63) | 0x80; // variant 10
  return Array.from(bytes, hex)
    .join('')
    .replace(/(.{8})(.{4})(.{4})(.{4})/, '$1-$2-$3-$4-');
};
