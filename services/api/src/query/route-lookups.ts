import type { Kysely } from 'kysely';
import type { ScoreModel } from '@uptake/protocol';
import type { Database } from '../db/database.ts';
import { accountExists, userExists } from '../db/known-ids.ts';
import { HttpError } from '../http/errors.ts';
import { findScoreModel } from './score-models.queries.ts';

/**
 * The score model a request names (the active one without `model`); an unknown version is a 400
 * naming the parameter (`name`, default `model`).
 */
export async function scoreModelFor(db: Kysely<Database>, projectId: string, version: number | undefined, name = 'model'): Promise<ScoreModel> {
  const model = await findScoreModel(db, projectId, version);
  if (!model) throw new HttpError(400, 'unknown_model', `${name}: this project has no score model version ${version}`, { path: name });
  return model;
}

/** A 404 unless the project has seen or been told of the user. */
export async function mustHaveUser(db: Kysely<Database>, projectId: string, userId: string): Promise<void> {
  if (!(await userExists(db, projectId, userId))) throw new HttpError(404, 'user_not_found', `no user "${userId}" in this project`);
}

/** A 404 unless the project has seen or been told of the account. */
export async function mustHaveAccount(db: Kysely<Database>, projectId: string, accountId: string): Promise<void> {
  if (!(await accountExists(db, projectId, accountId))) throw new HttpError(404, 'account_not_found', `no account "${accountId}" in this project`);
}

/** A 404 when the request names an account (`accountId`) the project does not have; nothing without one. */
export async function mustHaveAccountIfNamed(db: Kysely<Database>, projectId: string, accountId: string | undefined): Promise<void> {
  if (accountId !== undefined) await mustHaveAccount(db, projectId, accountId);
}
