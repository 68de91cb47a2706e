import { errorResponseSchema } from '@uptake/protocol';

/** Every query route takes the project's secret key. */
export const security = [{ secretKey: [] }];

/** The error answers every query route may give. */
export const errors = { 400: errorResponseSchema, 401: errorResponseSchema, 404: errorResponseSchema };
