/** The body of `POST /v1/batch` (docs/protocol.md), built from events already serialised. */

const encoder = /* @__PURE__ */ new TextEncoder();

/** UTF-8 bytes of `text` (the service's limits are in bytes). */
export const byteLength = (text: string): number => encoder.encode(text).length;

/** `{ writeKey, sentAt, batch }` around serialised events. */
export const envelope = (writeKey: string, sentAt: string, events: string[]): string =>
  `{"writeKey":${JSON.stringify(writeKey)},"sentAt":"${sentAt}","batch":[${events.join(',')}]}`;

/**
 * How many of `events`, from the start, make one body of at most `maxEvents` events and `maxBytes`
 * bytes with an envelope of `envelopeBytes` (always at least one: the service answers 413 for a
 * single event that is too large, and the dispatcher then drops it).
 */
export const batchLength = (events: string[], maxEvents: number, maxBytes: number, envelopeBytes: number): number => {
  let size = envelopeBytes;
  let count = 0;
  for (const event of events) {
    size += byteLength(event) + 1;
    if (count >= maxEvents || (count && size > maxBytes)) break;
    count++;
  }
  return count;
};
