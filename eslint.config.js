import js from '@eslint/js';
import tseslint from 'typescript-eslint';

/**
 * The service's layers and which way they depend: routes → queries/domain → db, ingestion →
 * derived (the derived tables' writers, rebuild, change feed and change tracker). Each entry
 * lists the folders (or root modules) of services/api/src one folder must not import, so a new
 * back-and-forth fails `pnpm lint`. Relative imports only: the service has no path aliases.
 */
const LAYERS = [
  { folder: 'query', forbidden: ['ingestion', 'derived', 'widgets', 'webhooks', 'plays', 'privacy', 'campaigns'], why: 'queries read the derived tables; ingestion and derived/ write them (ingestion → derived, never back)' },
  { folder: 'ingestion', forbidden: ['query', 'widgets', 'campaigns'], why: 'ingestion writes through derived/; it never imports the query side' },
  { folder: 'derived', forbidden: ['query', 'ingestion', 'widgets', 'http', 'campaigns'], why: 'derived/ is written by ingestion and read through SQL by queries; it imports only db/ and domain/' },
  { folder: 'webhooks', forbidden: ['query', 'ingestion', 'derived', 'widgets', 'plays', 'campaigns'], why: 'webhooks/ stores endpoints and the outbox and sends deliveries; its causes (derived/, plays/) call it, never back' },
  { folder: 'plays', forbidden: ['ingestion', 'widgets', 'campaigns'], why: 'plays/ records segment transitions from the figures queries compute; it never writes events' },
  { folder: 'privacy', forbidden: ['query', 'ingestion', 'widgets', 'webhooks', 'plays', 'campaigns'], why: 'privacy/ deletes and exports through the tables (db/), the derived tables\' change tracker (derived/) and the pure definitions (domain/); ingestion calls its suppression check, never the other way' },
  {
    folder: 'campaigns',
    forbidden: ['ingestion', 'derived', 'webhooks', 'plays', 'privacy'],
    why: 'campaigns/ reads figures through query/ and the widget gate and ledger through widgets/; it never writes events or derived tables, and nothing below it imports it',
  },
  {
    folder: 'domain',
    forbidden: ['db', 'query', 'ingestion', 'derived', 'http', 'projects', 'auth', 'widgets', 'webhooks', 'plays', 'privacy', 'campaigns', 'demo', 'examples', 'dashboard', 'config', 'app', 'cli', 'server'],
    packages: ['pg', '@electric-sql/pglite', 'fastify', 'pino', 'node:fs', 'node:child_process', 'node:net'],
    why: 'domain/ holds pure definitions: nothing with effects (database, HTTP, files, logging)',
  },
];

const escapeRegex = (text) => text.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
// One entry per depth inside the folder (`*` never crosses a `/`): the `../` count that leaves
// the folder is then exact, and a subfolder sharing a layer's name (domain/widgets/) is no match.
const layerRules = LAYERS.flatMap(({ folder, forbidden, packages = [], why }) =>
  [0, 1, 2, 3].map((depth) => ({
    files: [`services/api/src/${folder}/${'*/'.repeat(depth)}*.ts`],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: packages.map((name) => ({ name, message: `${folder}/ must not import ${name}: ${why}.` })),
          patterns: [
            {
              regex: `^${'\\.\\./'.repeat(depth + 1)}(${forbidden.map(escapeRegex).join('|')})(/|\\.ts$|$)`,
              message: `${folder}/ must not import ${forbidden.join(', ')}: ${why}.`,
            },
          ],
        },
      ],
    },
  })),
);

export default tseslint.config(
  { ignores: ['**/node_modules/**', '**/dist/**', '.tools/**', '.uptake/**', '**/coverage/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', destructuredArrayIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': 'error',
      'no-restricted-syntax': ['error', { selector: 'TSEnumDeclaration', message: 'use an `as const` union instead of enum' }],
    },
  },
  {
    // Tests read JSON answers whose shape is what they assert.
    files: ['**/test/**/*.ts'],
    rules: { '@typescript-eslint/no-explicit-any': 'off' },
  },
  {
    // The SDK ships to browsers: zod must never reach its bundle, and the protocol package is
    // for types only (`import type`). Tests may use the protocol at runtime to check limits.
    files: ['packages/browser/src/**/*.ts'],
    rules: {
      '@typescript-eslint/no-restricted-imports': [
        'error',
        {
          paths: [
            { name: 'zod', message: 'zod must not reach the browser bundle.' },
            { name: '@uptake/protocol', message: 'import types only from @uptake/protocol (import type …).', allowTypeImports: true },
          ],
          patterns: [
            { group: ['zod/*'], message: 'zod must not reach the browser bundle.' },
            { group: ['@uptake/protocol/*'], message: 'import types only from @uptake/protocol.', allowTypeImports: true },
          ],
        },
      ],
    },
  },
  {
    // Only config.ts reads the environment (tests and benchmarks may read their own variables).
    files: ['services/api/src/**/*.ts'],
    ignores: ['services/api/src/config.ts', 'services/api/src/cli.ts'],
    rules: {
      'no-restricted-properties': ['error', { object: 'process', property: 'env', message: 'read configuration in config.ts and pass it down' }],
      'no-console': 'error',
    },
  },
  ...layerRules,
);
