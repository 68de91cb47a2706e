import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DELETION_STEPS } from '../../src/privacy/deletion-steps.ts';
import { PERSONAL_DATA_TABLES, TABLES_WITHOUT_PERSONAL_DATA } from '../../src/privacy/personal-data.ts';
import { testDatabaseKinds } from '../support/databases.ts';
import { createTestApp, type TestApp } from '../support/test-app.ts';

/** A column that can hold an id of a person or an account, or what describes them. */
const PERSONAL_COLUMN = /(^|_)(user|account|anonymous|subject|member)_(id|key)$|^(traits|properties|context|extra|payload|facts|email|ip)$/;

/**
 * The deletion plan against the database's own catalogue: a table added by a future migration
 * fails here until privacy/personal-data.ts says how a deletion handles it.
 */
describe.each(testDatabaseKinds)('the deletion plan covers every table on %s', (kind) => {
  let t: TestApp;
  let columns: Map<string, Array<{ name: string; type: string }>>;
  beforeAll(async () => {
    t = await createTestApp(kind);
    const { rows } = await sql<{ table_name: string; column_name: string; data_type: string }>`
      select c.table_name, c.column_name, c.data_type from information_schema.columns c
      join information_schema.tables t on t.table_schema = c.table_schema and t.table_name = c.table_name
      where c.table_schema = current_schema() and t.table_type = 'BASE TABLE'`.execute(t.app.store.db);
    columns = new Map();
    for (const row of rows) columns.set(row.table_name, [...(columns.get(row.table_name) ?? []), { name: row.column_name, type: row.data_type }]);
  });
  afterAll(async () => t?.close());

  const planned = new Map(PERSONAL_DATA_TABLES.map((entry) => [entry.table, entry]));

  it('lists every table either in the plan or as holding nothing personal', () => {
    const unlisted = [...columns.keys()].filter((table) => !planned.has(table) && !(table in TABLES_WITHOUT_PERSONAL_DATA));
    expect(unlisted, 'tables missing from privacy/personal-data.ts').toEqual([]);
    expect(columns.size).toBeGreaterThan(20);
  });

  it('puts every table with an id, traits, properties, context or a payload in the plan', () => {
    const suspicious = [...columns].filter(([, cols]) => cols.some((col) => PERSONAL_COLUMN.test(col.name))).map(([table]) => table);
    const notPlanned = suspicious.filter((table) => !planned.has(table) && !['deletions', 'privacy_keys', 'deletion_suppressions'].includes(table));
    expect(notPlanned).toEqual([]);
    expect(suspicious).toContain('events');
  });

  it('names only columns that exist, and has a step for every subject a table is handled for', () => {
    for (const entry of PERSONAL_DATA_TABLES) {
      const names = (columns.get(entry.table) ?? []).map((col) => col.name);
      expect(names.length, `${entry.table} exists`).toBeGreaterThan(0);
      for (const column of entry.columns) expect(names, `${entry.table}.${column}`).toContain(column);
      for (const subject of ['user', 'account'] as const) {
        const steps = DELETION_STEPS.filter((step) => step.table === entry.table && step.subject === subject);
        if (entry[subject] === 'none') expect(steps, `${entry.table} for a ${subject}`).toEqual([]);
        else expect(steps.length, `${entry.table} for a ${subject}`).toBeGreaterThan(0);
      }
    }
    for (const step of DELETION_STEPS) expect(planned.has(step.table), step.table).toBe(true);
  });
});
