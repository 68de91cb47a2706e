import { describe, expect, it } from 'vitest';
import { DEFAULT_NPS_PROMPT_SETTINGS, npsPromptDecision, samplePoint, type NpsPromptFacts } from '../../src/domain/widgets/nps-eligibility.ts';
import { progressMessage } from '../../src/domain/widgets/progress-message.ts';

const now = new Date('2026-11-23T12:00:00Z');
const daysAgo = (days: number) => new Date(now.getTime() - days * 86_400_000);
const eligible: NpsPromptFacts = {
  now,
  userId: 'u1',
  surveyId: 'nps-default',
  userFirstSeenAt: daysAgo(60),
  accountPostOnboarding: true,
  lastResponseAt: undefined,
  lastDismissedAt: undefined,
  lastPromptShownAt: undefined,
  accountPromptsToday: 0,
  projectResponsesInQuotaPeriod: 0,
};
const decide = (facts: Partial<NpsPromptFacts>, settings = {}) =>
  npsPromptDecision({ ...eligible, ...facts }, { ...DEFAULT_NPS_PROMPT_SETTINGS, ...settings });

describe('npsPromptDecision', () => {
  it.each([
    ['an eligible user', {}, {}, true, 'eligible'],
    ['a user never seen', { userFirstSeenAt: undefined }, {}, false, 'unknown_user'],
    ['a 13-day-old user of an account not yet onboarded', { accountPostOnboarding: false, userFirstSeenAt: daysAgo(13.99) }, {}, false, 'too_new'],
    ['a 14-day-old user of an account not yet onboarded', { accountPostOnboarding: false, userFirstSeenAt: daysAgo(14) }, {}, true, 'eligible'],
    ['a new user of an onboarded account', { userFirstSeenAt: daysAgo(1) }, {}, true, 'eligible'],
    ['an answer 89.9 days ago', { lastResponseAt: daysAgo(89.9) }, {}, false, 'answered_recently'],
    ['an answer 90 days ago', { lastResponseAt: daysAgo(90) }, {}, true, 'eligible'],
    ['a dismissal 29.9 days ago', { lastDismissedAt: daysAgo(29.9) }, {}, false, 'dismissed_recently'],
    ['a dismissal 30 days ago', { lastDismissedAt: daysAgo(30) }, {}, true, 'eligible'],
    ['another prompt 6.9 days ago', { lastPromptShownAt: daysAgo(6.9) }, {}, false, 'user_contacted_recently'],
    ['another prompt 7 days ago', { lastPromptShownAt: daysAgo(7) }, {}, true, 'eligible'],
    ['the account at its daily limit', { accountPromptsToday: 10 }, {}, false, 'account_daily_limit'],
    ['the account one below its limit', { accountPromptsToday: 9 }, {}, true, 'eligible'],
    ['the quota met', { projectResponsesInQuotaPeriod: 50 }, { responseQuota: 50 }, false, 'response_quota_met'],
    ['the quota one short', { projectResponsesInQuotaPeriod: 49 }, { responseQuota: 50 }, true, 'eligible'],
    ['sampling at 0', {}, { samplingRate: 0 }, false, 'not_sampled'],
  ] as const)('%s', (_name, facts, settings, show, reason) => {
    expect(decide(facts, settings)).toEqual({ show, reason });
  });

  it('gives the first failing rule as the reason', () => {
    expect(decide({ lastResponseAt: daysAgo(1), lastDismissedAt: daysAgo(1), accountPromptsToday: 99 })).toEqual({ show: false, reason: 'answered_recently' });
  });

  it('samples a stable share of users', () => {
    const users = Array.from({ length: 10_000 }, (_, i) => `user-${i}`);
    const asked = users.filter((userId) => decide({ userId }, { samplingRate: 0.3 }).show).length;
    expect(asked / users.length).toBeGreaterThan(0.28);
    expect(asked / users.length).toBeLessThan(0.32);
    expect(samplePoint('user-7', 's')).toBe(samplePoint('user-7', 's'));
    expect(samplePoint('user-7', 's')).not.toBe(samplePoint('user-7', 't'));
  });
});

describe('progressMessage', () => {
  const features = [
    { event: 'Report Created', label: 'reports created', weight: 3 },
    { event: 'Dashboard Shared', label: 'dashboards shared', weight: 5, valueText: 'Share a dashboard to keep your team in the loop' },
    { event: 'Alert Set', label: 'alerts set', weight: 8, valueText: 'Alerts tell you when a metric moves' },
    { event: 'Comment Added', label: 'comments', weight: 1 },
    { event: 'Export Downloaded', label: 'exports', weight: 0 },
  ];

  it('lists used features with the change, most used first, and the most valuable unused ones', () => {
    const message = progressMessage(
      features,
      new Map([['Report Created', 42], ['Comment Added', 3]]),
      new Map([['Report Created', 30], ['Comment Added', 5], ['Dashboard Shared', 2]]),
      new Set(['Report Created', 'Comment Added', 'Dashboard Shared']),
      2,
    );
    expect(message.items).toEqual([
      { event: 'Report Created', label: 'reports created', count: 42, previousCount: 30, change: 12 },
      { event: 'Comment Added', label: 'comments', count: 3, previousCount: 5, change: -2 },
      { event: 'Dashboard Shared', label: 'dashboards shared', count: 0, previousCount: 2, change: -2 },
    ]);
    // Export has weight 0: never suggested.
    expect(message.missing).toEqual([{ event: 'Alert Set', label: 'alerts set', weight: 8, valueText: 'Alerts tell you when a metric moves' }]);
  });

  it('caps the suggestions and orders them by weight', () => {
    const message = progressMessage(features, new Map(), new Map(), new Set(), 2);
    expect(message.items).toEqual([]);
    expect(message.missing.map((feature) => feature.event)).toEqual(['Alert Set', 'Dashboard Shared']);
  });
});
