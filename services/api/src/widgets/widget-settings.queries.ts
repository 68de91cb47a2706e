import type { Kysely } from 'kysely';
import { widgetSettingsInputSchema, type WidgetSettings, type WidgetSettingsInput } from '@uptake/protocol';
import type { Database } from '../db/database.ts';
import { DEFAULT_NPS_PROMPT_SETTINGS } from '../domain/widgets/nps-eligibility.ts';

/** Every widget setting's default (docs/widgets.md). A project stores only what it changes. */
export const DEFAULT_WIDGET_SETTINGS: WidgetSettings = {
  nps: { question: 'How likely are you to recommend us to a friend or colleague?', ...DEFAULT_NPS_PROMPT_SETTINGS },
  progress: { maxMissing: 3 },
};

function withDefaults(stored: WidgetSettingsInput): WidgetSettings {
  return {
    nps: { ...DEFAULT_WIDGET_SETTINGS.nps, ...stored.nps },
    progress: { ...DEFAULT_WIDGET_SETTINGS.progress, ...stored.progress },
  };
}

/**
 * The project's widget settings, defaults filled in.
 *
 * @example
 * const { nps } = await readWidgetSettings(db, projectId); // nps.samplingRate → 1 unless changed
 */
export async function readWidgetSettings(db: Kysely<Database>, projectId: string): Promise<WidgetSettings> {
  const row = await db.selectFrom('widget_settings').select('settings').where('project_id', '=', projectId).executeTakeFirst();
  // Only validated input is ever stored; a row that no longer parses (an older shape) means defaults.
  const stored = widgetSettingsInputSchema.safeParse(row?.settings ?? {});
  return withDefaults(stored.success ? stored.data : {});
}

/**
 * Replaces the project's widget settings (PUT semantics: a field left out goes back to its
 * default) and returns them with defaults filled in.
 *
 * @example
 * await replaceWidgetSettings(db, projectId, { nps: { samplingRate: 0.2 } });
 */
export async function replaceWidgetSettings(db: Kysely<Database>, projectId: string, input: WidgetSettingsInput): Promise<WidgetSettings> {
  const settings = JSON.stringify(input);
  await db
    .insertInto('widget_settings')
    .values({ project_id: projectId, settings })
    .onConflict((oc) => oc.column('project_id').doUpdateSet({ settings, updated_at: new Date() }))
    .execute();
  return withDefaults(input);
}
