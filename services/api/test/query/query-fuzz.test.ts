/**
 * Every read route, asked as an attacker would: far and malformed dates, huge ranges, huge,
 * negative and non-numeric limits, odd cursors, very long and odd ids (NUL, control characters,
 * lone surrogates, `..`, encoded slashes), repeated and unknown parameters, unknown models. The
 * routes are read from the service's OpenAPI document, so a new GET route is fuzzed without
 * touching this file. Over real HTTP to the app in a worker thread: whatever a request does, the
 * test stays free to time it out and to probe `/healthz` after it.
 *
 * Must hold: no 5xx, every answer within a few seconds, `/healthz` answers after each request.
 */
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { userHash } from '../../src/projects/keys.ts';
import { startAppInWorker, type WorkerApp } from '../support/app-worker.ts';
import { testDatabaseKinds } from '../support/databases.ts';
import { generateDataset } from '../support/generate-data.ts';
import { addDays } from '../support/oracle.ts';

const RUNS = 2000;
const SEED = 20261205;
// A hang detector, not a speed test: a normal answer takes milliseconds.
const ANSWER_WITHIN_MS = 5000;

const today = new Date().toISOString().slice(0, 10);
const yesterday = addDays(today, -1);

type Route = { path: string; security: 'secretKey' | 'writeKey'; query: string[]; params: string[] };

// ————————————————————————————————————————————————————————— raw URL pieces

/** Percent-encodes any UTF-16 text, lone surrogates included (as their WTF-8 bytes, e.g. %ED%A0%80). */
function percentEncode(text: string): string {
  if (text.isWellFormed()) return encodeURIComponent(text);
  let out = '';
  for (const char of text) {
    const code = char.codePointAt(0)!;
    if (code >= 0xd800 && code <= 0xdfff) out += [0xe0 | (code >> 12), 0x80 | ((code >> 6) & 0x3f), 0x80 | (code & 0x3f)].map((byte) => `%${byte.toString(16).toUpperCase()}`).join('');
    else out += encodeURIComponent(char);
  }
  return out;
}

/** The value the service reads from a raw query piece, as far as it can be told here (for userHash). */
function decodedOf(raw: string): string {
  try {
    return decodeURIComponent(raw.replaceAll('+', ' '));
  } catch {
    return raw;
  }
}

const base64url = (text: string) => Buffer.from(text).toString('base64url');

/** Raw (already encoded) pieces that break naive parsers and Postgres text. */
const ODD_RAW = [
  '', '%00', 'a%00b', '%00%00%00', '%ED%A0%80', 'x%ED%B0%80y', '%C0%80', '%C0%AF', '%FF', '%FE%FF', '%', '%zz', '%2', 'a%',
  '..', '.', '%2e%2e', '..%2F..%2Fetc%2Fpasswd', '%2F', 'a%2Fb', '%5C', '%5C..%5C', '%0A', '%0D%0A', '%09', '%7F', '%1B%5B31m',
  '%E2%80%AE', '%EF%BB%BF', '%F0%9F%92%A5', '+', '%20', '%20%20', 'null', 'undefined', 'NaN', '[]', '{}', '__proto__',
  'constructor', 'toString', '%3Cscript%3E', "'%3B--", '%22', '*', '%25', '%26', '%3D', '%3F', '%23',
];

const anyText = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 30 }),
  fc.string({ unit: fc.integer({ min: 0, max: 0xffff }).map((code) => String.fromCharCode(code)), maxLength: 12 }),
  fc.string({ unit: fc.integer({ min: 0, max: 0x1f }).map((code) => String.fromCharCode(code)), maxLength: 6 }),
).map(percentEncode);

const longRaw = fc.oneof(
  fc.constantFrom(201, 1000, 5000, 20_000).map((length) => 'x'.repeat(length)),
  fc.constantFrom(100, 2000).map((length) => percentEncode('💥'.repeat(length))),
  fc.constantFrom(50, 3000).map((length) => '%00'.repeat(length)),
);

const oddRaw = fc.oneof({ weight: 3, arbitrary: fc.constantFrom(...ODD_RAW) }, { weight: 3, arbitrary: anyText }, { weight: 1, arbitrary: longRaw });

const dateRaw = fc.oneof(
  // Valid and inside 2000-01-01 … today + 2 (few distinct days: each new one is a cold computation).
  { weight: 4, arbitrary: fc.constantFrom(today, yesterday, addDays(today, -45), '2000-01-01', addDays(today, 2), '2001-02-03') },
  {
    weight: 4,
    arbitrary: fc.constantFrom(
      '9999-12-31', '0000-01-01', '0001-01-01', '1999-12-31', '1970-01-01', addDays(today, 3), '2100-01-01', '+010000-01-01', '%2B010000-01-01',
      '-000001-01-01', '2026-02-30', '2026-02-29', '2024-02-30', '2026-13-01', '2026-00-10', '2026-1-1', '20261201', '2026-12-01T00:00:00Z',
      '2026-12-01%00', '%202026-12-01', '2026-12-01%20', 'today', 'now', '-1', '1e9', '99999-01-01', '2026%2F12%2F01', '２０２６-１２-０１',
    ),
  },
  { weight: 2, arbitrary: fc.date({ noInvalidDate: true }).map((date) => date.toISOString()).chain((iso) => fc.constantFrom(iso, iso.slice(0, 10)).map(percentEncode)) },
  { weight: 1, arbitrary: oddRaw },
);

const numberRaw = fc.oneof(
  fc.constantFrom('0', '1', '2', '50', '500', '1000', '1001', '-1', '-0', '1.5', '1e3', '1e308', '-1e308', 'Infinity', '-Infinity', 'NaN', '0x10', '0b1', ' 5', '5%20', '9'.repeat(400), '999', '2147483648', '1%00'),
  fc.integer().map(String),
  fc.double().map(String),
  oddRaw,
);

const cursorRaw = fc.oneof(
  oddRaw,
  fc.string({ unit: 'binary', maxLength: 60 }).map((text) => base64url(text)),
  fc.constantFrom(
    base64url('[1e308, "u1"]'), base64url('[null, "u1"]'), base64url('["u1"]'), base64url('[0, "\\u0000"]'), base64url('["score:desc", null, "A"]'),
    base64url('["score:desc", {"a": 1}, "A"]'), base64url('["users:score:desc", 5, "u\\ud800"]'), base64url('{"__proto__": {"x": 1}}'), base64url('['.repeat(5000)),
    base64url(JSON.stringify([0, 'x'.repeat(900)])), 'A'.repeat(999), 'A'.repeat(1001), 'A'.repeat(100_000).slice(0, 7000), '====', '%2F%2B%3D',
  ),
);

// ————————————————————————————————————————————————————————— requests

type Request = { url: string; headers: Record<string, string> };

describe.each(testDatabaseKinds)('query-route fuzz on %s', (kind) => {
  let server: WorkerApp;
  let routes: Route[] = [];
  const ids = { userId: [] as string[], accountId: [] as string[], key: [] as string[] };

  const call = async (method: string, path: string, key: string, body?: unknown) => {
    const response = await fetch(`${server.url}${path}`, {
      method,
      headers: { authorization: `Bearer ${key}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      signal: AbortSignal.timeout(60_000),
    });
    return { status: response.status, body: (await response.json()) as Record<string, unknown> };
  };

  beforeAll(async () => {
    server = await startAppInWorker(kind);
    const { project } = server;
    // A little real data, so the routes compute something: accounts, users, NPS, traits.
    const data = generateDataset({ seed: 31, asOf: yesterday, days: 50, accounts: 5, usersPerAccount: [2, 5] });
    for (let index = 0; index < data.events.length; index += 400) {
      const answer = await call('POST', '/v1/batch', project.writeKey, { batch: data.events.slice(index, index + 400) });
      expect(answer.status, JSON.stringify(answer.body)).toBe(200);
    }
    const segment = { key: 'power', name: 'Power users', of: 'users', rule: { all: [{ field: 'score', op: 'gte', value: 1 }, { field: 'trait', name: 'role', op: 'exists', value: true }] } };
    expect((await call('POST', '/v1/segments', project.secretKey, segment)).status).toBe(201);
    expect((await call('POST', '/v1/score-models', project.secretKey, { features: { 'Report Created': { weight: 2, label: 'Reports' } }, activate: false })).status).toBe(201);

    ids.userId = data.users.map((user) => user.userId).slice(0, 4);
    ids.accountId = data.accounts.map((account) => account.accountId).slice(0, 3);
    const segments = (await call('GET', '/v1/segments', project.secretKey)).body['segments'] as Array<{ key: string }>;
    ids.key = [...segments.map((entry) => entry.key).slice(0, 6), 'power', 'feature-unused:Report Created', 'feature-unused:%00'];

    // The segment facts of the days with data, computed once before the timed requests (a cold
    // computation of them is the slowest honest answer, and a busy machine must not make it a hang).
    for (const asOf of [today, yesterday, addDays(today, -45)]) {
      for (const model of [1, 2]) expect((await call('GET', `/v1/accounts?asOf=${asOf}&model=${model}`, project.secretKey)).status).toBe(200);
    }

    // Every GET route of the query and widget APIs, from the OpenAPI document.
    type Operation = { security?: Array<Record<string, unknown>>; parameters?: Array<{ in: string; name: string }> };
    const openApi = (await call('GET', '/docs/json', project.secretKey)).body as { paths: Record<string, Record<string, Operation>> };
    routes = Object.entries(openApi.paths).flatMap(([path, operations]) => {
      const get = operations['get'];
      const security = get?.security?.map((entry) => Object.keys(entry)[0]).find((name) => name === 'secretKey' || name === 'writeKey');
      if (!get || !security) return [];
      const parameters = get.parameters ?? [];
      return [{ path, security, query: parameters.filter((p) => p.in === 'query').map((p) => p.name), params: parameters.filter((p) => p.in === 'path').map((p) => p.name) } as Route];
    });
  });
  afterAll(async () => server?.close());

  /** A value for a parameter: mostly hostile, sometimes right (so the routes get past the first check). */
  const valueFor = (name: string): fc.Arbitrary<string> => {
    const known = name in ids ? fc.constantFrom(...ids[name as keyof typeof ids].map(percentEncode), 'nobody', percentEncode('Ünïcödé ✓')) : fc.constant('x');
    switch (name) {
      case 'asOf':
      case 'from':
      case 'to':
      case 'since':
      case 'until':
        return dateRaw;
      case 'limit':
      case 'model':
        return fc.oneof({ weight: 3, arbitrary: numberRaw }, { weight: 1, arbitrary: fc.constantFrom('1', '2', '3', '999') });
      case 'cursor':
        return cursorRaw;
      case 'order':
        return fc.oneof(fc.constantFrom('asc', 'desc', 'ASC', 'up'), oddRaw);
      case 'sort':
        return fc.oneof(fc.constantFrom('score', 'utilisation', 'name', 'activeUsers30d', 'lastActive', 'seats'), oddRaw);
      case 'userId':
      case 'accountId':
      case 'key':
        return fc.oneof({ weight: 2, arbitrary: known }, { weight: 3, arbitrary: oddRaw });
      default:
        return fc.oneof(fc.constantFrom('nps', 'a'), oddRaw);
    }
  };

  const requestFor = (route: Route): fc.Arbitrary<Request> => {
    const pathValues = fc.tuple(...route.params.map((name) => valueFor(name)));
    const queryEntry = (name: string) =>
      fc.oneof(
        { weight: 2, arbitrary: fc.constant<Array<[string, string]>>([]) },
        { weight: 5, arbitrary: valueFor(name).map((value): Array<[string, string]> => [[name, value]]) },
        // Repeated: the parser makes it an array.
        { weight: 1, arbitrary: fc.array(valueFor(name), { minLength: 2, maxLength: 3 }).map((values) => values.map((value): [string, string] => [name, value])) },
        { weight: 1, arbitrary: valueFor(name).map((value): Array<[string, string]> => [[`${name}[]`, value], [`${name}[x]`, value]]) },
      );
    const unknown = fc.oneof(
      { weight: 4, arbitrary: fc.constant<Array<[string, string]>>([]) },
      { weight: 1, arbitrary: fc.tuple(fc.constantFrom('foo', '__proto__', 'constructor', '%00', 'a%5Bb%5D', '', 'asOf%00'), oddRaw).map(([name, value]): Array<[string, string]> => [[name, value]]) },
    );
    // Widget routes: the user's valid hash most of the time, so the request reaches the route.
    const userIdIsQuery = route.query.includes('userHash');
    return fc.record({ pathValues, entries: fc.tuple(...route.query.filter((name) => name !== 'userHash').map(queryEntry), unknown), validHash: fc.integer({ min: 0, max: 9 }).map((n) => n < 8) }).map(({ pathValues: values, entries, validHash }) => {
      let path = route.path;
      route.params.forEach((name, index) => (path = path.replace(`{${name}}`, values[index]!)));
      const pairs = entries.flat();
      if (userIdIsQuery) {
        const userId = pairs.find(([name]) => name === 'userId')?.[1];
        const hash = userId === undefined ? 'x' : validHash ? userHash(server.project.identitySecret, decodedOf(userId)) : percentEncode('f'.repeat(64));
        pairs.push(['userHash', hash]);
      }
      const query = pairs.map(([name, value]) => `${name}=${value}`).join('&');
      const key = route.security === 'secretKey' ? server.project.secretKey : server.project.writeKey;
      return { url: query ? `${path}?${query}` : path, headers: { authorization: `Bearer ${key}` } };
    });
  };

  it('refuses far dates, over-long ranges and unstorable ids at once, naming the field and the range', async () => {
    const latest = addDays(today, 2);
    const range = `must be a day from 2000-01-01 to ${latest} (today + 2 days, UTC)`;
    const get = async (url: string, key = server.project.secretKey) => {
      const response = await fetch(`${server.url}${url}`, { headers: { authorization: `Bearer ${key}` }, signal: AbortSignal.timeout(ANSWER_WITHIN_MS) });
      return { status: response.status, body: (await response.json()) as Record<string, unknown> };
    };
    const refused = async (url: string, path: string, message: string, key = server.project.secretKey) =>
      expect(await get(url, key), url).toEqual({ status: 400, body: { error: 'invalid_request', message: `${path}: ${message}`, path } });
    // Each of these never answered: the day after 9999-12-31 sorted before it and the day loop never ended.
    await refused('/v1/scores/users?asOf=9999-12-31', 'asOf', range);
    await refused('/v1/scores/users?asOf=0000-01-01', 'asOf', range);
    await refused('/v1/nps?asOf=9999-12-31', 'asOf', range);
    await refused('/v1/metrics/active?from=9999-12-31&to=9999-12-31', 'from', range);
    await refused('/v1/metrics/active?from=0001-01-01&to=9999-12-30', 'from', range);
    await refused(`/v1/metrics/active?from=2026-01-01&to=${addDays(today, 3)}`, 'to', range);
    await refused(`/v1/accounts?asOf=1999-12-31`, 'asOf', range);
    await refused(`/v1/segments/dormant/members?asOf=${addDays(today, 3)}`, 'asOf', range);
    await refused('/v1/users/u1/score?asOf=2026-02-30', 'asOf', 'must be a date YYYY-MM-DD');
    // The range is counted, not listed, before anything is computed.
    await refused(`/v1/metrics/active?from=2000-01-01&to=${today}`, 'from', 'at most 400 days from … to');
    await refused(`/v1/nps?from=2000-01-01&to=2001-02-04`, 'from', 'at most 400 days from … to');
    expect((await get(`/v1/metrics/active?from=2000-01-01&to=2001-02-03`)).status).toBe(200);
    // Both ends of the range are days a query may name.
    expect((await get(`/v1/scores/users?asOf=${latest}`)).status).toBe(200);
    expect((await get('/v1/scores/accounts?asOf=2000-01-01')).status).toBe(200);
    // Postgres text holds no NUL and no lone surrogate: refused before any query.
    const nul = 'contains a NUL character (\\u0000), which cannot be stored';
    await refused('/v1/users/a%00b/score', 'userId', nul);
    await refused('/v1/accounts/%00/utilisation', 'accountId', nul);
    await refused('/v1/metrics/active?accountId=x%00', 'accountId', nul);
    await refused('/v1/segments/%00/members', 'key', nul);
    // A lone surrogate cannot come through a URL: Fastify refuses it in a path, and the query
    // parser leaves an undecodable sequence as the text it is (the schema refuses one all the same).
    expect(await get('/v1/users/%ED%A0%80/segments')).toMatchObject({ status: 400, body: { error: 'invalid_url' } });
    expect((await get('/v1/metrics/active?accountId=%ED%A0%80')).body).toMatchObject({ error: 'account_not_found' });
    const userId = ids.userId[0]!;
    const hash = userHash(server.project.identitySecret, userId);
    await refused(`/v1/widgets/progress?userId=${userId}&userHash=${hash}&accountId=%00`, 'accountId', nul, server.project.writeKey);
    await refused(`/v1/widgets/nps?userId=${userId}&userHash=${hash}&surveyId=a%00`, 'surveyId', nul, server.project.writeKey);
    const nulUser = 'u\u0000';
    await refused(`/v1/widgets/progress?userId=u%00&userHash=${userHash(server.project.identitySecret, nulUser)}`, 'userId', nul, server.project.writeKey);
  });

  it('refuses definitions and settings that Postgres cannot store, naming where (never a 500)', async () => {
    const send = async (method: string, path: string, body: unknown) => {
      const response = await fetch(`${server.url}${path}`, {
        method,
        headers: { authorization: `Bearer ${server.project.secretKey}`, 'content-type': 'application/json' },
        body: JSON.stringify(body),
        signal: AbortSignal.timeout(ANSWER_WITHIN_MS),
      });
      return { status: response.status, body: (await response.json()) as Record<string, unknown> };
    };
    const nul = 'contains a NUL character (\\u0000), which cannot be stored';
    const rule = { field: 'score', op: 'gt', value: 1 };
    const cases: Array<[string, string, unknown, string, string]> = [
      ['POST', '/v1/segments', { key: 'n1', name: 'x\u0000', of: 'users', rule }, 'name', nul],
      ['POST', '/v1/segments', { key: 'n2', name: 'x', of: 'users', rule: { any: [rule, { field: 'trait', name: 'plan', op: 'eq', value: 'a\u0000' }] } }, 'rule.any[1].value', nul],
      ['POST', '/v1/segments', { key: 'n3', name: 'x', description: 'x\ud800', of: 'users', rule }, 'description', 'contains a lone UTF-16 surrogate (invalid Unicode)'],
      ['PUT', '/v1/segments/power', { name: 'Power', of: 'users', rule: { field: 'featureCount', event: 'E\u0000', op: 'gt', value: 1 } }, 'rule.event', nul],
      ['POST', '/v1/score-models', { features: { 'Report Created': { weight: 1, label: 'R\u0000' } } }, 'features.Report Created.label', nul],
      ['POST', '/v1/score-models', { features: { 'a\u0000': { weight: 1, label: 'A' } } }, 'features.a\\u0000', `key ${nul}`],
      ['PUT', '/v1/widgets/settings', { nps: { question: 'How likely\u0000?' } }, 'nps.question', nul],
    ];
    for (const [method, path, body, at, message] of cases) {
      expect(await send(method, path, body), `${method} ${path} ${JSON.stringify(body)}`).toEqual({ status: 400, body: { error: 'invalid_request', message: `${at}: ${message}`, path: at } });
    }
  });

  it(`answers ${RUNS} hostile requests over every read route with no 5xx, in time, and stays healthy`, async () => {
    expect(routes.map((route) => route.path)).toEqual(expect.arrayContaining(['/v1/scores/users', '/v1/metrics/active', '/v1/nps', '/v1/accounts', '/v1/widgets/progress', '/v1/widgets/nps']));
    expect(routes.length).toBeGreaterThanOrEqual(15);
    const statuses = new Map<string, number>();
    const perRoute = new Map<string, number>();
    let slowest = { ms: 0, url: '' };
    const request = fc.constantFrom(...routes).chain(requestFor);
    await fc.assert(
      fc.asyncProperty(request, async ({ url, headers }) => {
        const started = performance.now();
        let response: Response;
        try {
          response = await fetch(`${server.url}${url}`, { headers, signal: AbortSignal.timeout(ANSWER_WITHIN_MS) });
        } catch (error) {
          throw new Error(`GET ${url.slice(0, 300)}: no answer within ${ANSWER_WITHIN_MS} ms`, { cause: error });
        }
        const body = await response.text();
        const ms = performance.now() - started;
        if (ms > slowest.ms) slowest = { ms, url };
        const route = routes.find((entry) => new RegExp(`^${entry.path.replace(/\{[^}]+\}/g, '[^/]*')}(\\?|$)`).test(url))?.path ?? '(other)';
        perRoute.set(route, (perRoute.get(route) ?? 0) + 1);
        statuses.set(`${response.status}`, (statuses.get(`${response.status}`) ?? 0) + 1);
        expect(response.status, `GET ${url.slice(0, 300)} → ${body.slice(0, 500)}`).toBeLessThan(500);
        // Node's HTTP parser answers an over-long request line itself (431, no body); the app's own answers name the problem.
        if (response.status >= 400 && response.headers.get('content-type')?.includes('application/json')) {
          expect(JSON.parse(body), `GET ${url.slice(0, 300)}`).toMatchObject({ error: expect.any(String), message: expect.any(String) });
        }
        const health = await fetch(`${server.url}/healthz`, { signal: AbortSignal.timeout(ANSWER_WITHIN_MS) });
        expect(health.status, `/healthz after GET ${url.slice(0, 300)}`).toBe(200);
      }),
      // The first failure is the one to read: after a hang every later request fails too, so shrinking would mislead.
      { numRuns: RUNS, seed: SEED, endOnFailure: true },
    );
    // The database still answers too.
    expect((await fetch(`${server.url}/readyz`)).status).toBe(200);
    // Every route was asked, and many requests got past validation to real work.
    expect([...perRoute.keys()]).toEqual(expect.arrayContaining(routes.map((route) => route.path)));
    expect(statuses.get('200') ?? 0).toBeGreaterThan(RUNS / 10);
    console.info(`query fuzz on ${kind}: statuses ${JSON.stringify(Object.fromEntries(statuses))}, slowest ${Math.round(slowest.ms)} ms (${slowest.url.slice(0, 120)})`);
  });
});
