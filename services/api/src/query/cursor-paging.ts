// The cursor helpers moved to http/cursor-paging.ts (webhooks/ pages its delivery log with them and
// may not import query/); kept here so a route written against the old path still builds.
export { decodeCursor, encodeCursor, pageAfter } from '../http/cursor-paging.ts';
