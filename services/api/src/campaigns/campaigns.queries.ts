import { randomBytes } from 'node:crypto';
import type { Kysely, Selectable } from 'kysely';
import { campaignInputSchema, type Campaign, type CampaignInput } from '@uptake/protocol';
import type { z } from 'zod';
import type { Database } from '../db/database.ts';
import type { CampaignsTable } from '../db/tables/campaigns.table.ts';
import { PLAYBOOK_CAMPAIGNS } from '../domain/campaigns/playbook.ts';

/** A campaign as validated at the edge (defaults filled). */
export type NewCampaign = z.output<typeof campaignInputSchema>;

/** "cmp_" + 16 random base64url characters (96 bits): unguessable, so ids never reveal how many campaigns a project has. */
export function newCampaignId(): string {
  return `cmp_${randomBytes(12).toString('base64url')}`;
}

const json = (value: unknown): Campaign[keyof Campaign] => (typeof value === 'string' ? JSON.parse(value) : value) as Campaign[keyof Campaign];

function toCampaign(row: Selectable<CampaignsTable>): Campaign {
  return {
    id: row.campaign_id,
    name: row.name,
    kind: row.kind as Campaign['kind'],
    enabled: row.enabled,
    audience: json(row.audience) as Campaign['audience'],
    message: json(row.message) as Campaign['message'],
    schedule: json(row.schedule) as Campaign['schedule'],
    holdoutShare: Number(row.holdout_share),
    goal: json(row.goal) as Campaign['goal'],
    createdAt: row.created_at.toISOString(),
    updatedAt: row.updated_at.toISOString(),
  };
}

const columnsOf = (campaign: NewCampaign) => ({
  name: campaign.name,
  kind: campaign.kind,
  enabled: campaign.enabled,
  audience: JSON.stringify(campaign.audience),
  message: JSON.stringify(campaign.message),
  schedule: JSON.stringify(campaign.schedule),
  holdout_share: campaign.holdoutShare,
  goal: JSON.stringify(campaign.goal),
});

/** The project's campaigns, highest priority first, then oldest first. */
export async function listCampaigns(db: Kysely<Database>, projectId: string, options: { enabledOnly?: boolean } = {}): Promise<Campaign[]> {
  let query = db.selectFrom('campaigns').selectAll().where('project_id', '=', projectId);
  if (options.enabledOnly) query = query.where('enabled', '=', true);
  const rows = await query.orderBy('created_at').orderBy('campaign_id').execute();
  return rows.map(toCampaign).sort((a, b) => b.schedule.priority - a.schedule.priority);
}

export async function findCampaign(db: Kysely<Database>, projectId: string, campaignId: string): Promise<Campaign | undefined> {
  const row = await db.selectFrom('campaigns').selectAll().where('project_id', '=', projectId).where('campaign_id', '=', campaignId).executeTakeFirst();
  return row && toCampaign(row);
}

export async function insertCampaign(db: Kysely<Database>, projectId: string, campaign: NewCampaign, now = new Date()): Promise<Campaign> {
  const row = await db
    .insertInto('campaigns')
    .values({ project_id: projectId, campaign_id: newCampaignId(), ...columnsOf(campaign), created_at: now, updated_at: now })
    .returningAll()
    .executeTakeFirstOrThrow();
  return toCampaign(row);
}

/** Replaces the campaign's fields with `campaign` (the stored one merged with a patch); undefined when there is no such campaign. */
export async function replaceCampaign(db: Kysely<Database>, projectId: string, campaignId: string, campaign: NewCampaign): Promise<Campaign | undefined> {
  const row = await db
    .updateTable('campaigns')
    .set({ ...columnsOf(campaign), updated_at: new Date() })
    .where('project_id', '=', projectId)
    .where('campaign_id', '=', campaignId)
    .returningAll()
    .executeTakeFirst();
  return row && toCampaign(row);
}

/** Deletes the campaign and its assignments (its results go with it); false when there was none. */
export async function deleteCampaign(db: Kysely<Database>, projectId: string, campaignId: string): Promise<boolean> {
  return db.transaction().execute(async (trx) => {
    await trx.deleteFrom('campaign_assignments').where('project_id', '=', projectId).where('campaign_id', '=', campaignId).execute();
    const result = await trx.deleteFrom('campaigns').where('project_id', '=', projectId).where('campaign_id', '=', campaignId).executeTakeFirst();
    return result.numDeletedRows > 0n;
  });
}

/**
 * The playbook's campaigns (docs/campaigns.md) added to a project: off for a new project, on for
 * the demo. Each gets its own creation time, a millisecond apart, so their order is stable.
 */
export async function insertPlaybookCampaigns(db: Kysely<Database>, projectId: string, options: { enabled: boolean }, now = new Date()): Promise<Campaign[]> {
  const made: Campaign[] = [];
  for (const [index, template] of PLAYBOOK_CAMPAIGNS.entries()) {
    const input: CampaignInput = { ...template, enabled: options.enabled };
    made.push(await insertCampaign(db, projectId, campaignInputSchema.parse(input), new Date(now.getTime() + index)));
  }
  return made;
}
