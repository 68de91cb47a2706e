export * from './limits.ts';
export * from './timestamp.ts';
export * from './storable.ts';
export * from './events.ts';
export * from './batch.ts';
export * from './validate.ts';
export * from './query.ts';
export * from './widgets.ts';
