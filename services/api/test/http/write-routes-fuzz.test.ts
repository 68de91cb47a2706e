/**
 * Every write route (POST, PUT, PATCH, DELETE) but ingestion's (test/ingestion/ingestion-fuzz.test.ts)
 * and key rotation's (test/auth/project-keys.test.ts), asked as an attacker would: its OpenAPI
 * example body with one value anywhere in it replaced by a hostile one (a NUL, a lone surrogate,
 * a time Postgres cannot store, a huge or negative number, a wrong type, deep nesting), a key
 * taken out or an unknown one put in, any JSON at all, text that is not JSON, and hostile path
 * parameters. The routes and their examples are read from the service's OpenAPI document, so a
 * new write route is fuzzed without touching this file.
 *
 * Must hold: no 5xx, every 4xx is JSON naming the problem, and the service still answers.
 */
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testDatabaseKinds } from '../support/databases.ts';
import { hostileJson } from '../support/hostile-json.ts';
import { exampleUrl, operationsOf, type OpenApi, type Operation } from '../support/openapi-routes.ts';
import { DEFAULT_WEBHOOK_SETTINGS } from '../../src/webhooks/settings.ts';
import { createTestApp, type TestApp } from '../support/test-app.ts';

const RUNS = 1500;

const hostileText = fc.oneof(
  fc.constantFrom(
    '\u0000', 'a\u0000b', '\ud800', 'a\udc00b', '', ' ', '💥', 'x'.repeat(300), 'x'.repeat(20_000), '__proto__', 'constructor',
    '0000-06-01T00:00:00Z', '0001-01-01T00:00:00+14:00', '9999-12-31T23:59:59-14:00', '0000-12-31', '+010000-01-01T00:00:00Z',
    '2026-02-30T00:00:00Z', 'javascript:alert(1)', '//evil.example/x', 'http://127.0.0.1:1/x', 'https://[::1]/x', '{{#if x}}y{{/if}}',
  ),
  fc.string({ unit: 'binary', maxLength: 30 }),
);
const hostileNumber = fc.oneof(
  fc.constantFrom(1e308, -1e308, 2 ** 53 + 1, -(2 ** 31) - 1, 2 ** 31, -0, 0.5, -1, 1e-320),
  fc.double(),
  fc.integer(),
);
const hostileValue = hostileJson(hostileText, [hostileText, hostileNumber, fc.boolean(), fc.constant(null)]);
const deepNesting = fc.integer({ min: 1, max: 3000 }).map((depth) => JSON.parse(`${'['.repeat(depth)}${']'.repeat(depth)}`) as unknown);

/** Every place in a JSON value, as the path of keys and indexes to it (the root is []). */
function placesOf(value: unknown, path: Array<string | number> = []): Array<Array<string | number>> {
  const here = [path];
  if (Array.isArray(value)) return here.concat(value.flatMap((item, index) => placesOf(item, [...path, index])));
  if (value !== null && typeof value === 'object') return here.concat(Object.entries(value).flatMap(([key, item]) => placesOf(item, [...path, key])));
  return here;
}

type Change = { kind: 'replace'; value: unknown } | { kind: 'remove' } | { kind: 'add'; key: string; value: unknown };

/** `example` with the change made at `path` (a copy; a removed root or array item becomes undefined). */
function changed(example: unknown, path: Array<string | number>, change: Change): unknown {
  if (path.length === 0) {
    if (change.kind === 'replace') return change.value;
    if (change.kind === 'add' && example !== null && typeof example === 'object' && !Array.isArray(example)) return { ...example, [change.key]: change.value };
    return change.kind === 'remove' ? undefined : example;
  }
  const [head, ...rest] = path;
  const copy = (Array.isArray(example) ? [...(example as unknown[])] : { ...(example as Record<string, unknown>) }) as Record<string | number, unknown>;
  if (rest.length === 0 && change.kind === 'remove') {
    if (Array.isArray(copy)) copy.splice(head as number, 1);
    else delete copy[head!];
    return copy;
  }
  copy[head!] = changed(copy[head!], rest, change);
  return copy;
}

const change: fc.Arbitrary<Change> = fc.oneof(
  { weight: 6, arbitrary: hostileValue.map((value) => ({ kind: 'replace' as const, value })) },
  { weight: 1, arbitrary: deepNesting.map((value) => ({ kind: 'replace' as const, value })) },
  { weight: 2, arbitrary: fc.constant({ kind: 'remove' as const }) },
  { weight: 1, arbitrary: fc.tuple(hostileText, hostileValue).map(([key, value]) => ({ kind: 'add' as const, key, value })) },
);

/** A path parameter as sent: the example's, or hostile text percent-encoded (lone surrogates as their WTF-8 bytes). */
const pathParameter = (example: unknown) =>
  fc.oneof(
    { weight: 3, arbitrary: fc.constant(encodeURIComponent(String(example))) },
    { weight: 2, arbitrary: fc.constantFrom('%00', 'a%00b', '%ED%A0%80', '%FF', '..', '%2e%2e%2F', 'x'.repeat(300), '%20', 'null', '__proto__') },
    { weight: 1, arbitrary: fc.string({ unit: 'grapheme', maxLength: 20 }).map(encodeURIComponent) },
  );

type Route = { method: string; path: string; operation: Operation };

/** The examples' webhook URL does not resolve here (no DNS); a loopback one does, and the app below allows it. */
const reachable = (example: unknown): unknown =>
  example === undefined ? undefined : (JSON.parse(JSON.stringify(example).replaceAll('https://example.com/hooks/uptake', 'http://127.0.0.1:9/uptake')) as unknown);
type Request = { method: string; url: string; contentType?: string; payload?: string };

/**
 * The requests of one route. `existing`: ids of things made before (a campaign, a webhook, a
 * segment, a delivery), used for the path parameters of those names instead of the examples'
 * (which name nothing), so that changes reach real rows too. Deletions keep to the examples' ids:
 * a deleted campaign or webhook would leave the other routes nothing to change.
 */
function requestFor({ method, path, operation }: Route, made: Record<string, string>): fc.Arbitrary<Request> {
  const existing = method === 'delete' ? {} : made;
  const parameters = operation.parameters ?? [];
  const pathParameters = parameters.filter((parameter) => parameter.in === 'path');
  const url = fc.tuple(...pathParameters.map((parameter) => pathParameter(existing[parameter.name] ?? parameter.example))).map((values) => {
    let filled = exampleUrl(path, parameters.filter((parameter) => parameter.in !== 'path'));
    pathParameters.forEach((parameter, index) => (filled = filled.replace(`{${parameter.name}}`, values[index]!)));
    return filled;
  });
  const example = reachable(operation.requestBody?.content['application/json']?.example);
  const places = placesOf(example);
  const body = fc.oneof(
    { weight: 6, arbitrary: fc.tuple(fc.constantFrom(...places), change).map(([place, made]) => JSON.stringify(changed(example, place, made)) ?? '') },
    { weight: 1, arbitrary: fc.constant(JSON.stringify(example) ?? '') },
    { weight: 1, arbitrary: hostileValue.map((value) => JSON.stringify(value) ?? '') },
    { weight: 1, arbitrary: fc.constantFrom('{not json', '', '{"a":', 'null', '[]', '\u0000', '{"__proto__":{"polluted":true}}') },
  );
  return fc.record({
    method: fc.constant(method.toUpperCase()),
    url,
    contentType: fc.constantFrom('application/json', 'application/json', 'application/json', 'text/plain', 'application/x-www-form-urlencoded'),
    payload: example === undefined ? fc.constant(undefined) : body,
  }).map(({ payload, contentType, ...request }) => (payload === undefined ? request : { ...request, payload, contentType }));
}

describe.each(testDatabaseKinds)('write-route fuzz on %s', (kind) => {
  let t: TestApp;
  let routes: Route[] = [];
  const existing: Record<string, string> = {};
  beforeAll(async () => {
    t = await createTestApp(kind, { webhooks: { ...DEFAULT_WEBHOOK_SETTINGS, allowPrivate: true } });
    const spec = (await t.app.inject({ method: 'GET', url: '/docs/json' })).json<OpenApi>();
    routes = operationsOf(spec).filter(({ method, path }) => method !== 'get' && !/^\/v1\/(batch|identify|group|track|page)$/.test(path) && path !== '/v1/project/keys/rotate');
    const make = async (path: string, url = path) => {
      const body = reachable(spec.paths[path]!['post']!.requestBody?.content['application/json']?.example);
      const response = await t.app.inject({ method: 'POST', url, headers: { authorization: `Bearer ${t.project.secretKey}` }, ...(body === undefined ? {} : { payload: body as object }) });
      expect(response.statusCode, `${url}: ${response.body}`).toBeLessThan(300);
      return response.json<Record<string, string>>();
    };
    existing['campaignId'] = (await make('/v1/campaigns'))['id']!;
    existing['key'] = (await make('/v1/segments'))['key']!;
    existing['webhookId'] = (await make('/v1/webhooks'))['id']!;
    existing['messageId'] = (await make('/v1/webhooks/{webhookId}/test', `/v1/webhooks/${existing['webhookId']}/test`))['messageId']!;
  });
  afterAll(async () => t?.close());

  it(`answers ${RUNS} hostile writes with a 2xx or a clear 4xx, never a 5xx`, async () => {
    expect(routes.length).toBeGreaterThanOrEqual(15);
    const statuses = new Map<number, number>();
    const asked = new Set<string>();
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...routes).chain((route) => requestFor(route, existing).map((request) => ({ route, request }))), async ({ route, request }) => {
        const response = await t.app.inject({
          method: request.method as 'POST',
          url: request.url,
          headers: { authorization: `Bearer ${t.project.secretKey}`, ...(request.contentType ? { 'content-type': request.contentType } : {}) },
          ...(request.payload !== undefined ? { payload: request.payload } : {}),
        });
        asked.add(`${route.method} ${route.path}`);
        statuses.set(response.statusCode, (statuses.get(response.statusCode) ?? 0) + 1);
        const shown = `${request.method} ${request.url.slice(0, 200)} ${request.payload?.slice(0, 300) ?? ''}`;
        expect(response.statusCode, `${shown} → ${response.body.slice(0, 500)}`).toBeLessThan(500);
        if (response.statusCode >= 400) {
          expect(response.headers['content-type'], `${shown} → ${response.statusCode} ${response.body.slice(0, 200)}`).toContain('application/json');
          const answer = response.json<{ error?: unknown; message?: unknown }>();
          expect(typeof answer.error, shown).toBe('string');
          expect(String(answer.message).length, shown).toBeGreaterThan(5);
        }
      }),
      { numRuns: RUNS },
    );
    expect((await t.app.inject({ method: 'GET', url: '/readyz' })).statusCode).toBe(200);
    // Every route was asked, and the generator reached real work as well as the validators.
    expect([...asked].sort()).toEqual(routes.map((route) => `${route.method} ${route.path}`).sort());
    const succeeded = [...statuses].filter(([status]) => status < 300).reduce((sum, [, count]) => sum + count, 0);
    expect(succeeded, JSON.stringify([...statuses])).toBeGreaterThan(RUNS / 20);
    expect(statuses.get(400) ?? 0).toBeGreaterThan(RUNS / 5);
  }, 600_000);
});
