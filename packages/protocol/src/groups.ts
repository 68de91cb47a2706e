import { z } from 'zod';
import { idParamSchema, scoreModelRefSchema, scoreQuerySchema, scoreWindowSchema } from './query.ts';

/**
 * Scores by group of users (docs/api.md, "Scores by group"): `GET /v1/accounts/:accountId/groups`
 * and `GET /v1/groups`, the users grouped by the value of one of their traits as of a day.
 */

/** The trait a request naming none groups by. */
export const DEFAULT_GROUP_TRAIT = 'role';

export const groupsQuerySchema = scoreQuerySchema.extend({
  trait: idParamSchema(200).default(DEFAULT_GROUP_TRAIT).describe('the user trait whose value makes the groups (default: role)'),
});

export const groupValueSchema = z.union([z.string(), z.number(), z.boolean()]).nullable();

export const groupSchema = z.object({
  value: groupValueSchema.describe("the trait's value; null for the missing group"),
  missing: z.boolean().describe('the users without the trait (absent, null, or not a string, number or boolean)'),
  users: z.number().int().describe('users in the group'),
  activeUsers: z.number().int().describe('of them, active in the score window'),
  score: z.number().describe("Σ of the group's users' points in the window"),
  perActiveUser: z.number().describe('score ÷ activeUsers; 0 when nobody was active'),
  topFeatures: z.array(z.object({ event: z.string(), label: z.string(), points: z.number() })).describe('at most 3, by points descending, then event'),
});

export const groupsSchema = z.object({
  accountId: z.string().nullable().describe('the account, or null project-wide'),
  trait: z.string(),
  asOf: z.string(),
  model: scoreModelRefSchema,
  window: scoreWindowSchema,
  groups: z.array(groupSchema).describe('by score descending, then value (the missing group last among equals)'),
});

export type Groups = z.output<typeof groupsSchema>;
export type Group = z.output<typeof groupSchema>;
