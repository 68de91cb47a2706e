import { join } from 'node:path';
import type { Kysely } from 'kysely';
import type { CliValues } from './cli-options.ts';
import { loadConfig, type Config } from './config.ts';
import { openStore } from './db/connect.ts';
import type { Database } from './db/database.ts';
import { migrateToLatest } from './db/migrate.ts';
import { DEMO_DEFAULTS } from './demo/demo-data.ts';
import { doctorExitCode, formatChecks } from './doctor/check.ts';
import { runDoctor } from './doctor/doctor.ts';
import { DEMO_PROJECT_FILE, ensureDemoProject, type DemoProjectFile } from './demo/demo-project.ts';
import { loadDemoProject, type DemoRun } from './demo/load-demo.ts';
import { createChangeTracker } from './derived/change-tracker.ts';
import { rebuildDerivedTables } from './derived/rebuild.ts';
import { expireEvents } from './privacy/expire-events.ts';
import { createProject } from './projects/projects.queries.ts';
import { exportEventsCommand, exportRangeOf, ExportUsageError } from './privacy/export-command.ts';
import { chooseProject, parseOverlap, rotateProjectKey, setProjectSettings, UsageError } from './projects/project-commands.ts';
import { DEFAULT_DELETION_SETTINGS } from './privacy/deletion-worker.ts';
import { deleteFromCommandLine } from './privacy/deletion-commands.ts';
import { startServer } from './server.ts';

const print = (text: string) => process.stdout.write(`${text}\n`);

/**
 * Runs one command of `uptake` (cli.ts has the usage and the arguments) and gives its exit code;
 * -1: it serves, and the process lives on.
 */
export async function runCommand({ command, subcommand, argument, values, usage, env }: { command: string; subcommand: string | undefined; argument: string | undefined; values: CliValues; usage: string; env: NodeJS.ProcessEnv }): Promise<number> {
  const config = loadConfig(
    env,
    {
      ...(values.port ? { port: Number(values.port) } : {}),
      ...(values.host ? { host: values.host } : {}),
      ...(values['data-dir'] ? { dataDir: values['data-dir'] } : {}),
      ...(values.examples ? { examples: true } : {}),
    },
    { examples: command === 'start', warmFigures: true },
  );

  switch (command) {
    case 'serve':
      await startServer(config, (_app, url) => void print(`Uptake listening on ${url} (${describeStore(config)})`));
      return -1;
    case 'start': {
      const demoSize = demoOptions(values);
      // Ctrl-C while the demo data loads: the load stops after the commit in flight (the server
      // closes the store once it is done); the next start carries on where it stopped.
      const stopLoading = new AbortController();
      let loading = false;
      const stop = () => {
        if (loading) process.stderr.write('\n  Stopping: the demo data stored so far is kept; the next start loads the rest.\n');
        stopLoading.abort();
      };
      await startServer(config, async (app, url) => {
        process.once('SIGINT', stop);
        process.once('SIGTERM', stop);
        const keysDir = demoKeysDir(config);
        // The segment watcher waits while the demo data loads, so the demo project's segment
        // history starts with a baseline of the loaded data (docs/plays.md) rather than every
        // account "entering" its segments as the days load. So does the score-points worker: the
        // load makes the kept figures once at its end, far cheaper than folding every day it adds.
        await Promise.all([app.segmentWatcher?.stop(), app.scorePoints.close()]);
        const resume = () => {
          app.segmentWatcher?.start();
          if (config.scorePoints?.run !== false) app.scorePoints.start();
        };
        const demo = await ensureDemoProject(app.store.db, keysDir);
        print(banner(config, url, demo));
        if (demo.demoData) {
          resume();
          print(`  Demo data     ${describeDemoData(demo.demoData)}\n`);
          return;
        }
        process.stderr.write(`  First start: loading ${demoSize.days ?? DEMO_DEFAULTS.days} days of demo data (the API answers meanwhile; figures fill in as it loads)\n`);
        loading = true;
        try {
          const run = await loadDemoProject(app.store.db, app.changeTracker, keysDir, { ...demoSize, progress: process.stderr, signal: stopLoading.signal });
          if (!run.load.stopped) {
            // The start's warm-up ran before the demo project had data: its figures now, before the first reader asks.
            if (config.warmFigures) await app.warmFigures();
            print(`  Demo data     ${describeRun(run)}\n`);
          }
        } catch (error) {
          if (!stopLoading.signal.aborted) throw error;
        } finally {
          loading = false;
          if (!stopLoading.signal.aborted) resume();
        }
      });
      return -1;
    }
    case 'demo':
      return withStore(config, async (db) => {
        const keysDir = demoKeysDir(config);
        const run = await loadDemoProject(db, createChangeTracker(), keysDir, { ...demoOptions(values), progress: process.stderr });
        const { projectId, writeKey, secretKey } = run.project;
        print(`Demo project  ${projectId}  (${run.project.created ? 'created' : 'reused'}; keys in ${join(keysDir, DEMO_PROJECT_FILE)})`);
        print(`  Write key   ${writeKey}`);
        print(`  Secret key  ${secretKey}`);
        print(describeRun(run));
        return 0;
      });
    case 'migrate': {
      const store = await openStore(config.database);
      try {
        const applied = await migrateToLatest(store.db);
        print(applied.length > 0 ? `applied: ${applied.join(', ')}` : 'schema is up to date');
      } finally {
        await store.close();
      }
      return 0;
    }
    case 'doctor': {
      // Changes nothing: no migration, no data dir created (doctor/doctor.ts).
      const checks = await runDoctor(config, { keysDir: demoKeysDir(config) });
      print(values.json ? JSON.stringify(checks) : formatChecks(checks));
      return doctorExitCode(checks);
    }
    case 'rebuild':
      // A rebuild reads every event: no per-query time limit.
      return withStore(
        config,
        async (db) => {
          const started = Date.now();
          // Servers running on the same Postgres hear of it through the change feed; this process caches nothing.
          await rebuildDerivedTables(db, createChangeTracker());
          print(`derived tables rebuilt from the events in ${((Date.now() - started) / 1000).toFixed(1)} s`);
          return 0;
        },
        { readsEveryEvent: true },
      );
    case 'expire':
      return withStore(config, async (db) => {
        if (values.project !== undefined) await chooseProject(db, values.project);
        const done = await expireEvents(db, { batchSize: config.retention?.batchSize, ...(values.project !== undefined ? { projectId: values.project } : {}) });
        if (done.length === 0) print(values.project !== undefined ? 'this project keeps its raw events (no retentionDays)' : 'no project has a retentionDays');
        for (const project of done) {
          print(
            `${project.projectId}: events before ${project.firstKeptDay} expired: ${project.eventsDeleted} track/page events deleted, ` +
              `${project.callsCleared} identify/group calls cleared, ${project.warningsDeleted} ingestion warnings deleted`,
          );
        }
        return 0;
      });
    case 'export': {
      try {
        exportRangeOf(values);
      } catch (error) {
        if (!(error instanceof ExportUsageError)) throw error;
        process.stderr.write(`uptake: ${error.message}\n${EXPORT_USAGE}`);
        return 1;
      }
      // An export reads every event of its range: no per-query time limit.
      return withStore(
        config,
        async (db) => {
          const projectId = await chooseProject(db, values.project);
          const bytes = await exportEventsCommand(db, projectId, values, process.stdout);
          if (values.out !== undefined) print(`exported ${bytes} bytes of events of ${projectId} to ${values.out}`);
          return 0;
        },
        { readsEveryEvent: true, usage: EXPORT_USAGE },
      );
    }
    case 'project': {
      if (subcommand === 'rotate-key' || subcommand === 'set') return projectCommand(config, subcommand, values);
      if (subcommand !== 'create' || !values.name) {
        process.stderr.write(`usage: uptake project create --name <name> [--json]\n${PROJECT_USAGE}`);
        return 1;
      }
      const name = values.name;
      return withStore(config, async (db) => {
        const project = await createProject(db, { name });
        const keys = { projectId: project.projectId, writeKey: project.writeKey, secretKey: project.secretKey, identitySecret: project.identitySecret };
        if (values.json) print(JSON.stringify(keys));
        else {
          print(`Created project "${project.name}"`);
          for (const [key, value] of Object.entries(keys)) print(`  ${key.padEnd(15)} ${value}`);
          print('The secret key is stored hashed and will not be shown again.');
        }
        return 0;
      });
    }
    case 'user':
    case 'account': {
      if (subcommand !== 'delete' || argument === undefined) {
        process.stderr.write(`usage: uptake ${command} delete <${command}Id> [--allow-return] [--project <id>] [--json]\n`);
        return 1;
      }
      const id = argument;
      // A deletion goes through every event of the subject: no per-query time limit.
      return withStore(
        config,
        async (db) => {
          const projectId = await chooseProject(db, values.project);
          const receipt = await deleteFromCommandLine(db, projectId, command, id, {
            allowReturn: values['allow-return'],
            settings: { ...DEFAULT_DELETION_SETTINGS, ...config.deletions },
            changeTracker: createChangeTracker(),
            announceChanges: config.database.kind === 'postgres',
          });
          if (values.json) print(JSON.stringify(receipt));
          else {
            print(`Deleted the ${command} (${receipt.deletionId}, ${receipt.status} at ${receipt.completedAt})`);
            for (const [table, rows] of Object.entries(receipt.rows)) print(`  ${table.padEnd(24)} ${rows}`);
            print(receipt.allowReturn ? 'The id may send events again (--allow-return).' : 'Events naming the id are refused from now on (reason "deleted").');
          }
          return 0;
        },
        { readsEveryEvent: true },
      );
    }
    default:
      process.stderr.write(`unknown command: ${command}\n\n${usage}`);
      return 1;
  }
}

const EXPORT_USAGE = 'usage: uptake export --from <day|time> --to <day|time> [--format ndjson|csv] [--out <file>] [--project <id>]\n';

const PROJECT_USAGE = `       uptake project rotate-key --write|--secret|--identity [--overlap <hours>] [--project <id>] [--json]
       uptake project set [--allowed-origins a,b] [--require-user-hash on|off] [--project <id>] [--json]
`;

type ProjectFlags = {
  project?: string | undefined;
  write?: boolean | undefined;
  secret?: boolean | undefined;
  identity?: boolean | undefined;
  overlap?: string | undefined;
  'allowed-origins'?: string | undefined;
  'require-user-hash'?: string | undefined;
  json?: boolean | undefined;
};

/** `project rotate-key` and `project set`: the same effects as the API's, on the store directly. */
async function projectCommand(config: Config, subcommand: 'rotate-key' | 'set', values: ProjectFlags): Promise<number> {
  const kinds = (['write', 'secret', 'identity'] as const).filter((kind) => values[kind]);
  if (subcommand === 'rotate-key' && kinds.length !== 1) {
    process.stderr.write(`uptake: project rotate-key needs exactly one of --write, --secret, --identity\nusage: ${PROJECT_USAGE.trimStart()}`);
    return 1;
  }
  return withStore(config, async (db) => {
    const projectId = await chooseProject(db, values.project);
    if (subcommand === 'rotate-key') {
      const rotation = await rotateProjectKey(db, projectId, kinds[0]!, parseOverlap(values.overlap), demoKeysDir(config));
      if (values.json) print(JSON.stringify({ projectId, ...rotation }));
      else {
        print(`New ${rotation.kind} key of ${projectId}: ${rotation.key}`);
        print(`The old key works until ${rotation.previousKeyExpiresAt}.${rotation.kind === 'secret' ? ' The secret key is stored hashed and will not be shown again.' : ''}`);
      }
    } else {
      const info = await setProjectSettings(db, projectId, { allowedOrigins: values['allowed-origins'], requireUserHash: values['require-user-hash'] });
      if (values.json) print(JSON.stringify({ projectId, allowedOrigins: info.allowedOrigins, requireUserHash: info.requireUserHash }));
      else {
        print(`Project ${projectId}`);
        print(`  allowed origins    ${info.allowedOrigins.length > 0 ? info.allowedOrigins.join(', ') : '(any)'}`);
        print(`  require userHash   ${info.requireUserHash ? 'on' : 'off'}`);
        print('A running server applies this within 30 s (UPTAKE_KEY_CACHE_TTL_MS).');
      }
    }
    return 0;
  });
}

/**
 * Opens the store, brings its schema up to date, runs `run` on it and closes it. A usage error
 * (an unknown or ambiguous project, a bad flag value) is printed as `uptake: <message>` (then
 * `usage`) with exit code 1. `readsEveryEvent`: no per-query time limit on Postgres.
 */
async function withStore(
  config: Config,
  run: (db: Kysely<Database>) => Promise<number>,
  { readsEveryEvent = false, usage = '' }: { readsEveryEvent?: boolean; usage?: string } = {},
): Promise<number> {
  const store = await openStore(readsEveryEvent && config.database.kind === 'postgres' ? { ...config.database, queryTimeoutMs: 0 } : config.database);
  try {
    await migrateToLatest(store.db);
    return await run(store.db);
  } catch (error) {
    if (!(error instanceof UsageError || error instanceof ExportUsageError)) throw error;
    process.stderr.write(`uptake: ${error.message}\n${usage}`);
    return 1;
  } finally {
    await store.close();
  }
}

function describeStore(config: Config): string {
  return config.database.kind === 'postgres' ? 'Postgres from DATABASE_URL' : `embedded PGlite in ${config.database.dataDir}`;
}

/** Where the demo project's keys live: the PGlite data dir, or `.uptake` beside a real Postgres. */
function demoKeysDir(config: Config): string {
  return config.database.kind === 'pglite' ? config.database.dataDir : '.uptake';
}

function demoOptions(values: { days?: string | undefined; accounts?: string | undefined }): { days?: number; accounts?: number } {
  const whole = (flag: string, text: string | undefined, max: number) => {
    if (text === undefined) return undefined;
    const n = Number(text);
    if (!Number.isInteger(n) || n < 1 || n > max) throw new Error(`--${flag} must be a whole number from 1 to ${max}, got "${text}"`);
    return n;
  };
  const days = whole('days', values.days, 365);
  const accounts = whole('accounts', values.accounts, 1000);
  return { ...(days !== undefined ? { days } : {}), ...(accounts !== undefined ? { accounts } : {}) };
}

function banner(config: Config, url: string, demo: DemoProjectFile): string {
  return [
    '',
    `  Uptake is running at ${url}  (${describeStore(config)})`,
    '',
    `  Demo project  ${demo.projectId}`,
    `  Write key     ${demo.writeKey}    (SDK, ingestion)`,
    `  Secret key    ${demo.secretKey}    (query API; keep it private)`,
    `  Identity key  ${demo.identitySecret}`,
    '',
    `  Dashboard     ${url}/dashboard/   (sign in with the secret key)`,
    ...(config.examples
      ? [
          `  Examples      ${url}/examples/script-tag/    (the script tag, NPS prompt, progress card)`,
          `                ${url}/examples/bundler-app/   (import from '@uptake/browser', bundled with Vite)`,
          `                ${url}/examples/react/         (@uptake/react: a provider, hooks, the widgets as components)`,
          `  Browser SDK   ${url}/examples/sdk/uptake.min.js   (SRI: ${url}/examples/sdk/sri.json)`,
        ]
      : []),
    '',
    `  Try:  curl -s ${url}/v1/segments/champion-disengaged/members -H 'authorization: Bearer ${demo.secretKey}'`,
    `        pnpm --dir examples/backend-plays start   (this week's plays; see docs/examples.md)`,
    `  API reference: ${url}/docs   (OpenAPI: ${url}/docs/json)     Stop: Ctrl-C`,
    '',
  ].join('\n');
}

const count = (n: number) => n.toLocaleString('en-US');

function describeDemoData(data: NonNullable<DemoProjectFile['demoData']>): string {
  return `${count(data.events)} events, ${count(data.accounts)} accounts, ${count(data.users)} users, ${data.from} … ${data.to} (loaded ${data.loadedAt.slice(0, 10)})`;
}

function describeRun(run: DemoRun): string {
  const { load } = run;
  const stored = `accepted ${count(load.accepted)}, duplicates ${count(load.duplicates)}, rejected ${count(load.rejected)}`;
  if (load.accepted === 0 && load.events > 0) return `Nothing new: the ${count(load.events)} demo events were stored before (${stored}).`;
  const model = load.scoreModelVersion === null ? '' : `; score model v${load.scoreModelVersion} (demo weights and labels) is active`;
  return `${count(run.data.events)} events (${stored}): ${count(run.data.accounts)} accounts, ${count(run.data.users)} users, ${run.data.from} … ${run.data.to}, in ${run.seconds.toFixed(1)} s${model}.`;
}
