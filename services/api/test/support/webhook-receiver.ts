import { createServer, type IncomingHttpHeaders, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export type Received = { headers: IncomingHttpHeaders; body: string; at: number };
export type Answer = { status: number; headers?: Record<string, string>; delayMs?: number };

export type WebhookReceiver = {
  url: string;
  received: Received[];
  /** How many requests were being answered at once, at most, per webhook-id. */
  maxConcurrentPerId(): number;
  /** Resolves once `count` requests satisfy `match` (default: any). */
  waitFor(count: number, match?: (request: Received) => boolean, timeoutMs?: number): Promise<Received[]>;
  close(): Promise<void>;
};

/**
 * A real HTTP receiver on 127.0.0.1 for webhook tests: records every request and answers as
 * `answer` says (a status, headers, a delay before answering).
 *
 * @example
 * const receiver = await startReceiver(() => ({ status: 200 }));
 * // … create an endpoint with receiver.url …
 * const [first] = await receiver.waitFor(1);
 */
export async function startReceiver(answer: (request: Received, index: number) => Answer | Promise<Answer> = () => ({ status: 200 }), port = 0): Promise<WebhookReceiver> {
  const received: Received[] = [];
  const inFlight = new Map<string, number>();
  let maxConcurrent = 0;
  const waiters = new Set<() => void>();
  const server = createServer((request, response: ServerResponse) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const entry: Received = { headers: request.headers, body: Buffer.concat(chunks).toString('utf8'), at: Date.now() };
      const id = String(request.headers['webhook-id']);
      inFlight.set(id, (inFlight.get(id) ?? 0) + 1);
      maxConcurrent = Math.max(maxConcurrent, inFlight.get(id)!);
      const index = received.push(entry) - 1;
      for (const wake of waiters) wake();
      void Promise.resolve(answer(entry, index)).then(async (reply) => {
        if (reply.delayMs) await new Promise((resolve) => setTimeout(resolve, reply.delayMs));
        inFlight.set(id, inFlight.get(id)! - 1);
        if (!response.destroyed) response.writeHead(reply.status, reply.headers).end('ok');
      });
    });
  });
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  const listening = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${listening}/hook`,
    received,
    maxConcurrentPerId: () => maxConcurrent,
    waitFor: (count, match = () => true, timeoutMs = 20_000) =>
      new Promise((resolve, reject) => {
        const check = () => {
          const found = received.filter(match);
          if (found.length >= count) {
            waiters.delete(check);
            clearTimeout(timer);
            resolve(found);
          }
        };
        const timer = setTimeout(() => {
          waiters.delete(check);
          reject(new Error(`receiver got ${received.filter(match).length} of ${count} requests in ${timeoutMs} ms`));
        }, timeoutMs);
        waiters.add(check);
        check();
      }),
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
