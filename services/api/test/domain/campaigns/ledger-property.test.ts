import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decideMessage } from '../../../src/domain/campaigns/decide-message.ts';
import type { CampaignRule } from '../../../src/domain/campaigns/eligibility.ts';
import { DEFAULT_NPS_PROMPT_SETTINGS, npsPromptDecision } from '../../../src/domain/widgets/nps-eligibility.ts';

const DAY_MS = 86_400_000;
const start = Date.parse('2026-12-01T00:00:00.000Z');

type Contact = { user: string; account: string | null; at: number };

const campaignOf = (index: number, holdoutShare: number, priority: number): CampaignRule => ({
  id: `cmp_${index}`,
  audience: { segments: ['s'], traits: [] },
  message: { title: 't', body: 'b' },
  schedule: { startsAt: null, endsAt: null, frequency: { kind: 'every', days: 1 }, priority },
  holdoutShare,
  createdAt: '2026-11-01T00:00:00.000Z',
});

const request = fc.record({
  kind: fc.constantFrom('nps', 'message'),
  user: fc.integer({ min: 0, max: 4 }),
  account: fc.option(fc.integer({ min: 0, max: 1 }), { nil: null }),
  // Requests in bursts (0 ms apart) and across days.
  advanceMs: fc.oneof(fc.constant(0), fc.integer({ min: 0, max: 3 * 3_600_000 }), fc.integer({ min: 0, max: 3 * DAY_MS })),
});

describe('the contact-pressure ledger', () => {
  it('is never exceeded, whatever mix of NPS prompt and message requests arrives', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 10 }),
        fc.integer({ min: 0, max: 4 }),
        fc.array(fc.record({ holdoutShare: fc.double({ min: 0, max: 0.5, noNaN: true }), priority: fc.integer({ min: -5, max: 5 }) }), { minLength: 1, maxLength: 3 }),
        fc.array(request, { minLength: 1, maxLength: 120 }),
        (interval, accountLimit, campaignSpecs, requests) => {
          const settings = { ...DEFAULT_NPS_PROMPT_SETTINGS, userContactIntervalDays: interval, accountDailyPromptLimit: accountLimit };
          const campaigns = campaignSpecs.map((spec, index) => campaignOf(index, spec.holdoutShare, spec.priority));
          const contacts: Contact[] = [];
          const assigned = new Map<string, number>();
          let now = start;
          for (const next of requests) {
            now += next.advanceMs;
            const user = `u${next.user}`;
            const account = next.account === null ? null : `a${next.account}`;
            const at = new Date(now);
            const dayStart = Math.floor(now / DAY_MS) * DAY_MS;
            const last = contacts.filter((contact) => contact.user === user).reduce<number | undefined>((max, contact) => (max === undefined || contact.at > max ? contact.at : max), undefined);
            const ledger = {
              now: at,
              lastPromptShownAt: last === undefined ? undefined : new Date(last),
              accountPromptsToday: account === null ? 0 : contacts.filter((contact) => contact.account === account && contact.at >= dayStart && contact.at < dayStart + DAY_MS).length,
            };
            if (next.kind === 'nps') {
              const decision = npsPromptDecision(
                { ...ledger, userId: user, surveyId: 'nps', userFirstSeenAt: new Date(start - 365 * DAY_MS), accountPostOnboarding: true, lastResponseAt: undefined, lastDismissedAt: undefined, projectResponsesInQuotaPeriod: 0 },
                settings,
              );
              if (decision.show) contacts.push({ user, account, at: now });
            } else {
              const decision = decideMessage({
                projectId: 'p',
                userId: user,
                campaigns,
                factsOf: (campaign) => {
                  const previous = assigned.get(`${campaign.id}:${user}`);
                  return { now: at, segments: new Set(['s']), traits: {}, lastAssignedAt: previous === undefined ? undefined : new Date(previous), values: {} };
                },
                ledger,
                settings,
              });
              if (decision.reason === 'eligible' || decision.reason === 'holdout') assigned.set(`${decision.campaign.id}:${user}`, now);
              if (decision.show) contacts.push({ user, account, at: now });
            }
          }
          // One contact of any kind per user per interval …
          for (const user of new Set(contacts.map((contact) => contact.user))) {
            const times = contacts.filter((contact) => contact.user === user).map((contact) => contact.at);
            for (let i = 1; i < times.length; i++) expect(times[i]! - times[i - 1]!).toBeGreaterThanOrEqual(interval * DAY_MS);
          }
          // … and at most the limit per account per UTC day.
          const perAccountDay = new Map<string, number>();
          for (const contact of contacts) {
            if (contact.account === null) continue;
            const key = `${contact.account}:${Math.floor(contact.at / DAY_MS)}`;
            perAccountDay.set(key, (perAccountDay.get(key) ?? 0) + 1);
          }
          for (const count of perAccountDay.values()) expect(count).toBeLessThanOrEqual(accountLimit);
        },
      ),
      { numRuns: 300 },
    );
  });
});
