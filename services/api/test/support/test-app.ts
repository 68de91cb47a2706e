import type { FastifyInstance } from 'fastify';
import { pino } from 'pino';
import { buildApp } from '../../src/app.ts';
import type { Config } from '../../src/config.ts';
import { createProject } from '../../src/projects/projects.queries.ts';
import type { ProjectKeys } from '../../src/projects/keys.ts';
import { createTestDatabase, type TestDatabaseKind } from './databases.ts';

export type TestApp = {
  app: FastifyInstance;
  project: ProjectKeys;
  /** Another project in the same database, for isolation checks. */
  createProject(name?: string, allowedOrigins?: string[]): Promise<ProjectKeys>;
  close(): Promise<void>;
};

export function testConfig(database: Config['database'], overrides: Partial<Config> = {}): Config {
  return {
    host: '127.0.0.1',
    port: 0,
    logLevel: 'silent',
    database,
    rateLimitPerSecond: 0,
    rateLimitBurst: 1,
    // Exact answers right after each ingest; the staleness window has its own test.
    figureMaxStalenessMs: 0,
    retryAfterSeconds: 5,
    ...overrides,
  };
}

/**
 * Builds the real app on a fresh database of the given kind, with one project.
 *
 * @example
 * const t = await createTestApp('pglite');
 * await t.app.inject({ method: 'POST', url: '/v1/batch', headers: { authorization: `Bearer ${t.project.writeKey}` }, payload });
 */
export async function createTestApp(kind: TestDatabaseKind, overrides: Partial<Config> = {}): Promise<TestApp> {
  const database = await createTestDatabase(kind);
  const app = await buildApp(testConfig(database.config, overrides), { logger: pino({ level: 'silent' }) });
  const make = async (name = 'Test', allowedOrigins?: string[]) =>
    createProject(app.store.db, { name, ...(allowedOrigins ? { allowedOrigins } : {}) });
  const project = await make();
  return {
    app,
    project,
    createProject: make,
    close: async () => {
      await app.close();
      await database.drop();
    },
  };
}

/** `Authorization` header for a write key (Basic, as Segment's libraries send it). */
export const basicAuth = (writeKey: string) => `Basic ${Buffer.from(`${writeKey}:`).toString('base64')}`;
