import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { buildApp } from '../../src/app.ts';
import type { ProjectKeys } from '../../src/projects/keys.ts';
import { createProject } from '../../src/projects/projects.queries.ts';
import { createTestDatabase, testDatabaseKinds, type TestDatabase } from '../support/databases.ts';
import { basicAuth, testConfig } from '../support/test-app.ts';

type App = FastifyInstance;
type Project = ProjectKeys;
const LIMIT = 5;
let sequence = 0;
const track = (event: string, extra: Record<string, unknown> = {}) => ({ type: 'track', event, userId: 'u1', messageId: `m-${++sequence}`, ...extra });

describe.each(testDatabaseKinds)('per-project limit on distinct event names on %s', (kind) => {
  let database: TestDatabase;
  let app: App;
  beforeAll(async () => {
    database = await createTestDatabase(kind);
    app = await buildApp(testConfig(database.config, { maxEventNamesPerProject: LIMIT }), { logger: pino({ level: 'silent' }) });
  });
  afterAll(async () => {
    await app?.close();
    await database?.drop();
  });

  const send = (target: App, project: Project, batch: unknown[], url = '/v1/batch') =>
    target.inject({ method: 'POST', url, headers: { authorization: basicAuth(project.writeKey) }, payload: (url === '/v1/batch' ? { batch } : batch[0]) as Record<string, unknown> });
  const storedNames = async (project: Project) =>
    (await app.store.db.selectFrom('events').select('event').distinct().where('project_id', '=', project.projectId).where('type', '=', 'track').execute()).map((row) => row.event ?? '').sort();

  it('refuses events with a new name past the limit, by index with path event, and keeps known names working', async () => {
    const project = await createProject(app.store.db, { name: 'names' });
    const first = await send(app, project, ['A', 'B', 'C', 'D'].map((name) => track(name)));
    expect(first.json()).toMatchObject({ accepted: 4, rejected: [] });

    const second = await send(app, project, [track('E'), track('F'), track('A'), track('G'), track('$nps_response', { properties: { score: 9 } }), { type: 'page', name: 'Any page name', anonymousId: 'x', messageId: 'p-1' }]);
    expect(second.statusCode).toBe(200);
    const answer = second.json();
    expect(answer.accepted).toBe(4); // E (the fifth name), A (known), the reserved $nps_response and the page
    expect(answer.rejected.map((rejected: { index: number }) => rejected.index)).toEqual([1, 3]);
    for (const rejected of answer.rejected) {
      expect(rejected.errors).toEqual([{ path: 'event', message: expect.stringContaining(`event_name_limit: this project has reached its limit of ${LIMIT} distinct event names`) }]);
    }
    expect(await storedNames(project)).toEqual(['$nps_response', 'A', 'B', 'C', 'D', 'E']);

    // Known names keep working; a new one sent alone is a 400 naming the field, never a 500.
    expect((await send(app, project, [track('B'), track('E')])).json()).toMatchObject({ accepted: 2, rejected: [] });
    const single = await send(app, project, [track('H')], '/v1/track');
    expect(single.statusCode).toBe(400);
    expect(single.json()).toMatchObject({ error: 'invalid_event', path: 'event' });

    // Kept as ingestion warnings, with what was sent.
    const warnings = await app.store.db.selectFrom('ingestion_warnings').selectAll().where('project_id', '=', project.projectId).where('kind', '=', 'rejected').execute();
    expect(warnings.map((warning) => JSON.parse(warning.payload!).event).sort()).toEqual(['F', 'G', 'H']);
    expect(warnings.every((warning) => warning.errors[0]!.path === 'event')).toBe(true);

    // Each project has its own limit.
    const other = await createProject(app.store.db, { name: 'names-other' });
    expect((await send(app, other, ['F', 'G', 'H'].map((name) => track(name)))).json()).toMatchObject({ accepted: 3, rejected: [] });
  });

  it('concurrent requests with new names admit exactly the limit', async () => {
    const project = await createProject(app.store.db, { name: 'names-concurrent' });
    const answers = await Promise.all(Array.from({ length: 20 }, (_, index) => send(app, project, [track(`N${index}`), track(`N${index}`)])));
    expect(answers.every((answer) => answer.statusCode === 200)).toBe(true);
    const accepted = answers.reduce((sum, answer) => sum + answer.json().accepted, 0);
    expect(accepted).toBe(2 * LIMIT);
    expect((await storedNames(project)).length).toBe(LIMIT);
    const count = await app.store.db.selectFrom('event_name_counts').select('names').where('project_id', '=', project.projectId).executeTakeFirstOrThrow();
    expect(count.names).toBe(LIMIT);
  });

  it.runIf(kind === 'postgres')('two instances on one database share the limit and the known names', async () => {
    const second = await buildApp(testConfig(database.config, { maxEventNamesPerProject: LIMIT }), { logger: pino({ level: 'silent' }) });
    try {
      const project = await createProject(app.store.db, { name: 'names-two-instances' });
      const answers = await Promise.all(Array.from({ length: 12 }, (_, index) => send(index % 2 ? app : second, project, [track(`T${index}`)])));
      expect(answers.reduce((sum, answer) => sum + answer.json().accepted, 0)).toBe(LIMIT);
      const names = await storedNames(project);
      expect(names.length).toBe(LIMIT);
      // A name one instance admitted works on the other, whose cache had never seen it.
      for (const target of [app, second]) expect((await send(target, project, names.map((name) => track(name)))).json()).toMatchObject({ accepted: LIMIT, rejected: [] });
    } finally {
      await second.close();
    }
  });
});
