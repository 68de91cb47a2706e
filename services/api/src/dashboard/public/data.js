/**
 * What several pages share, loaded once per sign-in through the query API and kept in memory
 * (never in storage). `forget()` drops it (sign out, "Refresh").
 */

let cache = new Map();
export const forget = () => {
  cache = new Map();
};
const once = (key, load) => {
  if (!cache.has(key)) {
    const promise = load().catch((error) => {
      cache.delete(key);
      throw error;
    });
    cache.set(key, promise);
  }
  return cache.get(key);
};

/** `GET /v1/segments`. */
export const segmentList = (api) => once('segments', () => api.get('/v1/segments'));

/** Every member of a segment (all pages). */
export const segmentMembers = (api, key) => once(`members:${key}`, () => api.getAll(`/v1/segments/${encodeURIComponent(key)}/members`));
