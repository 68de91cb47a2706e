#!/usr/bin/env node
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { loadConfig, type Config } from './config.ts';
import { openStore } from './db/connect.ts';
import { migrateToLatest } from './db/migrate.ts';
import { rebuildDerivedTables } from './query/derived/rebuild.ts';
import { createProject } from './projects/projects.queries.ts';
import { startServer } from './server.ts';

const USAGE = `Usage: uptake <command> [options]

Commands:
  start                       serve, with a demo project whose keys are kept in the data dir
  serve                       migrate, then serve the API
  migrate                     run migrations and exit
  project create --name <n>   create a project and print its keys (the secret key is shown once)
  rebuild                     recompute the query API's derived tables from the stored events

Options:
  --port <n>        port to listen on (default 4000, env PORT)
  --host <h>        address to listen on (default 127.0.0.1, env HOST)
  --data-dir <dir>  PGlite data dir when DATABASE_URL is unset (default .uptake)
  --name <n>        project name (project create)
  --json            print machine-readable JSON (project create)

DATABASE_URL set → a real Postgres server; unset → embedded PGlite in the data dir.
`;

const print = (text: string) => process.stdout.write(`${text}\n`);

async function main(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      port: { type: 'string' },
      host: { type: 'string' },
      'data-dir': { type: 'string' },
      name: { type: 'string' },
      json: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  const [command, subcommand] = positionals;
  if (values.help || !command) {
    print(USAGE);
    return command || values.help ? 0 : 1;
  }
  const config = loadConfig(process.env, {
    ...(values.port ? { port: Number(values.port) } : {}),
    ...(values.host ? { host: values.host } : {}),
    ...(values['data-dir'] ? { dataDir: values['data-dir'] } : {}),
  });

  switch (command) {
    case 'serve':
      await startServer(config, (_app, url) => void print(`Uptake listening on ${url} (${describeStore(config)})`));
      return -1;
    case 'start':
      await startServer(config, async (app, url) => {
        const demo = await ensureDemoProject(config, app.store.db);
        print(
          [
            '',
            `  Uptake is running at ${url}  (${describeStore(config)})`,
            '',
            `  Demo project  ${demo.projectId}`,
            `  Write key     ${demo.writeKey}    (SDK, ingestion)`,
            `  Secret key    ${demo.secretKey}    (query API; keep it private)`,
            `  Identity key  ${demo.identitySecret}`,
            '',
            `  Try:  curl -s ${url}/v1/batch -H 'content-type: application/json' -u '${demo.writeKey}:' \\`,
            `          -d '{"batch":[{"type":"track","event":"Report Created","userId":"u1","messageId":"m1"}]}'`,
            `  OpenAPI: ${url}/docs/json     Stop: Ctrl-C`,
            '',
          ].join('\n'),
        );
      });
      return -1;
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
    case 'rebuild': {
      const store = await openStore(config.database);
      try {
        await migrateToLatest(store.db);
        const started = Date.now();
        await rebuildDerivedTables(store.db);
        print(`derived tables rebuilt from the events in ${((Date.now() - started) / 1000).toFixed(1)} s`);
      } finally {
        await store.close();
      }
      return 0;
    }
    case 'project': {
      if (subcommand !== 'create' || !values.name) {
        process.stderr.write('usage: uptake project create --name <name> [--json]\n');
        return 1;
      }
      const store = await openStore(config.database);
      try {
        await migrateToLatest(store.db);
        const project = await createProject(store.db, { name: values.name });
        const keys = { projectId: project.projectId, writeKey: project.writeKey, secretKey: project.secretKey, identitySecret: project.identitySecret };
        if (values.json) print(JSON.stringify(keys));
        else {
          print(`Created project "${project.name}"`);
          for (const [key, value] of Object.entries(keys)) print(`  ${key.padEnd(15)} ${value}`);
          print('The secret key is stored hashed and will not be shown again.');
        }
      } finally {
        await store.close();
      }
      return 0;
    }
    default:
      process.stderr.write(`unknown command: ${command}\n\n${USAGE}`);
      return 1;
  }
}

function describeStore(config: Config): string {
  return config.database.kind === 'postgres' ? 'Postgres from DATABASE_URL' : `embedded PGlite in ${config.database.dataDir}`;
}

type DemoKeys = { projectId: string; writeKey: string; secretKey: string; identitySecret: string };

/**
 * The demo project is made once; its keys (the secret one included) are kept in the data dir so
 * a restart shows the same keys. Only the local demo does this: real projects never store a
 * secret key in clear.
 */
async function ensureDemoProject(config: Config, db: Parameters<typeof createProject>[0]): Promise<DemoKeys> {
  const dataDir = config.database.kind === 'pglite' ? config.database.dataDir : '.uptake';
  const keysPath = join(dataDir, 'demo-project.json');
  if (existsSync(keysPath)) {
    const keys = JSON.parse(readFileSync(keysPath, 'utf8')) as DemoKeys;
    const found = await db.selectFrom('projects').select('project_id').where('project_id', '=', keys.projectId).executeTakeFirst();
    if (found) return keys;
  }
  const project = await createProject(db, { name: 'Demo' });
  const keys = { projectId: project.projectId, writeKey: project.writeKey, secretKey: project.secretKey, identitySecret: project.identitySecret };
  mkdirSync(dataDir, { recursive: true });
  writeFileSync(keysPath, `${JSON.stringify(keys, null, 2)}\n`, { mode: 0o600 });
  return keys;
}

main(process.argv.slice(2)).then(
  (code) => {
    if (code >= 0) process.exit(code);
  },
  (error: unknown) => {
    process.stderr.write(`uptake: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  },
);
