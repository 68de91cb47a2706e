/**
 * Base64 of a string's UTF-8 bytes, with web-platform globals only (`btoa` alone takes Latin-1).
 *
 * @example
 * base64Utf8('wk_123:') // 'd2tfMTIzOg=='
 */
export function base64Utf8(text: string): string {
  let binary = '';
  for (const byte of new TextEncoder().encode(text)) binary += String.fromCharCode(byte);
  return btoa(binary);
}
