import type { ColumnType, Generated } from 'kysely';
import type { HealthBands, HealthWeights } from '@uptake/protocol';

/** Versions of a project's health model; at most one `active`. Version 1 is the implicit default (domain/health.ts). */
export type HealthModelsTable = {
  project_id: string;
  version: number;
  weights: ColumnType<HealthWeights, string, string>;
  bands: ColumnType<HealthBands, string, string>;
  status: 'active' | 'shadow' | 'retired';
  created_at: Generated<Date>;
};
