/**
 * Segment's own Node library, unchanged, sending to Uptake: only `host` (and the write key)
 * differ from a Segment setup. Uptake's `POST /v1/batch` is a superset of Segment's batch API, so
 * identify, group and track calls arrive as they are, Basic auth and all.
 *
 *   UPTAKE_HOST=http://127.0.0.1:4000 UPTAKE_WRITE_KEY=wk_… UPTAKE_SECRET_KEY=sk_… node send.ts
 *
 * Without the keys it uses the demo project's, which `./uptake start` keeps in
 * .uptake/demo-project.json. With a secret key it then checks through the query API that the
 * events were stored.
 */
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Analytics } from '@segment/analytics-node';
import { createUptakeClient, UptakeApiError } from '@uptake/client';

const host = process.env['UPTAKE_HOST'] ?? 'http://127.0.0.1:4000';
const demo = demoKeys();
const writeKey = process.env['UPTAKE_WRITE_KEY'] ?? demo?.writeKey;
const secretKey = process.env['UPTAKE_SECRET_KEY'] ?? demo?.secretKey;

/** The demo project's keys, kept by `./uptake start` in its data dir. */
function demoKeys(): { writeKey?: string; secretKey?: string } | undefined {
  for (const candidate of ['../../.uptake/demo-project.json', '../../services/api/.uptake/demo-project.json']) {
    const path = fileURLToPath(new URL(candidate, import.meta.url));
    if (existsSync(path)) return JSON.parse(readFileSync(path, 'utf8')) as { writeKey?: string; secretKey?: string };
  }
  return undefined;
}

const userId = 'grace.hopper';
const accountId = 'hopper-labs';

async function main(): Promise<number> {
  if (!writeKey) {
    process.stderr.write('Set UPTAKE_WRITE_KEY (a project\'s write key), or run `./uptake start` first to use the demo project.\n');
    return 1;
  }

  // —— A Segment setup: the only change is `host`.
  const analytics = new Analytics({ writeKey, host, flushInterval: 1000 });
  const failures: string[] = [];
  analytics.on('error', (error) => failures.push(String((error as { reason?: unknown }).reason ?? error)));
  analytics.on('http_response', ({ status, url }) => process.stdout.write(`POST ${url} → ${status}\n`));

  analytics.identify({ userId, traits: { email: 'grace@hopper-labs.example', name: 'Grace Hopper', role: 'admin', isChampion: true } });
  analytics.group({ userId, groupId: accountId, traits: { name: 'Hopper Labs', plan: 'growth', seats: 10, onboardedAt: '2026-01-05' } });
  // Segment's way to tie an event to an account: context.groupId (Uptake also reads properties.accountId).
  analytics.track({ userId, event: 'Report Created', properties: { reportType: 'funnel' }, context: { groupId: accountId } });
  analytics.track({ userId, event: 'Dashboard Shared', properties: { dashboard: 'Weekly KPIs', accountId } });
  await analytics.closeAndFlush({ timeout: 10_000 });
  if (failures.length > 0) {
    process.stderr.write(`@segment/analytics-node could not deliver: ${failures.join('; ')}\n`);
    return 1;
  }
  process.stdout.write(`Sent identify, group and 2 track calls for ${userId} (${accountId}) with @segment/analytics-node to ${host}\n`);

  // —— Stored? Ask the query API (server-to-server, secret key).
  if (!secretKey) {
    process.stdout.write('Set UPTAKE_SECRET_KEY to check through the query API that they were stored.\n');
    return 0;
  }
  const uptake = createUptakeClient({ host, secretKey });
  // Figures are refreshed in the background (UPTAKE_FIGURE_MAX_STALENESS_MS, 4 s by default): poll briefly.
  const deadline = Date.now() + 15_000;
  for (;;) {
    const [user, account] = await Promise.all([uptake.userScore(userId).catch(notYet), uptake.accountSegments(accountId).catch(notYet)]);
    const used = new Map(user?.breakdown.map((row) => [row.event, row.count]) ?? []);
    if (user && account && used.has('Report Created') && used.has('Dashboard Shared')) {
      const facts = account.facts as { seats?: number | null; activeUsers30d?: number; memberCount?: number };
      process.stdout.write(
        [
          'Stored, as the query API shows:',
          `  ${userId}: score ${user.score} (model v${user.model.version}): ${user.breakdown.map((row) => `${row.event} ×${row.count}`).join(', ')}`,
          `  ${accountId}: ${facts.activeUsers30d} active user of ${facts.seats} seats, ${facts.memberCount} member; segments: ${account.segments.map((segment) => segment.key).join(', ') || 'none'}`,
          '',
        ].join('\n'),
      );
      return 0;
    }
    if (Date.now() > deadline) {
      process.stderr.write(`The query API does not show the events after 15 s: ${JSON.stringify({ user, account })}\n`);
      return 1;
    }
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
}

/** 404 (not seen yet) → undefined; anything else is an error. */
function notYet(error: unknown): undefined {
  if (error instanceof UptakeApiError && error.status === 404) return undefined;
  throw error;
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  },
);
