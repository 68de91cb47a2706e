import { afterEach, describe, expect, it, vi } from 'vitest';
import { createUptakeClient, parseRetryAfter, UptakeApiError, UptakeConfigError } from '../src/index.ts';
import { fakeFetch } from './support/fake-fetch.ts';

const host = 'https://uptake.example.com';
const secretKey = 'sk_secret';
const writeKey = 'wk_public';

describe('query methods', () => {
  it('build each route’s URL with encoded ids and only the parameters given', async () => {
    const fake = fakeFetch(() => ({ body: {} }));
    const client = createUptakeClient({ host: `${host}/`, secretKey, fetch: fake.fetch });
    await client.userScore('a/b c?', { asOf: '2026-01-31', model: 2 });
    await client.accountScore('Acme & Co', {});
    await client.userScores({ limit: 10, order: 'asc', cursor: 'WzIsInUyIl0' });
    await client.accountScores();
    await client.activeMetrics({ from: '2026-01-01', to: '2026-01-31', accountId: 'A' });
    await client.utilisation('A', { asOf: '2026-01-31' });
    await client.nps({ accountId: undefined, asOf: '2026-01-31' });
    await client.scoreModels();
    expect(fake.requests.map((request) => `${request.method} ${request.url.pathname}${request.url.search}`)).toEqual([
      'GET /v1/users/a%2Fb%20c%3F/score?asOf=2026-01-31&model=2',
      'GET /v1/accounts/Acme%20%26%20Co/score',
      'GET /v1/scores/users?limit=10&order=asc&cursor=WzIsInUyIl0',
      'GET /v1/scores/accounts',
      'GET /v1/metrics/active?from=2026-01-01&to=2026-01-31&accountId=A',
      'GET /v1/accounts/A/utilisation?asOf=2026-01-31',
      'GET /v1/nps?asOf=2026-01-31',
      'GET /v1/score-models',
    ]);
    for (const request of fake.requests) {
      expect(request.url.origin).toBe(host);
      expect(request.headers['authorization']).toBe(`Bearer ${secretKey}`);
      expect(request.body).toBeUndefined();
    }
  });

  it('build the segment routes', async () => {
    const fake = fakeFetch((request) => (request.method === 'DELETE' ? { status: 204 } : { body: { items: [], nextCursor: null } }));
    const client = createUptakeClient({ host, secretKey, fetch: fake.fetch });
    const rule = { all: [{ field: 'score', op: 'gte', value: 50 }, { field: 'featureCount', event: 'Export', op: 'gt', value: 0 }] } as const;
    await client.segments();
    await client.segmentMembers('feature-unused:Report Created', { asOf: '2026-01-31', limit: 10, cursor: 'c1' });
    for await (const member of client.allSegmentMembers('dormant', { model: 2 })) expect(member).toBeDefined();
    await client.userSegments('u/1', { asOf: '2026-01-31' });
    await client.accountSegments('A');
    await client.createSegment({ key: 'power-users', name: 'Power users', of: 'users', rule });
    await client.updateSegment('power-users', { name: 'Power', of: 'users', rule: { not: { field: 'npsCategory', op: 'eq', value: 'detractor' } } });
    expect(await client.deleteSegment('power-users')).toBeUndefined();
    await client.segmentSettings();
    await client.updateSegmentSettings({ thresholds: { lowUtilisation: 0.5 } });
    expect(fake.requests.map((request) => `${request.method} ${request.url.pathname}${request.url.search}`)).toEqual([
      'GET /v1/segments',
      'GET /v1/segments/feature-unused%3AReport%20Created/members?asOf=2026-01-31&limit=10&cursor=c1',
      'GET /v1/segments/dormant/members?model=2',
      'GET /v1/users/u%2F1/segments?asOf=2026-01-31',
      'GET /v1/accounts/A/segments',
      'POST /v1/segments',
      'PUT /v1/segments/power-users',
      'DELETE /v1/segments/power-users',
      'GET /v1/segments/settings',
      'PUT /v1/segments/settings',
    ]);
    expect(fake.requests[5]!.body).toEqual({ key: 'power-users', name: 'Power users', of: 'users', rule });
    expect(fake.requests[7]!.headers['content-type']).toBeUndefined();
    expect(fake.requests[9]!.body).toEqual({ thresholds: { lowUtilisation: 0.5 } });
  });

  it('build the accounts routes', async () => {
    const fake = fakeFetch(() => ({ body: { items: [], nextCursor: null } }));
    const client = createUptakeClient({ host, secretKey, fetch: fake.fetch });
    await client.accounts();
    await client.accounts({ sort: 'lastActive', order: 'asc', q: 'acme & co', limit: 25, cursor: 'c1', asOf: '2026-01-31', model: 2 });
    for await (const account of client.allAccounts({ sort: 'name' })) expect(account).toBeDefined();
    await client.accountUsers('Acme/EU', { asOf: '2026-01-31', limit: 10, cursor: 'c2' });
    for await (const user of client.allAccountUsers('A', { model: 2 })) expect(user).toBeDefined();
    expect(fake.requests.map((request) => `${request.method} ${request.url.pathname}${request.url.search}`)).toEqual([
      'GET /v1/accounts',
      'GET /v1/accounts?sort=lastActive&order=asc&q=acme+%26+co&limit=25&cursor=c1&asOf=2026-01-31&model=2',
      'GET /v1/accounts?sort=name',
      'GET /v1/accounts/Acme%2FEU/users?asOf=2026-01-31&limit=10&cursor=c2',
      'GET /v1/accounts/A/users?model=2',
    ]);
    for (const request of fake.requests) expect(request.headers['authorization']).toBe(`Bearer ${secretKey}`);
  });

  it('iterate over every page of the accounts table and of an account’s users', async () => {
    const pages = (items: string[][]) => (cursor: string | null) => {
      const index = cursor === null ? 0 : Number(cursor);
      return { items: items[index]!.map((id) => ({ accountId: id, userId: id })), nextCursor: index + 1 < items.length ? String(index + 1) : null };
    };
    const accountPages = pages([['A', 'B'], ['C']]);
    const userPages = pages([['u1'], ['u2'], ['u3']]);
    const fake = fakeFetch((request) => ({
      body: (request.url.pathname.endsWith('/users') ? userPages : accountPages)(request.url.searchParams.get('cursor')),
    }));
    const client = createUptakeClient({ host, secretKey, fetch: fake.fetch });
    const accounts: string[] = [];
    for await (const account of client.allAccounts({ limit: 2, sort: 'utilisation' })) accounts.push(account.accountId);
    expect(accounts).toEqual(['A', 'B', 'C']);
    const users: string[] = [];
    for await (const user of client.allAccountUsers('A', { limit: 1 })) users.push(user.userId);
    expect(users).toEqual(['u1', 'u2', 'u3']);
    expect(fake.requests.map((request) => request.url.search)).toEqual([
      '?limit=2&sort=utilisation',
      '?limit=2&sort=utilisation&cursor=1',
      '?limit=1',
      '?limit=1&cursor=1',
      '?limit=1&cursor=2',
    ]);
    await expect(createUptakeClient({ host, writeKey, fetch: fake.fetch }).allAccountUsers('A').next()).rejects.toThrow(/allAccountUsers needs the project's secretKey/);
  });

  it('keep a base path in the host', async () => {
    const fake = fakeFetch(() => ({ body: {} }));
    await createUptakeClient({ host: 'https://example.com/uptake/', secretKey, fetch: fake.fetch }).nps();
    expect(fake.requests[0]!.url.href).toBe('https://example.com/uptake/v1/nps');
  });

  it('post a new score model as JSON and return the answer', async () => {
    const model = { version: 2, status: 'active', everyTrackEvent: false, features: {}, windowDays: 30, dailyCap: 10, createdAt: null };
    const fake = fakeFetch(() => ({ status: 201, body: model }));
    const client = createUptakeClient({ host, secretKey, fetch: fake.fetch });
    const answer = await client.createScoreModel({ features: { Export: { weight: 5, label: 'Exports' } }, dailyCap: 10 });
    expect(answer).toEqual(model);
    expect(fake.requests[0]).toMatchObject({
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${secretKey}` },
      body: { features: { Export: { weight: 5, label: 'Exports' } }, dailyCap: 10 },
    });
  });

  it('refuse to run without a secret key, before any request', async () => {
    const fake = fakeFetch();
    const client = createUptakeClient({ host, writeKey, fetch: fake.fetch });
    await expect(client.userScore('u1')).rejects.toThrow(UptakeConfigError);
    await expect(client.nps()).rejects.toThrow(/nps needs the project's secretKey/);
    await expect(client.allUserScores().next()).rejects.toThrow(UptakeConfigError);
    expect(fake.requests).toHaveLength(0);
  });

  it('iterate over every page of a ranked list, following nextCursor', async () => {
    const pages: Record<string, { items: Array<{ userId: string }>; nextCursor: string | null }> = {
      '': { items: [{ userId: 'u1' }, { userId: 'u2' }], nextCursor: 'c2' },
      c2: { items: [{ userId: 'u3' }, { userId: 'u4' }], nextCursor: 'c3' },
      c3: { items: [{ userId: 'u5' }], nextCursor: null },
    };
    const fake = fakeFetch((request) => ({ body: { model: { version: 1 }, window: {}, ...pages[request.url.searchParams.get('cursor') ?? ''] } }));
    const client = createUptakeClient({ host, secretKey, fetch: fake.fetch });
    const ids: string[] = [];
    for await (const user of client.allUserScores({ limit: 2, asOf: '2026-01-31' })) ids.push(user.userId);
    expect(ids).toEqual(['u1', 'u2', 'u3', 'u4', 'u5']);
    expect(fake.requests.map((request) => request.url.search)).toEqual([
      '?limit=2&asOf=2026-01-31',
      '?limit=2&asOf=2026-01-31&cursor=c2',
      '?limit=2&asOf=2026-01-31&cursor=c3',
    ]);
  });

  it('fetch pages only as the iteration goes', async () => {
    const fake = fakeFetch(() => ({ body: { items: [{ accountId: 'A' }], nextCursor: 'more' } }));
    const client = createUptakeClient({ host, secretKey, fetch: fake.fetch });
    for await (const account of client.allAccountScores()) {
      expect(account.accountId).toBe('A');
      break;
    }
    expect(fake.requests).toHaveLength(1);
    expect(fake.requests[0]!.url.pathname).toBe('/v1/scores/accounts');
  });
});

describe('errors', () => {
  it('turn an error answer into an UptakeApiError with status, code, message and path', async () => {
    const fake = fakeFetch(() => ({ status: 400, body: { error: 'invalid_request', message: 'asOf: must be a date YYYY-MM-DD', path: 'asOf' } }));
    const error = await createUptakeClient({ host, secretKey, fetch: fake.fetch })
      .userScore('u1', { asOf: 'yesterday' })
      .catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(UptakeApiError);
    expect(error).toBeInstanceOf(Error);
    expect(error).toMatchObject({ name: 'UptakeApiError', status: 400, code: 'invalid_request', message: 'asOf: must be a date YYYY-MM-DD', path: 'asOf', retryAfter: undefined });
  });

  it('read Retry-After as seconds', async () => {
    const fake = fakeFetch(() => ({ status: 429, body: { error: 'rate_limited', message: 'slow down' }, headers: { 'retry-after': '7' } }));
    const error = await createUptakeClient({ host, writeKey, fetch: fake.fetch }).track({ userId: 'u1', event: 'x' }).catch((caught: unknown) => caught);
    expect(error).toMatchObject({ status: 429, code: 'rate_limited', retryAfter: 7, path: undefined });
  });

  it('say what there is when the body is not the service’s JSON', async () => {
    const fake = fakeFetch(() => '<html>Bad gateway</html>');
    const error = await createUptakeClient({ host, secretKey, fetch: fake.fetch }).scoreModels().catch((caught: unknown) => caught);
    expect(error).toMatchObject({ status: 502, code: 'http_502', message: '<html>Bad gateway</html>' });
  });

  it('let a network failure through as it is', async () => {
    const failure = new TypeError('fetch failed');
    const client = createUptakeClient({ host, secretKey, fetch: () => Promise.reject(failure) });
    await expect(client.nps()).rejects.toBe(failure);
  });

  it('parse Retry-After as seconds or as an HTTP date', () => {
    const now = Date.parse('2026-10-21T07:27:30Z');
    expect(parseRetryAfter('5', now)).toBe(5);
    expect(parseRetryAfter(' 0 ', now)).toBe(0);
    expect(parseRetryAfter('Wed, 21 Oct 2026 07:28:00 GMT', now)).toBe(30);
    expect(parseRetryAfter('Wed, 21 Oct 2026 07:00:00 GMT', now)).toBe(0);
    expect(parseRetryAfter('soon', now)).toBeUndefined();
    expect(parseRetryAfter(null, now)).toBeUndefined();
  });
});

describe('createUptakeClient', () => {
  afterEach(() => vi.unstubAllGlobals());

  it('uses the global fetch by default, looked up at call time', async () => {
    const globalFetch = vi.fn(async () => new Response('{"days":[]}', { status: 200 }));
    vi.stubGlobal('fetch', globalFetch);
    const answer = await createUptakeClient({ host, secretKey }).activeMetrics();
    expect(answer).toEqual({ days: [] });
    expect(globalFetch).toHaveBeenCalledOnce();
    // The platform's fetch fits the option as it is.
    expect(createUptakeClient({ host, secretKey, fetch: globalThis.fetch })).toBeDefined();
  });

  it('rejects a missing or malformed host at once', () => {
    expect(() => createUptakeClient({ host: '' })).toThrow(UptakeConfigError);
    expect(() => createUptakeClient({ host: 'not a url' })).toThrow(/host must be an absolute URL/);
  });
});
