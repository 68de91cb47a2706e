import { mapConcurrently } from './api.js';

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

/**
 * One row per account: the ranked score list, then each account's utilisation and 90-day NPS,
 * and the account segments it is in (from each account segment's member list).
 * `onProgress(done, total)` reports the per-account requests.
 */
export const accountRows = (api, onProgress = () => {}) =>
  once('accounts', async () => {
    const [ranked, segments] = await Promise.all([api.getAll('/v1/scores/accounts'), segmentList(api)]);
    const accountSegments = segments.segments.filter((segment) => segment.of === 'accounts');
    const membership = new Map();
    await mapConcurrently(accountSegments, 3, async (segment) => {
      const members = await segmentMembers(api, segment.key);
      for (const member of members.items) {
        if (!membership.has(member.accountId)) membership.set(member.accountId, []);
        membership.get(member.accountId).push({ key: segment.key, name: segment.name });
      }
    });
    let done = 0;
    const rows = await mapConcurrently(ranked.items, 6, async (item) => {
      const [utilisation, nps] = await Promise.all([
        api.get(`/v1/accounts/${encodeURIComponent(item.accountId)}/utilisation`),
        api.get('/v1/nps', { accountId: item.accountId }),
      ]);
      onProgress(++done, ranked.items.length);
      const segmentsOfAccount = (membership.get(item.accountId) ?? []).sort((a, b) => (a.key < b.key ? -1 : 1));
      return {
        accountId: item.accountId,
        score: item.score,
        percentile: item.percentile,
        seats: utilisation.seats,
        activeUsers30d: utilisation.activeUsers30d,
        utilisation: utilisation.utilisation,
        nps: nps.nps,
        npsResponses: nps.responses,
        segments: segmentsOfAccount,
      };
    });
    return { model: ranked.model, window: ranked.window, rows };
  });

/**
 * Users with their score, percentile, first and last active day and accounts. The query API has
 * no "users of an account" list, so this reads the facts of two user segments: every user active
 * in the last 30 days (`feature-unused:` of an event nobody sends — "active, never used X") and
 * the dormant ones (active before the last 14 days, not since). Users quiet for longer are not in
 * either; see docs/dashboard.md.
 */
export const activeAndDormantUsers = (api) =>
  once('users', async () => {
    const [active, dormant] = await Promise.all([segmentMembers(api, 'feature-unused:$uptake-dashboard-none'), segmentMembers(api, 'dormant')]);
    const byId = new Map();
    for (const user of [...active.items, ...dormant.items]) byId.set(user.userId, user);
    return [...byId.values()];
  });
