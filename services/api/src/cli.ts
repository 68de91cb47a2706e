#!/usr/bin/env node
// The command line's entry: usage, arguments, and for a short command on PGlite a second Node
// (below). The commands themselves live in cli-commands.ts, imported only once that is settled,
// so that a process which only starts another one does not load the whole service first.
import { spawnSync } from 'node:child_process';
import { constants } from 'node:os';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { CLI_OPTIONS } from './cli-options.ts';

const USAGE = `Usage: uptake <command> [options]

Commands:
  start                       serve, with a demo project whose keys are kept in the data dir and
                              its example pages (/examples/); the first start loads the demo
                              data (as \`demo\` does)
  serve                       migrate, then serve the API (example pages only with --examples)
  migrate                     run migrations and exit
  doctor [--json]             check this deployment (database reachable and migrated, Citus,
                              clock skew, projects' allowed origins, demo keys, settings) and
                              print what to fix; exit 1 when something must be fixed
  project create --name <n>   create a project and print its keys (the secret key is shown once)
  project rotate-key --write|--secret|--identity [--overlap 24] [--project <id>]
                              replace a key and print the new one (shown once); the old one
                              keeps working for --overlap hours (0: stops at once)
  project set [--allowed-origins a,b] [--require-user-hash on|off] [--project <id>]
                              change the allowed origins (empty: any) or identity verification;
                              a running server applies it within 30 s (UPTAKE_KEY_CACHE_TTL_MS)
  demo [--days 90]            create (or reuse) the demo project and load realistic demo data;
                              a second run stores nothing twice
  rebuild                     recompute the query API's derived tables from the stored events
                              (days whose raw events expired keep their rows: docs/privacy.md)
  expire [--project <id>]     delete now the raw events past each project's retentionDays (what
                              the servers' retention worker does hourly; docs/privacy.md)
  user delete <userId> [--allow-return] [--project <id>]
  account delete <accountId> [--allow-return] [--project <id>]
                              delete a user or an account (docs/privacy.md): ids, traits and
                              event details go, figures stay under a pseudonym; prints the
                              receipt. Its ids are refused by ingestion unless --allow-return
  export --from <day|time> --to <day|time> [--format ndjson|csv] [--out <file>] [--project <id>]
                              the project's raw events in [from, to] (GET /v1/events/export),
                              streamed from one snapshot to the file or stdout

Options:
  --port <n>        port to listen on (default 4000, env PORT)
  --host <h>        address to listen on (default 127.0.0.1, env HOST)
  --data-dir <dir>  PGlite data dir when DATABASE_URL is unset (default .uptake)
  --examples        serve the example pages of the demo project (serve; start always does,
                    unless env UPTAKE_EXAMPLES=0)
  --name <n>        project name (project create)
  --project <id>    the project (project rotate-key, set, expire, export); default: the only project
                    (expire: every project with a retentionDays)
  --json            print machine-readable JSON (project create, rotate-key, set, doctor)
  --days <n>        days of demo data, ending today (demo, first start; default 90)
  --accounts <n>    customer accounts in the demo data (demo, first start; default 100)

DATABASE_URL set → a real Postgres server; unset → embedded PGlite in the data dir.
`;

/** Commands that open the store, do a little and exit (see `main`); demo, rebuild, expire and export read or write every event, and a migration can rewrite a table. */
const SHORT_COMMANDS = new Set(['doctor', 'project', 'user', 'account']);
const BASELINE_WASM = '--liftoff-only';

async function main(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({ args: argv, allowPositionals: true, options: CLI_OPTIONS });
  const [command, subcommand, argument] = positionals;
  if (values.help || !command) {
    process.stdout.write(`${USAGE}\n`);
    return command || values.help ? 0 : 1;
  }

  // A short command on PGlite (DATABASE_URL unset or empty, as config.ts reads it) runs in a Node
  // that keeps WebAssembly in its baseline tier: V8 compiles PGlite's Postgres again with TurboFan
  // in the background, and the process's exit waits for that: `uptake project create` took
  // 3.5–4.9 s and 900 MB, 3.0 s and 330 MB without it. Liftoff code runs queries about 60 %
  // slower, so the service and the long commands keep the default.
  if (!process.env['DATABASE_URL'] && SHORT_COMMANDS.has(command) && !process.execArgv.includes(BASELINE_WASM)) {
    const child = spawnSync(process.execPath, [BASELINE_WASM, ...process.execArgv, fileURLToPath(import.meta.url), ...argv], { stdio: 'inherit' });
    return child.status ?? 128 + (child.signal ? (constants.signals[child.signal] ?? 0) : 0);
  }
  const { runCommand } = await import('./cli-commands.ts');
  return runCommand({ command, subcommand, argument, values, usage: USAGE, env: process.env });
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
