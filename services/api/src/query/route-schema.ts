import type { Kysely } from 'kysely';
import { errorResponseSchema } from '@uptake/protocol';
import type { Database } from '../db/database.ts';
import type { FigureCache } from './figure-cache.ts';

/** Every query route takes the project's secret key. */
export const security = [{ secretKey: [] }];

/** The error answers every query route may give. */
export const errors = { 400: errorResponseSchema, 401: errorResponseSchema, 404: errorResponseSchema };

/** What each resource's route file is registered with: the database and the figure cache the query routes share. */
export type ResourceRoutesOptions = { db: Kysely<Database>; cache: FigureCache };
