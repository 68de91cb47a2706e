/**
 * The export API (docs/privacy.md, "Export") on both databases, through the real routes:
 * events sent through POST /v1/batch come back field by field (NDJSON and CSV), a user export
 * has every kind of record, exports read one snapshot, a client that goes away releases the
 * transaction, hostile parameters are 400s naming the field, projects are isolated, and a
 * write key reads nothing.
 */
import { get as httpGet, type ClientRequest } from 'node:http';
import type { AddressInfo } from 'node:net';
import fc from 'fast-check';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EVENT_CSV_COLUMNS, USER_EXPORT_KINDS } from '@uptake/protocol';
import { loadConfig } from '../../src/config.ts';
import { createSegmentWatcher } from '../../src/plays/segment-watcher.ts';
import { userHash } from '../../src/projects/keys.ts';
import type { ProjectKeys } from '../../src/projects/keys.ts';
import { EXPORT_PAGE_ROWS, eventRows } from '../../src/privacy/events-export.ts';
import { DEFAULT_EXPORT_STALL_MS } from '../../src/privacy/export.route.ts';
import { inSnapshot } from '../../src/privacy/snapshot.ts';
import { PERSONAL_DATA_TABLES } from '../../src/privacy/personal-data.ts';
import { TABLES_WITHOUT_USER_DATA, USER_EXPORT_TABLES } from '../../src/privacy/user-export.ts';
import { fillScorePoints, foldScorePoints } from '../../src/derived/score-points.ts';
import { testDatabaseKinds } from '../support/databases.ts';
import { createTestApp, type TestApp } from '../support/test-app.ts';

const DAY_MS = 86_400_000;
const daysAgo = (days: number, minute = 0) => new Date(Date.UTC(new Date().getUTCFullYear(), new Date().getUTCMonth(), new Date().getUTCDate()) - days * DAY_MS + minute * 60_000).toISOString();
const dayOf = (iso: string) => iso.slice(0, 10);

/** RFC 4180 records (quoted fields with "" escapes, CRLF line ends). */
function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const char = text[i]!;
    if (quoted) {
      if (char === '"' && text[i + 1] === '"') {
        field += '"';
        i++;
      } else if (char === '"') quoted = false;
      else field += char;
    } else if (char === '"') quoted = true;
    else if (char === ',') {
      row.push(field);
      field = '';
    } else if (char === '\r' && text[i + 1] === '\n') {
      row.push(field);
      rows.push(row);
      row = [];
      field = '';
      i++;
    } else field += char;
  }
  return rows;
}

/**
 * 16 MB of events on one day, more than loopback buffers hold (so an export nobody reads stays
 * open), and the app listening: the CSV export URL of that day and the headers to read it.
 */
async function listenWithBigDay(t: TestApp) {
  const day = dayOf(daysAgo(45));
  const padding = 'x'.repeat(4000);
  for (let batch = 0; batch < 40; batch++) {
    const batchEvents = Array.from({ length: 100 }, (_, index) => ({ type: 'track', messageId: `big-${batch}-${index}`, event: 'Big', userId: `big-${index}`, timestamp: daysAgo(45, index), properties: { padding } }));
    const response = await t.app.inject({ method: 'POST', url: '/v1/batch', headers: { authorization: `Bearer ${t.project.writeKey}` }, payload: { batch: batchEvents } });
    expect(response.statusCode, response.body).toBe(200);
  }
  await t.app.listen({ port: 0, host: '127.0.0.1' });
  const { port } = t.app.server.address() as AddressInfo;
  return { day, url: `http://127.0.0.1:${port}/v1/events/export?from=${day}&to=${day}&format=csv`, headers: { authorization: `Bearer ${t.project.secretKey}` } };
}

/**
 * A plain HTTP client on a socket of its own that reads the first bytes and then stops reading;
 * it goes away by `request.destroy()`. (A fetch aborted here left its socket open, and closing the
 * app then waited about 70 s for the server's keep-alive timeout.)
 */
async function stopReading(url: string, headers: Record<string, string>) {
  let request!: ClientRequest;
  const status = await new Promise<number | undefined>((resolve, reject) => {
    request = httpGet(url, { headers, agent: false }, (response) =>
      response.once('data', () => {
        response.pause();
        resolve(response.statusCode);
      }),
    );
    request.once('error', reject);
  });
  return { status, request };
}

const ndjsonLines = (text: string) => text.split('\n').filter((line) => line !== '').map((line) => JSON.parse(line) as Record<string, any>);

describe('the export stall setting', () => {
  it('reads UPTAKE_EXPORT_STALL_SECONDS (default 30) and refuses a value out of range, naming it', () => {
    expect(loadConfig({}).exportStallMs).toBe(DEFAULT_EXPORT_STALL_MS);
    expect(loadConfig({ UPTAKE_EXPORT_STALL_SECONDS: '2.5' }).exportStallMs).toBe(2500);
    for (const value of ['0', '-1', 'soon', '3601']) expect(() => loadConfig({ UPTAKE_EXPORT_STALL_SECONDS: value })).toThrow('invalid environment variable UPTAKE_EXPORT_STALL_SECONDS');
  });
});

describe.each(testDatabaseKinds)('export on %s', (kind) => {
  let t: TestApp;
  let other: ProjectKeys;
  let sequence = 0;
  const id = (prefix: string) => `${prefix}-${String(++sequence).padStart(6, '0')}`;

  const send = async (batch: unknown[], writeKey = t.project.writeKey) => {
    const response = await t.app.inject({ method: 'POST', url: '/v1/batch', headers: { authorization: `Bearer ${writeKey}` }, payload: { batch } });
    expect(response.statusCode, response.body).toBe(200);
    return response.json() as { rejected: unknown[] };
  };
  const get = (url: string, key = t.project.secretKey) => t.app.inject({ method: 'GET', url, headers: { authorization: `Bearer ${key}` } });

  beforeAll(async () => {
    // Score points filled and folded by the test itself (below), so their records are certain.
    t = await createTestApp(kind, { webhooks: { dispatch: false, allowPrivate: true }, scorePoints: { run: false } });
    await fillScorePoints(t.app.store.db, t.project.projectId, 1);
    other = await t.createProject('Other');
  });
  afterAll(async () => t?.close());

  it('exports every event of the range as it was sent, field by field (NDJSON), and nothing outside it', async () => {
    const sent = [
      { type: 'track', messageId: id('eq'), event: 'Report Created', userId: 'eq-u1', timestamp: daysAgo(3, 10), properties: { n: 1, nested: { a: [1, 'two', null] }, emoji: '💥' }, context: { page: { path: '/r' }, groupId: 'acme' }, integrations: { All: true } },
      { type: 'page', messageId: id('eq'), name: 'Pricing', anonymousId: 'eq-anon', timestamp: daysAgo(3, 11), properties: { path: '/pricing' } },
      { type: 'identify', messageId: id('eq'), userId: 'eq-u1', anonymousId: 'eq-anon', timestamp: daysAgo(2, 12), traits: { email: 'a@example.com', plan: 'pro' } },
      { type: 'group', messageId: id('eq'), userId: 'eq-u1', groupId: 'acme', timestamp: daysAgo(2, 13), traits: { seats: 12 } },
      { type: 'track', messageId: id('eq'), event: 'Outside', userId: 'eq-u1', timestamp: daysAgo(10) },
    ];
    expect((await send(sent)).rejected).toEqual([]);
    await send([{ type: 'track', messageId: id('eq-other'), event: 'Other Project', userId: 'eq-u1', timestamp: daysAgo(3, 10) }], other.writeKey);

    const response = await get(`/v1/events/export?from=${dayOf(daysAgo(3))}&to=${dayOf(daysAgo(2))}`);
    expect(response.statusCode).toBe(200);
    expect(response.headers['content-type']).toBe('application/x-ndjson; charset=utf-8');
    const exported = ndjsonLines(response.body).filter((event) => String(event['messageId']).startsWith('eq-'));
    const inRange = sent.slice(0, 4);
    expect(exported.map((event) => event['messageId']).sort()).toEqual(inRange.map((event) => event.messageId).sort());
    for (const event of inRange) {
      const out = exported.find((line) => line['messageId'] === event.messageId)!;
      for (const [field, value] of Object.entries(event)) {
        expect(out[field], `${event.messageId}.${field}`).toEqual(field === 'timestamp' ? new Date(value as string).toISOString() : value);
      }
      expect(typeof out['receivedAt']).toBe('string');
    }
    expect(exported.find((line) => line['type'] === 'track')!['accountId']).toBe('acme');

    // Timestamps narrow to the minute: only the page at minute 11 of that day.
    const narrow = ndjsonLines((await get(`/v1/events/export?from=${encodeURIComponent(daysAgo(3, 11))}&to=${encodeURIComponent(daysAgo(3, 11))}`)).body);
    expect(narrow.map((event) => event['messageId'])).toEqual([sent[1]!.messageId]);
  });

  it('writes CSV with the documented columns, every field back as sent and no cell a spreadsheet would run', async () => {
    const hostile = ['=HYPERLINK("http://evil.example","x")', '+1', '-2+3', '@SUM(A1)', '\tcmd', '\r=1', 'a,b', 'say "hi"', 'line\nbreak'];
    const sent = hostile.map((text, index) => ({ type: 'track', messageId: id('csv'), event: text, userId: text, anonymousId: `csv-anon-${index}`, timestamp: daysAgo(20, index), properties: { text } }));
    expect((await send(sent)).rejected).toEqual([]);
    const response = await get(`/v1/events/export?from=${dayOf(daysAgo(20))}&to=${dayOf(daysAgo(20))}&format=csv`);
    expect(response.statusCode).toBe(200);
    expect(response.headers['content-type']).toBe('text/csv; charset=utf-8');
    const [header, ...rows] = parseCsv(response.body);
    expect(header).toEqual([...EVENT_CSV_COLUMNS]);
    expect(rows).toHaveLength(sent.length);
    const column = (name: (typeof EVENT_CSV_COLUMNS)[number]) => EVENT_CSV_COLUMNS.indexOf(name);
    for (const event of sent) {
      const row = rows.find((cells) => cells[column('messageId')] === event.messageId)!;
      expect(row).toBeDefined();
      for (const cell of row) expect(['=', '+', '-', '@', '\t', '\r']).not.toContain(cell.charAt(0));
      const unneutralised = (cell: string) => (/^'[=+\-@\t\r]/.test(cell) ? cell.slice(1) : cell);
      expect(unneutralised(row[column('event')]!)).toBe(event.event);
      expect(unneutralised(row[column('userId')]!)).toBe(event.userId);
      expect(row[column('anonymousId')]).toBe(event.anonymousId);
      expect(row[column('type')]).toBe('track');
      expect(row[column('timestamp')]).toBe(new Date(event.timestamp).toISOString());
      expect(JSON.parse(row[column('properties')]!)).toEqual(event.properties);
      expect(row[column('sentAt')]).toBe('');
    }
  });

  it('answers a user export with every kind of record, from the user and the anonymous ids linked to them', async () => {
    const created = await t.app.inject({ method: 'POST', url: '/v1/webhooks', headers: { authorization: `Bearer ${t.project.secretKey}` }, payload: { url: 'http://127.0.0.1:9/hook', events: ['nps.response'] } });
    expect(created.statusCode, created.body).toBe(201);
    const hash = userHash(t.project.identitySecret, 'alice');
    expect(
      (
        await send([
          { type: 'page', messageId: id('al'), anonymousId: 'alice-anon', name: 'Home', timestamp: daysAgo(61) },
          { type: 'group', messageId: id('al'), anonymousId: 'alice-anon', groupId: 'anon-co', timestamp: daysAgo(61, 1), traits: {} },
          { type: 'track', messageId: id('al'), userId: 'alice', event: 'Report Created', timestamp: daysAgo(60) },
          { type: 'identify', messageId: id('al'), userId: 'alice', anonymousId: 'alice-anon', timestamp: daysAgo(60, 1), traits: { email: 'alice@example.com' } },
          { type: 'group', messageId: id('al'), userId: 'alice', groupId: 'alice-co', timestamp: daysAgo(60, 2), traits: { seats: 5 }, context: { userHash: hash } },
          { type: 'track', messageId: id('al'), userId: 'alice', event: 'Report Created', timestamp: daysAgo(2) },
          { type: 'track', messageId: id('al'), userId: 'bob', event: 'Report Created', timestamp: daysAgo(2) },
        ])
      ).rejected,
    ).toEqual([]);
    // A rejected event (no name) keeps its payload in the ingestion warnings.
    expect((await send([{ type: 'track', messageId: id('al-bad'), userId: 'alice', timestamp: daysAgo(1) }])).rejected).toHaveLength(1);
    // A prompt shown (the widget route records the contact), then answered.
    const widget = await t.app.inject({ method: 'GET', url: `/v1/widgets/nps?userId=alice&userHash=${hash}`, headers: { authorization: `Bearer ${t.project.writeKey}` } });
    expect([widget.statusCode, widget.json().show], widget.body).toEqual([200, true]);
    expect((await send([{ type: 'track', messageId: id('al'), userId: 'alice', event: '$nps_response', timestamp: daysAgo(0), properties: { score: 4, comment: 'slow' } }])).rejected).toEqual([]);
    // A campaign assignment, as GET /v1/widgets/messages records one (docs/campaigns.md).
    await t.app.store.db.insertInto('campaign_assignments').values({ project_id: t.project.projectId, campaign_id: 'cmp_welcome', user_id: 'alice', group: 'holdout', assigned_at: new Date() }).execute();

    // Her score points folded; one more day of hers still queued (docs/architecture.md, "Scores at scale").
    while ((await foldScorePoints(t.app.store.db, t.project.projectId)) > 0);
    await t.app.store.db.insertInto('score_point_queue').values({ project_id: t.project.projectId, anonymous: false, subject_id: 'alice', day: dayOf(daysAgo(2)) }).execute();

    // The segment watcher records the user segments alice is in (a baseline).
    const watcher = createSegmentWatcher({ db: t.app.store.db, changeTracker: t.app.changeTracker, log: { warn: () => {}, debug: () => {} } });
    expect((await watcher.checkProject(t.project.projectId)).status).toBe('recorded');

    const response = await get('/v1/users/alice/export');
    expect(response.statusCode, response.body).toBe(200);
    expect(response.headers['content-type']).toBe('application/x-ndjson; charset=utf-8');
    const records = ndjsonLines(response.body);
    expect(new Set(records.map((record) => record['kind']))).toEqual(new Set(USER_EXPORT_KINDS));
    expect(records[0]).toMatchObject({ kind: 'export', userId: 'alice' });
    const events = records.filter((record) => record['kind'] === 'event');
    expect(events).toHaveLength(7);
    expect(events.some((event) => event['anonymousId'] === 'alice-anon' && event['userId'] === null)).toBe(true);
    expect(records.find((record) => record['kind'] === 'user')!['traits']).toEqual({ email: 'alice@example.com' });
    expect(records.filter((record) => record['kind'] === 'identity')).toEqual([expect.objectContaining({ anonymousId: 'alice-anon' })]);
    expect(records.filter((record) => record['kind'] === 'membership').map((record) => record['accountId']).sort()).toEqual(['alice-co', 'anon-co']);
    expect(records.find((record) => record['kind'] === 'webhook_delivery')!['payload']).toMatchObject({ data: { userId: 'alice', comment: 'slow' } });
    expect(records.filter((record) => record['kind'] === 'ingestion_warning')).toHaveLength(1);
    // Nothing of bob's.
    expect(JSON.stringify(records)).not.toContain('bob');
  });

  it('refuses an unknown user, another project’s user and a write key', async () => {
    expect((await get('/v1/users/nobody/export')).json()).toMatchObject({ error: 'user_not_found' });
    expect((await get('/v1/users/alice/export', other.secretKey)).statusCode).toBe(404);
    for (const url of ['/v1/users/alice/export', `/v1/events/export?from=${dayOf(daysAgo(3))}&to=${dayOf(daysAgo(1))}`]) {
      expect((await get(url, t.project.writeKey)).statusCode).toBe(401);
      expect((await t.app.inject({ method: 'GET', url })).statusCode).toBe(401);
    }
    const otherExport = ndjsonLines((await get(`/v1/events/export?from=${dayOf(daysAgo(3))}&to=${dayOf(daysAgo(3))}`, other.secretKey)).body);
    expect(otherExport.map((event) => event['event'])).toEqual(['Other Project']);
  });

  it('answers hostile parameters with a 400 naming the field', async () => {
    const good = { from: dayOf(daysAgo(3)), to: dayOf(daysAgo(1)), format: 'ndjson' };
    const hostile = fc.oneof(
      fc.string({ maxLength: 50 }),
      fc.constantFrom('', '2026-02-30', '1999-12-31', '9999-01-01', '2026-1-1', 'NaN', '2026-12-05T25:00:00Z', '2026-12-05T10:00:00', '%00', '\u0000', '\ud800', '2026-12-05T10:00:00+99:00', 'x'.repeat(5000)),
    );
    await fc.assert(
      fc.asyncProperty(fc.constantFrom('from', 'to', 'format'), hostile, async (field, value) => {
        const query = new URLSearchParams({ ...good, [field]: value });
        const response = await get(`/v1/events/export?${query}`);
        if (response.statusCode === 200) return;
        expect(response.statusCode, response.body).toBe(400);
        expect(response.json().path).toBe(field);
      }),
      { numRuns: 150 },
    );
    const missing = await get(`/v1/events/export?to=${good.to}`);
    expect([missing.statusCode, missing.json().path]).toEqual([400, 'from']);
    const reversed = await get(`/v1/events/export?from=${good.to}&to=${good.from}`);
    expect([reversed.statusCode, reversed.json().path]).toEqual([400, 'from']);
    const longId = await get('/v1/users/a%00b/export');
    expect([longId.statusCode, longId.json().path], longId.body).toEqual([400, 'userId']);
  });

  it('reads one snapshot: events committed while an export streams do not appear in it', async () => {
    const day = dayOf(daysAgo(40));
    const before = Array.from({ length: EXPORT_PAGE_ROWS * 3 }, (_, index) => ({ type: 'track', messageId: `snap-b-${String(index).padStart(5, '0')}`, event: 'Before', userId: `snap-${index % 7}`, timestamp: daysAgo(40, index % 600) }));
    for (let i = 0; i < before.length; i += 250) await send(before.slice(i, i + 250));
    const filter = { projectId: t.project.projectId, from: new Date(`${day}T00:00:00Z`), to: new Date(`${day}T23:59:59.999Z`) };
    // The route's reader, pulled by hand: the first page is read, then more events commit, then the rest.
    const rows = inSnapshot(t.app.store.db, (trx) => eventRows(trx, filter));
    const first = await rows.next();
    const seen = [first.value!.message_id];
    // Keys sorting after every existing one: without a snapshot, the later pages would read them.
    const during = Array.from({ length: 50 }, (_, index) => ({ type: 'track', messageId: `snap-z-${index}`, event: 'During', userId: 'snap-during', timestamp: daysAgo(40, 5) }));
    const ingest = send(during);
    // On Postgres the insert commits meanwhile; PGlite (one connection) runs it once the export ends.
    if (kind === 'postgres') await ingest;
    for await (const row of rows) seen.push(row.message_id);
    await ingest;
    expect(seen.filter((messageId) => messageId.startsWith('snap-z-'))).toEqual([]);
    expect(seen).toHaveLength(before.length);
    // A later export sees them.
    const after = ndjsonLines((await get(`/v1/events/export?from=${day}&to=${day}`)).body);
    expect(after.filter((event) => event['event'] === 'During')).toHaveLength(during.length);
    expect(after.filter((event) => event['event'] === 'Before')).toHaveLength(before.length);
  });

  it('limits exports running at once (429 export_busy), and a client that goes away releases its snapshot', async () => {
    const { day, url, headers } = await listenWithBigDay(t);
    // The app's limit: one on PGlite (one connection), half the pool (10) on Postgres.
    const limit = kind === 'pglite' ? 1 : 5;
    const clients: ClientRequest[] = [];
    for (let i = 0; i < limit; i++) {
      const client = await stopReading(url, headers);
      expect(client.status).toBe(200);
      clients.push(client.request);
    }
    const busy = await fetch(url, { headers });
    expect(busy.status).toBe(429);
    expect(busy.headers.get('retry-after')).toBe('5');
    expect(await busy.json()).toMatchObject({ error: 'export_busy' });
    for (const client of clients) client.destroy();
    // Released once the server sees the connections close: the next export runs to its end.
    for (let attempt = 0; ; attempt++) {
      const next = await get(`/v1/events/export?from=${day}&to=${day}&format=csv`);
      if (next.statusCode === 200) {
        expect(parseCsv(next.body).length).toBe(4001);
        break;
      }
      expect(next.statusCode).toBe(429);
      if (attempt > 100) throw new Error('exports still running long after their clients went away');
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    if (kind === 'postgres') {
      for (let attempt = 0; ; attempt++) {
        const { rows } = await sql<{ n: number }>`select count(*)::int as n from pg_stat_activity where datname = current_database() and state like 'idle in transaction%'`.execute(t.app.store.db);
        if (rows[0]!.n === 0) break;
        if (attempt > 100) throw new Error(`${rows[0]!.n} session(s) still in a transaction after the clients went away`);
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    }
  }, 120_000);

  it('ends an export whose client stays connected but takes nothing for the stall time, freeing its place', async () => {
    const stalling = await createTestApp(kind, { scorePoints: { run: false }, exportStallMs: 1000 });
    try {
      const { url, headers } = await listenWithBigDay(stalling);
      const client = await stopReading(url, headers);
      expect(client.status).toBe(200);
      // The client neither reads nor goes away: a 429 until the server ends that export, 1 s
      // after its socket last took anything; then the next export runs to its end.
      let next = await fetch(url, { headers });
      const started = Date.now();
      while (next.status === 429 && Date.now() - started < 20_000) {
        await new Promise((resolve) => setTimeout(resolve, 100));
        next = await fetch(url, { headers });
      }
      expect(next.status).toBe(200);
      expect(parseCsv(await next.text()).length).toBe(4001);
      client.request.destroy();
    } finally {
      await stalling.close();
    }
  }, 120_000);

  it('closes the app without waiting for an export whose client stopped reading', async () => {
    // The default stall time (30 s): only ending the export on close lets the close return first.
    const closing = await createTestApp(kind, { scorePoints: { run: false } });
    const { url, headers } = await listenWithBigDay(closing);
    const client = await stopReading(url, headers);
    expect(client.status).toBe(200);
    const started = Date.now();
    await closing.close();
    expect(Date.now() - started).toBeLessThan(DEFAULT_EXPORT_STALL_MS / 2);
    client.request.destroy();
  }, 120_000);

  it('covers every table that can hold a person (the database’s own catalogue)', async () => {
    const { rows } = await sql<{ table_name: string }>`
      select distinct table_name from information_schema.columns
      where table_schema = current_schema() and column_name in ('user_id', 'anonymous_id', 'subject_id', 'member_id', 'traits', 'payload')
        and table_name not like 'kysely_%'`.execute(t.app.store.db);
    const covered = new Set<string>([...Object.keys(USER_EXPORT_TABLES), ...TABLES_WITHOUT_USER_DATA]);
    expect(rows.map((row) => row.table_name).filter((table) => !covered.has(table))).toEqual([]);
    // Every table the deletion plan says holds something of a user is exported.
    expect(PERSONAL_DATA_TABLES.filter((entry) => entry.user !== 'none' && !(entry.table in USER_EXPORT_TABLES)).map((entry) => entry.table)).toEqual([]);
  });
});
