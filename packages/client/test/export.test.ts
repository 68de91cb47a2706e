import { describe, expect, it } from 'vitest';
import { createUptakeClient, UptakeApiError, UptakeConfigError, type Fetch } from '../src/index.ts';

const host = 'https://uptake.example.com';

/** A fetch answering NDJSON in the given chunks (split anywhere, even inside a line or a character). */
function chunkedFetch(chunks: Uint8Array[], seen: { url?: URL; cancelled?: boolean; headers?: Record<string, string> }): Fetch {
  return async (input, init) => {
    seen.url = new URL(input);
    seen.headers = init.headers as Record<string, string>;
    let index = 0;
    const body = new ReadableStream<Uint8Array>({
      pull(controller) {
        if (index < chunks.length) controller.enqueue(chunks[index++]!);
        else controller.close();
      },
      cancel() {
        seen.cancelled = true;
      },
    });
    return new Response(body, { status: 200, headers: { 'content-type': 'application/x-ndjson' } });
  };
}

const collect = async <T>(iterable: AsyncIterable<T>) => {
  const items: T[] = [];
  for await (const item of iterable) items.push(item);
  return items;
};

describe('export methods', () => {
  const records = [{ kind: 'export', userId: 'ü 1' }, { kind: 'event', messageId: 'm1', properties: { text: 'line\nbreak 💥' } }, { kind: 'user', traits: {} }];
  const bytes = new TextEncoder().encode(records.map((record) => JSON.stringify(record)).join('\n') + '\n');

  it('yields one record per NDJSON line however the body is cut into chunks', async () => {
    for (const size of [1, 2, 3, 7, bytes.length]) {
      const chunks: Uint8Array[] = [];
      for (let i = 0; i < bytes.length; i += size) chunks.push(bytes.slice(i, i + size));
      const seen: { url?: URL } = {};
      const client = createUptakeClient({ host, secretKey: 'sk', fetch: chunkedFetch(chunks, seen) });
      expect(await collect(client.exportUser('ü 1'))).toEqual(records);
      expect(seen.url!.pathname).toBe('/v1/users/%C3%BC%201/export');
    }
  });

  it('asks for the range as NDJSON with the secret key, and cancels the body when the loop stops early', async () => {
    const seen: { url?: URL; cancelled?: boolean; headers?: Record<string, string> } = {};
    const chunks = Array.from({ length: Math.ceil(bytes.length / 5) }, (_, index) => bytes.slice(index * 5, index * 5 + 5));
    const client = createUptakeClient({ host, secretKey: 'sk', fetch: chunkedFetch(chunks, seen) });
    for await (const event of client.exportEvents({ from: '2026-11-01', to: '2026-11-30T12:00:00Z' })) {
      expect(event).toEqual(records[0]);
      break;
    }
    expect(`${seen.url!.pathname}${seen.url!.search}`).toBe('/v1/events/export?from=2026-11-01&to=2026-11-30T12%3A00%3A00Z&format=ndjson');
    expect(seen.headers!['authorization']).toBe('Bearer sk');
    expect(seen.cancelled).toBe(true);
  });

  it('throws the API error before any record, and needs the secret key', async () => {
    const fetch: Fetch = async () => new Response(JSON.stringify({ error: 'user_not_found', message: 'no user "x" in this project' }), { status: 404 });
    const client = createUptakeClient({ host, secretKey: 'sk', fetch });
    const error = await collect(client.exportUser('x')).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(UptakeApiError);
    expect(error).toMatchObject({ status: 404, code: 'user_not_found' });
    await expect(collect(createUptakeClient({ host, writeKey: 'wk', fetch }).exportUser('x'))).rejects.toBeInstanceOf(UptakeConfigError);
  });
});
