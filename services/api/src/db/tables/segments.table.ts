import type { ColumnType, Generated } from 'kysely';

/** Custom segments: a JSON rule per project. */
export type SegmentsTable = {
  project_id: string;
  key: string;
  name: string;
  description: Generated<string>;
  of: 'users' | 'accounts';
  rule: ColumnType<unknown, string, string>;
  created_at: Generated<Date>;
  updated_at: Generated<Date>;
};
