/**
 * This week's customer-success plays, from Uptake's built-in segments: which accounts to call,
 * and why. A backend job would post this to Slack or a CRM; here it is printed.
 *
 *   UPTAKE_HOST=http://127.0.0.1:4000 UPTAKE_SECRET_KEY=sk_… node plays.ts
 *
 * Without UPTAKE_SECRET_KEY it uses the demo project's key that `./uptake start` keeps in
 * .uptake/demo-project.json.
 */
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { createUptakeClient, UptakeApiError, type SegmentMember, type SegmentList, type UptakeClient } from '@uptake/client';

type Account = Extract<SegmentMember, { accountId: string }>;
type Thresholds = SegmentList['thresholds'];

/** A play: a segment of accounts, what to do about them, and why each one is there. */
type Play = {
  segment: string;
  title: string;
  action: string;
  /** Most urgent first. */
  order: (a: Account, b: Account) => number;
  reason: (account: Account, context: PlayContext) => Promise<string> | string;
};

type PlayContext = { uptake: UptakeClient; asOf: string; thresholds: Thresholds };

const host = process.env['UPTAKE_HOST'] ?? 'http://127.0.0.1:4000';
const secretKey = process.env['UPTAKE_SECRET_KEY'] ?? demoSecretKey();
/** Accounts listed per play; the rest are counted. */
const perPlay = Number(process.env['PLAYS_LIMIT'] ?? 10);

const percent = (ratio: number) => `${Math.round(ratio * 100)} %`;
const daysBetween = (from: string, to: string) => Math.round((Date.parse(to) - Date.parse(from)) / 86_400_000);
const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;

const PLAYS: Play[] = [
  {
    segment: 'low-utilization',
    title: 'Low licence utilisation',
    action: 'offer an enablement session; find out who has a seat and never logs in',
    order: (a, b) => (a.utilisation ?? 0) - (b.utilisation ?? 0),
    reason: (a) => `utilisation ${percent(a.utilisation ?? 0)} of ${plural(a.seats ?? 0, 'seat')} (${plural(a.activeUsers30d, 'active user')} in 30 days)`,
  },
  {
    segment: 'usage-drop',
    title: 'Usage drop',
    action: 'call the account owner: what changed?',
    order: (a, b) => dropOf(b) - dropOf(a),
    reason: (a, { thresholds }) =>
      `${a.activeUserDays} active user-days in the last ${thresholds.usageDropPeriodDays} days, down ${percent(dropOf(a))} from ${a.activeUserDaysBefore}`,
  },
  {
    segment: 'champion-disengaged',
    title: 'Champion gone quiet',
    action: 'reach out to the champion, and find a second one',
    order: (a, b) => b.quietChampions.length - a.quietChampions.length || a.accountId.localeCompare(b.accountId),
    reason: async (a, { uptake, asOf, thresholds }) => {
      const champions = await Promise.all(
        a.quietChampions.map(async (userId) => {
          const { facts } = await uptake.userSegments(userId, { asOf });
          return facts.lastActive === null ? `${userId} never active` : `${userId} last active ${facts.lastActive} (${daysBetween(facts.lastActive, asOf)} days ago)`;
        }),
      );
      return `champion ${champions.join(', ')}; no activity in the account for ${thresholds.championQuietDays}+ days`;
    },
  },
  {
    segment: 'low-engagement-after-onboarding',
    title: 'Low engagement after onboarding',
    action: 'book a check-in: the first two months decide the renewal',
    order: (a, b) => a.percentile - b.percentile,
    reason: (a, { asOf }) =>
      `onboarded ${a.onboardedAt} (${daysBetween(a.onboardedAt ?? asOf, asOf)} days ago), score ${Math.round(a.score)} — percentile ${a.percentile}, ` +
      `${plural(a.activeUsers30d, 'active user')} of ${plural(a.seats ?? a.memberCount, 'seat')}`,
  },
  {
    segment: 'top',
    title: 'Ask for a reference',
    action: 'ask for a case study, a review or a reference call',
    order: (a, b) => b.score - a.score,
    reason: async (a, { uptake, asOf }) => {
      const nps = await uptake.nps({ accountId: a.accountId, asOf });
      const npsText = nps.nps === null ? 'no NPS answers yet' : `NPS ${nps.nps} from ${plural(nps.responses, 'answer')}`;
      const utilisation = a.utilisation === null ? '' : `, utilisation ${percent(a.utilisation)}`;
      const caution = nps.nps !== null && nps.nps < 0 ? ' — hold off: more detractors than promoters' : '';
      return `score ${Math.round(a.score)} (percentile ${a.percentile})${utilisation}, ${plural(a.activeUsers30d, 'active user')}, ${npsText}${caution}`;
    },
  },
];

function dropOf(a: Account): number {
  return a.activeUserDaysBefore > 0 ? 1 - a.activeUserDays / a.activeUserDaysBefore : 0;
}

/** The demo project's secret key, kept by `./uptake start` in its data dir. */
function demoSecretKey(): string | undefined {
  const candidates = ['../../.uptake/demo-project.json', '../../services/api/.uptake/demo-project.json'];
  for (const candidate of candidates) {
    const path = fileURLToPath(new URL(candidate, import.meta.url));
    if (existsSync(path)) return (JSON.parse(readFileSync(path, 'utf8')) as { secretKey?: string }).secretKey;
  }
  return undefined;
}

async function main(): Promise<number> {
  if (!secretKey) {
    process.stderr.write('Set UPTAKE_SECRET_KEY (the project\'s secret key), or run `./uptake start` first to use the demo project.\n');
    return 1;
  }
  const uptake = createUptakeClient({ host, secretKey });
  const asOf = new Date().toISOString().slice(0, 10);
  const { thresholds } = await uptake.segments();
  const lines = [`Plays for the week of ${asOf}  (${host})`, ''];
  for (const play of PLAYS) {
    const members: Account[] = [];
    for await (const member of uptake.allSegmentMembers(play.segment, { asOf })) if ('accountId' in member) members.push(member);
    members.sort(play.order);
    lines.push(`${play.title} — ${plural(members.length, 'account')}  (${play.action})`);
    if (members.length === 0) lines.push('  none this week');
    const shown = members.slice(0, perPlay);
    const reasons = await Promise.all(shown.map((account) => play.reason(account, { uptake, asOf, thresholds })));
    const width = Math.max(0, ...shown.map((account) => account.accountId.length));
    shown.forEach((account, i) => lines.push(`  ${account.accountId.padEnd(width)}  ${reasons[i]}`));
    if (members.length > shown.length) lines.push(`  … and ${members.length - shown.length} more (PLAYS_LIMIT=${members.length} to list them all)`);
    lines.push('');
  }
  process.stdout.write(`${lines.join('\n')}`);
  return 0;
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    if (error instanceof UptakeApiError) {
      process.stderr.write(`Uptake answered ${error.status} ${error.code}: ${error.message}\n`);
    } else if (error instanceof TypeError && error.message === 'fetch failed') {
      process.stderr.write(`Cannot reach Uptake at ${host}: is \`./uptake start\` running? (${String((error as { cause?: unknown }).cause ?? '')})\n`);
    } else {
      process.stderr.write(`${error instanceof Error ? error.stack : String(error)}\n`);
    }
    process.exit(1);
  },
);
