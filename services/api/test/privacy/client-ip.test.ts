import { Writable } from 'node:stream';
import { pino } from 'pino';
import { sql } from 'kysely';
import { afterEach, describe, expect, it } from 'vitest';
import { acrossProjects } from '../../src/db/across-projects.ts';
import { buildApp } from '../../src/app.ts';
import { createProject } from '../../src/projects/projects.queries.ts';
import { createTestDatabase, testDatabaseKinds, type TestDatabase } from '../support/databases.ts';
import { basicAuth, testConfig } from '../support/test-app.ts';

const IP = '203.0.113.77';

describe.each(testDatabaseKinds)('client IP addresses on %s', (kind) => {
  let close: (() => Promise<void>) | undefined;
  afterEach(async () => {
    await close?.();
    close = undefined;
  });

  /** The app with a log that is kept, one project, and a batch carrying the IP in every place a sender can put it. */
  async function ingestWithIp(storeIp: boolean | undefined) {
    const database: TestDatabase = await createTestDatabase(kind);
    const lines: string[] = [];
    const log = new Writable({ write: (chunk: Buffer, _encoding, done) => (lines.push(chunk.toString()), done()) });
    const app = await buildApp(testConfig(database.config, storeIp === undefined ? {} : { storeIp }), { logger: pino({ level: 'trace' }, log) });
    close = async () => {
      await app.close();
      await database.drop();
    };
    const project = await createProject(app.store.db, { name: 'IP' });
    const response = await app.inject({
      method: 'POST',
      url: '/v1/batch',
      remoteAddress: IP,
      headers: { authorization: basicAuth(project.writeKey), 'x-forwarded-for': IP },
      payload: {
        context: { ip: IP, library: { name: 'analytics-node' } },
        batch: [
          { type: 'track', messageId: 'm1', userId: 'u1', event: 'Report Created', context: { ip: IP, locale: 'de' } },
          { type: 'identify', messageId: 'm2', userId: 'u1', traits: { role: 'admin' } },
          { type: 'track', userId: 'u1', event: 'No Message Id', context: { ip: IP } },
          { type: 'track', messageId: 'm4', userId: 'u1', context: { ip: IP } },
        ],
      },
    });
    expect(response.statusCode, response.body).toBe(200);
    expect(response.json().rejected).toHaveLength(1);
    const events = await app.store.db.selectFrom('events').select(['message_id', 'context', 'extra', 'properties']).where('project_id', '=', project.projectId).orderBy('message_id').execute();
    const warnings = await app.store.db.selectFrom('ingestion_warnings').select(['kind', 'payload']).where('project_id', '=', project.projectId).orderBy('kind').execute();
    // Every text column of every table of the database, as one text: where could the address hide?
    const tables = (await sql<{ table_name: string }>`select table_name from information_schema.tables where table_schema = current_schema() and table_type = 'BASE TABLE'`.execute(app.store.db)).rows;
    let everything = '';
    // Every project's rows: a read across projects (on Citus, across shards).
    await acrossProjects(app.store.db, async (trx) => {
      for (const { table_name } of tables) {
        const rows = await sql<{ row: string }>`select t::text as row from ${sql.table(table_name)} t`.execute(trx);
        everything += rows.rows.map((row) => row.row).join('\n');
      }
    });
    return { events, warnings, everything, log: lines.join('') };
  }

  it('stores no IP address by default: not in events, their context, warnings, any table or the log', async () => {
    const { events, warnings, everything, log } = await ingestWithIp(undefined);
    expect(events).toHaveLength(3);
    expect(events.find((event) => event.message_id === 'm1')?.context).toEqual({ library: { name: 'analytics-node' }, locale: 'de' });
    expect(warnings.map((warning) => warning.kind)).toEqual(['message_id_generated', 'rejected']);
    for (const warning of warnings) expect(JSON.parse(warning.payload!).context).toEqual({});
    expect(everything).not.toContain(IP);
    expect(log).toContain('"url":"/v1/batch"');
    expect(log).not.toContain(IP);
  });

  it('stores context.ip as sent when the operator turns it on (UPTAKE_STORE_IP=1)', async () => {
    const { events, warnings } = await ingestWithIp(true);
    expect(events.find((event) => event.message_id === 'm1')?.context).toEqual({ ip: IP, library: { name: 'analytics-node' }, locale: 'de' });
    // The batch's context applies to every event, its IP too.
    expect(events.find((event) => event.message_id === 'm2')?.context).toMatchObject({ ip: IP });
    for (const warning of warnings) expect(JSON.parse(warning.payload!).context).toEqual({ ip: IP });
  });
});
