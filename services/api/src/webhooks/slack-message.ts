import { builtInSegment } from '../domain/segments/built-in.ts';

/**
 * The `format: "slack"` body (docs/webhooks.md): `{ text, blocks }`, which a Slack incoming webhook
 * accepts, with the play in words and a link to the account in the dashboard.
 */

export type StoredPayload = { type: string; timestamp: string; data: Record<string, unknown> };
export type SlackMessage = { text: string; blocks: Array<Record<string, unknown>> };

/** What to do when an account or user enters a built-in segment (the plays of examples/backend-plays). */
const PLAYS: Record<string, string> = {
  'low-utilization': 'offer an enablement session; find out who has a seat and never logs in',
  'usage-drop': 'call the account owner: what changed?',
  'champion-disengaged': 'reach out to the champion, and find a second one',
  'low-engagement-after-onboarding': 'book a check-in: the first two months decide the renewal',
  top: 'ask for a case study, a review or a reference call',
  'trial-ready': 'offer the paid plan while the trial is going well',
  'expansion-ready': 'talk about more seats: nearly every seat is in use',
  'rising-utilization': 'ask what is working, and who else should have a seat',
  dormant: 'send a win-back message with what is new',
  'new-users': 'welcome them and show the first feature that matters',
  'nps-detractors': 'call them: find out what went wrong before it spreads',
  'nps-promoters': 'ask for a review or a referral',
};

const text = (value: unknown): string | undefined => (typeof value === 'string' && value !== '' ? value : undefined);
const num = (value: unknown): number | undefined => (typeof value === 'number' && Number.isFinite(value) ? value : undefined);
const percent = (ratio: number) => `${Math.round(ratio * 100)} %`;
/** Slack's mrkdwn treats &, < and > as markup. */
const escape = (value: string) => value.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

/** The facts that decided a segment, in words where we know them. */
function factsInWords(segment: string, facts: Record<string, unknown>): string | undefined {
  const utilisation = num(facts['utilisation']);
  const seats = num(facts['seats']);
  if ((segment === 'low-utilization' || segment === 'expansion-ready') && utilisation !== undefined && seats !== undefined) {
    return `${percent(utilisation)} of ${seats} seats active in 30 days`;
  }
  const listed = Object.entries(facts)
    .filter(([, value]) => ['string', 'number', 'boolean'].includes(typeof value))
    .slice(0, 6)
    .map(([name, value]) => `${name}: ${typeof value === 'number' && !Number.isInteger(value) ? Math.round(value * 100) / 100 : String(value)}`);
  return listed.length > 0 ? listed.join(', ') : undefined;
}

function segmentName(key: string, data: Record<string, unknown>): string {
  return text(data['segmentName']) ?? builtInSegment(key)?.name ?? key;
}

/** The dashboard page of the account (or the segment, for a user without one). */
function dashboardLink(publicUrl: string, data: Record<string, unknown>, segment: string | undefined): string | undefined {
  const accountId = text(data['accountId']);
  if (accountId !== undefined) return `${publicUrl}/dashboard/#/accounts/${encodeURIComponent(accountId)}`;
  if (segment !== undefined) return `${publicUrl}/dashboard/#/segments/${encodeURIComponent(segment)}`;
  return undefined;
}

/** The sentence of one message, without the link. */
function sentence(payload: StoredPayload): string {
  const data = payload.data;
  const who = text(data['accountName']) ?? text(data['accountId']) ?? text(data['userName']) ?? text(data['userId']) ?? 'Someone';
  if (payload.type === 'segment.entered' || payload.type === 'segment.exited') {
    const key = text(data['segment']) ?? 'a segment';
    const facts = data['facts'] && typeof data['facts'] === 'object' ? factsInWords(key, data['facts'] as Record<string, unknown>) : undefined;
    const verb = payload.type === 'segment.entered' ? 'entered' : 'left';
    const play = payload.type === 'segment.entered' ? (text(data['play']) ?? PLAYS[key]) : undefined;
    return `${who} ${verb} ${segmentName(key, data)}${facts ? `: ${facts}` : ''}.${play ? ` Play: ${play}.` : ''}`;
  }
  if (payload.type === 'nps.response') {
    const score = num(data['score']);
    const category = text(data['category']);
    const comment = text(data['comment']);
    const user = text(data['userId']) ?? 'A user';
    const account = text(data['accountId']);
    const play = category === 'detractor' ? PLAYS['nps-detractors'] : category === 'promoter' ? PLAYS['nps-promoters'] : undefined;
    return `${user}${account ? ` (${account})` : ''} answered NPS ${score ?? '?'}${category ? ` (${category})` : ''}${comment ? `: “${comment}”` : '.'}${play ? ` Play: ${play}.` : ''}`;
  }
  if (payload.type === 'webhook.test') return 'Test message from Uptake: this endpoint receives webhooks.';
  return `${payload.type} from Uptake.`;
}

/**
 * The Slack message of a stored payload.
 *
 * @example
 * slackMessage({ type: 'segment.entered', timestamp, data: { segment: 'low-utilization', accountId: 'acme', accountName: 'Acme', facts: { utilisation: 0.42, seats: 25 } } }, 'https://uptake.example.com')
 * // { text: 'Acme entered Low utilisation: 42 % of 25 seats active in 30 days. Play: offer an enablement session; … <https://uptake.example.com/dashboard/#/accounts/acme|Open in Uptake>', blocks: [...] }
 */
export function slackMessage(payload: StoredPayload, publicUrl: string): SlackMessage {
  const words = escape(sentence(payload));
  const link = dashboardLink(publicUrl, payload.data, text(payload.data['segment']));
  const linked = link ? `${words} <${link}|Open in Uptake>` : words;
  const blocks: Array<Record<string, unknown>> = [{ type: 'section', text: { type: 'mrkdwn', text: linked } }];
  blocks.push({ type: 'context', elements: [{ type: 'mrkdwn', text: `${payload.type} · ${payload.timestamp}` }] });
  return { text: linked, blocks };
}
