import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { sql, type Kysely } from 'kysely';
import type { DatabaseConfig } from '../config.ts';
import type { Database } from '../db/database.ts';
import { migrations } from '../db/migrations/index.ts';
import { DEMO_PROJECT_FILE, type DemoProjectFile } from '../demo/demo-project.ts';
import { hashSecretKey } from '../projects/keys.ts';
import { fail, ok, warn, type Check } from './check.ts';

/** Past it, receive times, day boundaries and leases disagree between the service and the database. */
export const MAX_CLOCK_SKEW_MS = 2000;

/** Projects named one by one; past it, a count. */
const LISTED_PROJECTS = 10;

export type DatabaseCheckOptions = {
  /** This machine's clock (tests move it to see the skew check fire). */
  now: () => number;
  /** Where `uptake start` and `uptake demo` keep the demo project's keys (the PGlite data dir, or `.uptake`). */
  keysDir: string;
};

/**
 * The database behind a deployment, read without changing anything: the schema (every migration
 * applied, none unknown), the server, Citus, the clock, and the projects' settings and keys. Runs
 * only once the database answered (`databaseReachable`).
 */
export async function databaseChecks(db: Kysely<Database>, database: DatabaseConfig, options: DatabaseCheckOptions): Promise<Check[]> {
  const checks: Check[] = [];
  checks.push(...(await serverChecks(db, database)));
  checks.push(await clockCheck(db, options.now));
  const schema = await migrationCheck(db);
  checks.push(schema.check);
  // Settings live in tables an unmigrated database may not have.
  if (schema.migrated) checks.push(...(await projectChecks(db, options.keysDir)));
  return checks;
}

/** The first query: fails with the driver's own words when the database cannot be reached. */
export async function databaseReachable(db: Kysely<Database>, database: DatabaseConfig): Promise<Check> {
  const where = describeDatabase(database);
  try {
    await sql`select 1`.execute(db);
    return ok('database', `${where} answers`);
  } catch (error) {
    const reason = error instanceof Error ? error.message || (error as { code?: string }).code || error.name : String(error);
    return fail('database', `${where} cannot be reached: ${reason}`, database.kind === 'postgres' ? 'check DATABASE_URL (host, port, user, database name) and that the server is running' : 'check the data dir');
  }
}

/** `postgres://host:port/name` without user or password; the PGlite data dir. */
export function describeDatabase(database: DatabaseConfig): string {
  if (database.kind === 'pglite') return `embedded PGlite in ${database.dataDir}`;
  try {
    const url = new URL(database.url);
    return `Postgres at ${url.hostname}${url.port ? `:${url.port}` : ''}${url.pathname}`;
  } catch {
    return 'Postgres (DATABASE_URL)';
  }
}

async function serverChecks(db: Kysely<Database>, database: DatabaseConfig): Promise<Check[]> {
  const checks: Check[] = [];
  const settings = await sql<{ name: string; setting: string }>`
    select name, setting from pg_settings where name in ('server_version', 'server_version_num', 'synchronous_commit', 'max_connections', 'superuser_reserved_connections')`.execute(db);
  const setting = new Map(settings.rows.map((row) => [row.name, row.setting]));
  const version = setting.get('server_version') ?? '?';
  const versionNum = Number(setting.get('server_version_num') ?? 0);
  if (versionNum > 0 && versionNum < 150000) {
    checks.push(fail('postgres', `server version ${version}: Uptake needs Postgres 15 or newer`, 'upgrade the server to Postgres 15+'));
  } else checks.push(ok('postgres', database.kind === 'pglite' ? `PGlite (Postgres ${version})` : `server version ${version}`));

  const citus = await sql<{ extversion: string }>`select extversion from pg_extension where extname = 'citus'`.execute(db);
  checks.push(ok('citus', citus.rows[0] ? `Citus ${citus.rows[0].extversion} is installed` : 'not installed (one Postgres server holds every table)'));

  if (database.kind === 'postgres') {
    if (setting.get('synchronous_commit') === 'off') {
      checks.push(warn('postgres', 'synchronous_commit is off: a server crash can lose events that were already acknowledged with 200', "set synchronous_commit = on (or 'local') for the Uptake database"));
    }
    const max = Number(setting.get('max_connections') ?? 0);
    const reserved = Number(setting.get('superuser_reserved_connections') ?? 0);
    // Each instance opens its pool plus one listening connection for the change feed.
    if (max > 0 && database.poolSize + 1 > max - reserved) {
      checks.push(warn('postgres', `DATABASE_POOL_SIZE=${database.poolSize} (+1 for the change feed) exceeds the server's max_connections ${max} (${reserved} reserved)`, 'lower DATABASE_POOL_SIZE or raise max_connections; count every instance'));
    } else if (max > 0) checks.push(ok('postgres', `DATABASE_POOL_SIZE=${database.poolSize} within max_connections ${max} (count every instance)`));
  }
  return checks;
}

/** The database's clock against this machine's: the midpoint of the round trip is when it answered. */
async function clockCheck(db: Kysely<Database>, now: () => number): Promise<Check> {
  const before = now();
  const result = await sql<{ ms: number | string }>`select extract(epoch from clock_timestamp()) * 1000 as ms`.execute(db);
  const after = now();
  const skew = Number(result.rows[0]!.ms) - (before + after) / 2;
  const seconds = (Math.abs(skew) / 1000).toFixed(1);
  if (Math.abs(skew) - (after - before) / 2 > MAX_CLOCK_SKEW_MS) {
    return warn('clock', `the database clock is ${seconds} s ${skew > 0 ? 'ahead of' : 'behind'} this machine's (more than ${MAX_CLOCK_SKEW_MS / 1000} s): receive times, retention days and webhook leases mix both`, 'keep both clocks synchronised (chrony or systemd-timesyncd)');
  }
  return ok('clock', `within ${MAX_CLOCK_SKEW_MS / 1000} s of the database (${seconds} s apart)`);
}

async function migrationCheck(db: Kysely<Database>): Promise<{ check: Check; migrated: boolean }> {
  const known = Object.keys(migrations);
  const table = await sql<{ present: boolean }>`select to_regclass('kysely_migration') is not null as present`.execute(db);
  const applied = table.rows[0]?.present ? (await sql<{ name: string }>`select name from kysely_migration order by name`.execute(db)).rows.map((row) => row.name) : [];
  const appliedSet = new Set(applied);
  const pending = known.filter((name) => !appliedSet.has(name));
  const unknown = applied.filter((name) => !(name in migrations));
  if (unknown.length > 0) {
    return {
      check: fail('migrations', `the database has ${unknown.length} migration(s) this version of Uptake does not know (${unknown.join(', ')}): a newer version migrated it`, 'run the version that migrated it (migrations are forward-only)'),
      migrated: pending.length === 0,
    };
  }
  if (pending.length > 0) {
    const listed = pending.length > 3 ? `${pending.slice(0, 3).join(', ')} …` : pending.join(', ');
    return {
      check: fail('migrations', `${pending.length} of ${known.length} migrations not applied: ${listed}`, '`uptake migrate` (or start `uptake serve`, which migrates first)'),
      migrated: false,
    };
  }
  return { check: ok('migrations', `all ${known.length} applied (latest ${known.at(-1)})`), migrated: true };
}

type ProjectRow = { project_id: string; name: string; allowed_origins: string[] | string; settings: Record<string, unknown> | string; secret_key_hash: string };

async function projectChecks(db: Kysely<Database>, keysDir: string): Promise<Check[]> {
  const rows = (await db.selectFrom('projects').select(['project_id', 'name', 'allowed_origins', 'settings', 'secret_key_hash']).orderBy('created_at').execute()) as ProjectRow[];
  if (rows.length === 0) return [warn('projects', 'no project yet', '`uptake project create --name <name>` (prints its keys once)')];
  const checks: Check[] = [ok('projects', `${rows.length} project(s)`)];
  const json = <T>(value: T | string): T => (typeof value === 'string' ? (JSON.parse(value) as T) : value);
  const listed = (projects: ProjectRow[]) =>
    `${projects.slice(0, LISTED_PROJECTS).map(named).join(', ')}${projects.length > LISTED_PROJECTS ? ` and ${projects.length - LISTED_PROJECTS} more` : ''}`;

  const anyOrigin = rows.filter((row) => json<string[]>(row.allowed_origins).length === 0);
  checks.push(
    anyOrigin.length === 0
      ? ok('origins', 'every project lists its allowed origins')
      : warn('origins', `accepting events and widget reads from any origin: ${listed(anyOrigin)}`, '`uptake project set --allowed-origins https://app.example.com --project <id>` (or PATCH /v1/project)'),
  );
  const unverified = rows.filter((row) => json<Record<string, unknown>>(row.settings)['requireUserHash'] !== true);
  checks.push(
    unverified.length === 0
      ? ok('identity', 'every project requires a userHash with each userId')
      : warn('identity', `identity verification off (anyone holding the public write key can send events as any userId): ${listed(unverified)}`, '`uptake project set --require-user-hash on --project <id>` once your backend sends userHash (docs/protocol.md, "Identity verification")'),
  );
  checks.push(demoKeysCheck(rows, keysDir));
  return checks;
}

/**
 * `uptake start` (and `uptake demo`) make a project whose keys, the secret one included, are
 * written in clear to `<keysDir>/demo-project.json` and printed at every start: keys for a local
 * try, never for production data.
 */
function demoKeysCheck(rows: ProjectRow[], keysDir: string): Check {
  const path = join(keysDir, DEMO_PROJECT_FILE);
  if (!existsSync(path)) return ok('keys', `no demo project keys (${path})`);
  let file: DemoProjectFile;
  try {
    file = JSON.parse(readFileSync(path, 'utf8')) as DemoProjectFile;
  } catch {
    return warn('keys', `${path} cannot be read as the demo project's keys`, `delete ${path}`);
  }
  const project = rows.find((row) => row.project_id === file.projectId);
  if (!project) return warn('keys', `${path} holds keys of a project this database does not have`, `delete ${path}`);
  if (typeof file.secretKey === 'string' && hashSecretKey(file.secretKey) === project.secret_key_hash) {
    return fail(
      'keys',
      `${named(project)} is the demo project of \`uptake start\`: its secret key is stored in clear in ${path} and printed at every start`,
      `serve real data from a project made with \`uptake project create\`; if this one is in use, \`uptake project rotate-key --secret --project ${project.project_id}\` and \`--write\`, then delete ${path}`,
    );
  }
  return warn('keys', `${path} holds old keys of ${named(project)} (its secret key was rotated since)`, `delete ${path}`);
}

function named(row: ProjectRow): string {
  return `${row.project_id} (${row.name})`;
}
