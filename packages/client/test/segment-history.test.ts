import { describe, expect, it } from 'vitest';
import { createUptakeClient } from '../src/index.ts';
import { fakeFetch } from './support/fake-fetch.ts';

const host = 'https://uptake.example.com';

describe('segment history methods', () => {
  it('build the history routes with encoded ids and only the parameters given', async () => {
    const fake = fakeFetch(() => ({ body: { items: [], nextCursor: null } }));
    const client = createUptakeClient({ host, secretKey: 'sk_secret', fetch: fake.fetch });
    await client.segmentChanges('feature-unused:Export CSV', { since: '2026-12-01', until: '2026-12-05', limit: 10, cursor: 'c1' });
    await client.segmentChanges('dormant');
    await client.accountSegmentHistory('Acme & Co', { limit: 5 });
    await client.userSegmentHistory('u/1');
    expect(fake.requests.map((request) => `${request.method} ${request.url.pathname}${request.url.search}`)).toEqual([
      'GET /v1/segments/feature-unused%3AExport%20CSV/changes?since=2026-12-01&until=2026-12-05&limit=10&cursor=c1',
      'GET /v1/segments/dormant/changes',
      'GET /v1/accounts/Acme%20%26%20Co/segments/history?limit=5',
      'GET /v1/users/u%2F1/segments/history',
    ]);
    for (const request of fake.requests) expect(request.headers['authorization']).toBe('Bearer sk_secret');
  });

  it('follows nextCursor through every change of a segment', async () => {
    const pages: Record<string, { items: Array<{ transitionId: number }>; nextCursor: string | null }> = {
      '': { items: [{ transitionId: 1 }, { transitionId: 2 }], nextCursor: 'p2' },
      p2: { items: [{ transitionId: 5 }], nextCursor: null },
    };
    const fake = fakeFetch((request) => ({ body: pages[request.url.searchParams.get('cursor') ?? '']! }));
    const client = createUptakeClient({ host, secretKey: 'sk_secret', fetch: fake.fetch });
    const ids: number[] = [];
    for await (const change of client.allSegmentChanges('usage-drop', { since: '2026-11-01' })) ids.push(change.transitionId);
    expect(ids).toEqual([1, 2, 5]);
    expect(fake.requests.map((request) => request.url.search)).toEqual(['?since=2026-11-01', '?since=2026-11-01&cursor=p2']);
  });

  it('needs the secret key', async () => {
    const client = createUptakeClient({ host, writeKey: 'wk_public', fetch: fakeFetch(() => ({ body: {} })).fetch });
    await expect(client.segmentChanges('dormant')).rejects.toThrow(/segmentChanges needs the project's secretKey/);
  });
});
