import { request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { LookupFunction } from 'node:net';
import { resolveTarget, TargetRefused, type ResolvedAddress } from './target-guard.ts';

export type AttemptResult = {
  /** The receiver's HTTP status; absent when there was no answer (refused target, network error, timeout). */
  statusCode?: number;
  latencyMs: number;
  error?: string;
  /** The answer's `Retry-After` header, as given. */
  retryAfter?: string;
};

/** Bytes of an answer read (and thrown away): enough to see an error message in a log, no more. */
const MAX_ANSWER_BYTES = 64 * 1024;

/**
 * One POST of a delivery. The target is checked by the SSRF guard now, and the connection goes to
 * the address that was checked (a lookup that answers only it), so a DNS answer that changes
 * between the check and the connect cannot redirect it. Redirects are not followed.
 */
export async function sendAttempt(url: string, headers: Record<string, string>, body: string, options: { timeoutMs: number; allowPrivate: boolean; signal?: AbortSignal }): Promise<AttemptResult> {
  const started = performance.now();
  const elapsed = () => Math.round(performance.now() - started);
  const target = new URL(url);
  let address: ResolvedAddress;
  try {
    [address] = (await resolveTarget(target.hostname, options.allowPrivate)) as [ResolvedAddress];
  } catch (error) {
    if (error instanceof TargetRefused) return { latencyMs: elapsed(), error: `refused: ${error.message}` };
    throw error;
  }
  const lookup: LookupFunction = (_hostname, lookupOptions, callback) => {
    if (lookupOptions.all) (callback as unknown as (error: null, addresses: ResolvedAddress[]) => void)(null, [address]);
    else callback(null, address.address, address.family);
  };
  const send = target.protocol === 'https:' ? httpsRequest : httpRequest;
  return new Promise<AttemptResult>((resolve) => {
    const request = send(
      target,
      {
        method: 'POST',
        headers: { ...headers, 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(body)), 'user-agent': 'Uptake-Webhooks/1' },
        lookup,
        // A connection of its own each time: a pooled one could outlive the check of its address.
        agent: false,
        signal: options.signal ? AbortSignal.any([AbortSignal.timeout(options.timeoutMs), options.signal]) : AbortSignal.timeout(options.timeoutMs),
      },
      (response: IncomingMessage) => {
        let read = 0;
        response.on('data', (chunk: Buffer) => {
          read += chunk.length;
          if (read > MAX_ANSWER_BYTES) response.destroy();
        });
        const done = () => {
          const retryAfter = response.headers['retry-after'];
          resolve({ statusCode: response.statusCode ?? 0, latencyMs: elapsed(), ...(typeof retryAfter === 'string' ? { retryAfter } : {}) });
        };
        response.on('end', done);
        response.on('close', done);
        response.on('error', done);
      },
    );
    request.on('error', (error: Error & { code?: string }) => {
      const timedOut = error.name === 'AbortError' || error.name === 'TimeoutError';
      resolve({ latencyMs: elapsed(), error: timedOut ? `no answer within ${options.timeoutMs} ms` : `${error.code ?? error.name}: ${error.message}` });
    });
    request.end(body);
  });
}
