/** The ingestion benchmarks' traffic, one definition for `ingest.bench.ts` and `ingest-cpu.bench.ts`. */

export const EVENTS_PER_BATCH = 100;
const FEATURES = ['Report Created', 'Dashboard Viewed', 'Export Downloaded', 'Comment Added', 'Filter Applied', 'Alert Set', 'Invite Sent', 'Chart Edited'];
export const USERS = 50_000;
const EVENTS_PER_USER = 20;

/**
 * A batch shaped like real traffic: the SDK flushes about 20 events of one user (a few features,
 * some page views, one account), so 100 events hold 5 users' flushes. Users are spread over
 * 50 k, accounts over 2 k; every messageId is unique.
 */
export function batchBody(writeKey: string, requestNumber: number): string {
  const sentAt = new Date().toISOString();
  const batch = [];
  for (let i = 0; i < EVENTS_PER_BATCH; i++) {
    const user = (requestNumber * 5 + Math.floor(i / EVENTS_PER_USER)) * 7919 % USERS;
    const page = i % 5 === 0;
    batch.push({
      type: page ? 'page' : 'track',
      ...(page ? { name: 'Dashboard' } : { event: FEATURES[(user + (i % 3)) % FEATURES.length] }),
      messageId: `${process.pid}-${requestNumber}-${i}`,
      userId: `user-${user}`,
      timestamp: sentAt,
      properties: { plan: 'pro', size: i },
      context: { groupId: `acct-${user % 2000}`, sessionId: `s-${user}`, seq: i },
    });
  }
  return JSON.stringify({ writeKey, sentAt, batch });
}
