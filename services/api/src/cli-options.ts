import type { parseArgs } from 'node:util';

/** The options `uptake` takes (cli.ts parses them; cli-commands.ts reads them). */
export const CLI_OPTIONS = {
  port: { type: 'string' },
  host: { type: 'string' },
  'data-dir': { type: 'string' },
  name: { type: 'string' },
  json: { type: 'boolean', default: false },
  days: { type: 'string' },
  accounts: { type: 'string' },
  examples: { type: 'boolean', default: false },
  project: { type: 'string' },
  write: { type: 'boolean', default: false },
  secret: { type: 'boolean', default: false },
  identity: { type: 'boolean', default: false },
  overlap: { type: 'string' },
  'allowed-origins': { type: 'string' },
  'require-user-hash': { type: 'string' },
  'allow-return': { type: 'boolean', default: false },
  from: { type: 'string' },
  to: { type: 'string' },
  format: { type: 'string' },
  out: { type: 'string' },
  help: { type: 'boolean', short: 'h', default: false },
} as const;

/** The options as `parseArgs` gives them: strings where given, booleans always. */
export type CliValues = ReturnType<typeof parseArgs<{ options: typeof CLI_OPTIONS; allowPositionals: true }>>['values'];
