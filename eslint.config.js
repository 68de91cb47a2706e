import js from '@eslint/js';
import tseslint from 'typescript-eslint';

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
);
