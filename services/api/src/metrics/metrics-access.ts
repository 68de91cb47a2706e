import { BlockList, isIP } from 'node:net';
import { createHash, timingSafeEqual } from 'node:crypto';
import { bearerToken } from '../http/authorization-header.ts';

/** Whether `GET /metrics` is answered, or the refusal to send (docs/operations.md, "Who may scrape"). */
export type MetricsAccess =
  | { allowed: true; why: 'loopback' | 'token' }
  | { allowed: false; status: 401 | 403; error: 'metrics_loopback_only' | 'missing_metrics_token' | 'invalid_metrics_token'; message: string };

export type MetricsRequest = {
  /** The socket's peer: never X-Forwarded-For, which any client can write. */
  remoteAddress: string | undefined;
  /** Whether a proxy says it forwarded the request (X-Forwarded-For, Forwarded, X-Real-IP). */
  forwarded: boolean;
  authorization: string | undefined;
};

const LOOPBACK = new BlockList();
LOOPBACK.addSubnet('127.0.0.0', 8, 'ipv4');
LOOPBACK.addAddress('::1', 'ipv6');

/** 127.0.0.0/8 and ::1, IPv4-mapped forms included (`::ffff:127.0.0.1`). */
export function isLoopback(address: string | undefined): boolean {
  const family = address === undefined ? 0 : isIP(address);
  return family !== 0 && LOOPBACK.check(address!, family === 4 ? 'ipv4' : 'ipv6');
}

/** Constant time whatever the lengths: both sides are hashed first. */
function sameToken(given: string, expected: string): boolean {
  const a = createHash('sha256').update(given).digest();
  const b = createHash('sha256').update(expected).digest();
  return timingSafeEqual(a, b);
}

/**
 * Who may read the metrics: a client on this machine connecting directly (a loopback socket with
 * no forwarding header, so a reverse proxy on the same machine does not make the world local),
 * and anyone sending `Authorization: Bearer <UPTAKE_METRICS_TOKEN>` when the operator set one.
 *
 * @example
 * metricsAccess({ remoteAddress: '127.0.0.1', forwarded: false, authorization: undefined }, undefined) // → { allowed: true, why: 'loopback' }
 */
export function metricsAccess(request: MetricsRequest, token: string | undefined): MetricsAccess {
  if (isLoopback(request.remoteAddress) && !request.forwarded) return { allowed: true, why: 'loopback' };
  if (token === undefined) {
    return {
      allowed: false,
      status: 403,
      error: 'metrics_loopback_only',
      message: 'GET /metrics is answered to clients on this machine only; to scrape from elsewhere set UPTAKE_METRICS_TOKEN and send Authorization: Bearer <token>',
    };
  }
  const bearer = bearerToken(request.authorization);
  if (bearer === undefined) {
    return { allowed: false, status: 401, error: 'missing_metrics_token', message: 'authorization: GET /metrics from another machine needs Authorization: Bearer <UPTAKE_METRICS_TOKEN>' };
  }
  if (!sameToken(bearer, token)) return { allowed: false, status: 401, error: 'invalid_metrics_token', message: 'authorization: the bearer token is not the UPTAKE_METRICS_TOKEN' };
  return { allowed: true, why: 'token' };
}
