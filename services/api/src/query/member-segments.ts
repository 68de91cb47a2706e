import type { Kysely } from 'kysely';
import type { z } from 'zod';
import type { scoreQuerySchema } from '@uptake/protocol';
import type { Database } from '../db/database.ts';
import { today } from '../domain/days.ts';
import { accountFactsForWire, findById, userFactsForWire } from '../domain/segments/facts.ts';
import { HttpError } from '../http/errors.ts';
import type { FigureCache } from './figure-cache.ts';
import { scoreModelFor } from './route-lookups.ts';
import { segmentFacts } from './segments-facts.queries.ts';
import { segmentMembers, segmentsToCheck, type SegmentDefinition } from './segments-members.queries.ts';
import { listCustomSegments, segmentThresholds } from './segments.queries.ts';

/** The project's custom segments as definitions to check membership against. */
export async function customDefinitions(db: Kysely<Database>, projectId: string): Promise<SegmentDefinition[]> {
  return (await listCustomSegments(db, projectId)).map((segment) => ({ key: segment.key, name: segment.name, of: segment.of, builtIn: false, rule: segment.rule }));
}

/** The segments one user or account is in as of a day, by key, with the facts that put it there. */
export async function segmentsOfOne(db: Kysely<Database>, cache: FigureCache, of: 'users' | 'accounts', projectId: string, id: string, query: z.output<typeof scoreQuerySchema>) {
  const asOf = query.asOf ?? today();
  const [model, thresholds, custom] = await Promise.all([scoreModelFor(db, projectId, query.model), segmentThresholds(db, projectId), customDefinitions(db, projectId)]);
  const facts = await segmentFacts(db, cache, projectId, model, thresholds, asOf);
  const own = of === 'accounts' ? findById(facts.accounts, id, (account) => account.accountId) : findById(facts.users, id, (user) => user.userId);
  if (!own) {
    const what = of === 'accounts' ? 'account' : 'user';
    throw new HttpError(404, `${what}_not_found`, `no ${what} "${id}" in this project as of ${asOf}`);
  }
  const definitions = segmentsToCheck(of, model, custom);
  const segments: Array<{ key: string; name: string; of: typeof of; builtIn: boolean }> = [];
  for (const segment of definitions) {
    const found = await segmentMembers(db, projectId, segment, facts, thresholds);
    // Members come in the facts' order, by id.
    const isMember = found.of === 'accounts' ? findById(found.members, id, (member) => member.accountId) !== undefined : findById(found.members, id, (member) => member.userId) !== undefined;
    if (isMember) segments.push({ key: segment.key, name: segment.name, of, builtIn: segment.builtIn });
  }
  segments.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  const wire = of === 'accounts' ? accountFactsForWire(own as (typeof facts.accounts)[number]) : userFactsForWire(own as (typeof facts.users)[number]);
  return { id, of, asOf, model: { version: model.version }, segments, facts: wire };
}
