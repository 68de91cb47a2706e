/**
 * Wire limits of protocol v1 the client respects. They mirror `LIMITS` of `@uptake/protocol`
 * (copied, because the client loads nothing at run time; a unit test keeps them equal).
 */
export const BATCH_LIMITS = {
  /** Events per `POST /v1/batch`. */
  maxEvents: 500,
  /** UTF-8 bytes of one request body. */
  maxBytes: 500 * 1024,
} as const;

const encoder = new TextEncoder();
const byteLength = (text: string): number => encoder.encode(text).length;

/**
 * Splits events into request bodies of at most `maxEvents` events and `maxBytes` UTF-8 bytes
 * each (the whole JSON body `{ sentAt, batch }` counted), keeping their order. Each chunk says
 * where its events start in the input, so rejected indices can be mapped back. An event too
 * large for any body goes alone, and the service answers for it (413).
 *
 * @example
 * const chunks = splitBatch(events, (batch) => ({ sentAt: new Date().toISOString(), batch }));
 * // [{ start: 0, events: [...500] }, { start: 500, events: [...] }]
 */
export function splitBatch<Event>(
  events: readonly Event[],
  envelope: (batch: Event[]) => object,
  limits: { maxEvents: number; maxBytes: number } = BATCH_LIMITS,
): Array<{ start: number; events: Event[] }> {
  // Bytes of the body around the events: `{"sentAt":"…","batch":[]}`. The array's items add
  // their own bytes plus one comma between two of them.
  const frame = byteLength(JSON.stringify(envelope([])));
  const chunks: Array<{ start: number; events: Event[] }> = [];
  let current: Event[] = [];
  let start = 0;
  let bytes = frame;
  events.forEach((event, index) => {
    const size = byteLength(JSON.stringify(event));
    const added = current.length === 0 ? size : size + 1;
    if (current.length > 0 && (current.length >= limits.maxEvents || bytes + added > limits.maxBytes)) {
      chunks.push({ start, events: current });
      current = [];
      start = index;
      bytes = frame;
    }
    bytes += current.length === 0 ? size : size + 1;
    current.push(event);
  });
  if (current.length > 0) chunks.push({ start, events: current });
  return chunks;
}
