import { playOf, situationOf } from '../domain/plays.js';
import { builtInSegment } from '../domain/segments/built-in.ts';

/**
 * The `format: "slack"` body (docs/webhooks.md): `{ text, blocks }`, which a Slack incoming webhook
 * accepts, with the play in words and a link to the account in the dashboard.
 */

export type StoredPayload = { type: string; timestamp: string; data: Record<string, unknown> };
export type SlackMessage = { text: string; blocks: Array<Record<string, unknown>> };

const text = (value: unknown): string | undefined => (typeof value === 'string' && value !== '' ? value : undefined);
const num = (value: unknown): number | undefined => (typeof value === 'number' && Number.isFinite(value) ? value : undefined);
/** Slack's mrkdwn treats &, < and > as markup. */
const escape = (value: string) => value.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

/** The segment of a `segment.*` message: `data.segment` is `{ key, name }` (docs/webhooks.md). */
function segmentOf(data: Record<string, unknown>): { key: string; name: string } | undefined {
  const segment = data['segment'];
  if (typeof segment !== 'object' || segment === null) return undefined;
  const key = text((segment as Record<string, unknown>)['key']);
  if (key === undefined) return undefined;
  return { key, name: text((segment as Record<string, unknown>)['name']) ?? builtInSegment(key)?.name ?? key };
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
    const segment = segmentOf(data) ?? { key: '', name: 'a segment' };
    const facts = data['facts'] && typeof data['facts'] === 'object' ? situationOf(segment.key, data['facts'] as Record<string, unknown>) : undefined;
    const verb = payload.type === 'segment.entered' ? 'entered' : 'left';
    const play = payload.type === 'segment.entered' ? playOf(segment.key) : undefined;
    return `${who} ${verb} ${segment.name}${facts ? `: ${facts}` : ''}.${play ? ` Play: ${play}.` : ''}`;
  }
  if (payload.type === 'nps.response') {
    const score = num(data['score']);
    const category = text(data['category']);
    const comment = text(data['comment']);
    const user = text(data['userId']) ?? 'A user';
    const account = text(data['accountId']);
    const play = category === 'detractor' ? playOf('nps-detractors') : category === 'promoter' ? playOf('nps-promoters') : undefined;
    return `${user}${account ? ` (${account})` : ''} answered NPS ${score ?? '?'}${category ? ` (${category})` : ''}${comment ? `: “${comment}”` : '.'}${play ? ` Play: ${play}.` : ''}`;
  }
  if (payload.type === 'webhook.test') return 'Test message from Uptake: this endpoint receives webhooks.';
  return `${payload.type} from Uptake.`;
}

/**
 * The Slack message of a stored payload.
 *
 * @example
 * slackMessage({ type: 'segment.entered', timestamp, data: { segment: { key: 'low-utilization', name: 'Low utilisation' }, accountId: 'acme', facts: { utilisation: 0.42, seats: 25 } } }, 'https://uptake.example.com')
 * // { text: 'acme entered Low utilisation: 42 % of 25 seats active in 30 days. Play: find who has a seat … <https://uptake.example.com/dashboard/#/accounts/acme|Open in Uptake>', blocks: [...] }
 */
export function slackMessage(payload: StoredPayload, publicUrl: string): SlackMessage {
  const words = escape(sentence(payload));
  const link = dashboardLink(publicUrl, payload.data, segmentOf(payload.data)?.key);
  const linked = link ? `${words} <${link}|Open in Uptake>` : words;
  const blocks: Array<Record<string, unknown>> = [{ type: 'section', text: { type: 'mrkdwn', text: linked } }];
  blocks.push({ type: 'context', elements: [{ type: 'mrkdwn', text: `${payload.type} · ${payload.timestamp}` }] });
  return { text: linked, blocks };
}
