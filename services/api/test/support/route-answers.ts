import type { FastifyInstance } from 'fastify';
import { expect } from 'vitest';

/**
 * Every query route's answer for a project as of `asOf`, to compare one database with another
 * (a move to Citus, a rebalance, migrations on a cluster): scores, the activity series, NPS, the
 * accounts list, a segment's members, and each account's utilisation and users.
 */
export async function routeAnswers(app: FastifyInstance, secretKey: string, accountIds: string[], asOf: string): Promise<Record<string, unknown>> {
  const urls = [
    `/v1/scores/users?asOf=${asOf}&limit=500`,
    `/v1/scores/accounts?asOf=${asOf}&limit=500`,
    `/v1/metrics/active?from=2026-01-01&to=${asOf}`,
    `/v1/nps?asOf=${asOf}`,
    `/v1/accounts?asOf=${asOf}&limit=500`,
    `/v1/segments/trial-ready/members?asOf=${asOf}&limit=500`,
    ...accountIds.flatMap((id) => [`/v1/accounts/${encodeURIComponent(id)}/utilisation?asOf=${asOf}`, `/v1/accounts/${encodeURIComponent(id)}/users?asOf=${asOf}`]),
  ];
  const answers: Record<string, unknown> = {};
  for (const url of urls) {
    const response = await app.inject({ method: 'GET', url, headers: { authorization: `Bearer ${secretKey}` } });
    expect(response.statusCode, `${url}: ${response.body}`).toBe(200);
    answers[url] = response.json();
  }
  return answers;
}
