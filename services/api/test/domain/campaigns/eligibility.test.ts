import { describe, expect, it } from 'vitest';
import type { TraitCondition } from '@uptake/protocol';
import { decideMessage } from '../../../src/domain/campaigns/decide-message.ts';
import {
  byPriority,
  campaignStatus,
  frequencyAllows,
  holdoutPoint,
  inHoldout,
  scheduleState,
  traitConditionHolds,
  type CampaignRule,
  type CampaignUserFacts,
} from '../../../src/domain/campaigns/eligibility.ts';
import { fillTemplate } from '../../../src/domain/campaigns/template.ts';
import { contactLedgerBlock } from '../../../src/domain/widgets/contact-ledger.ts';

const DAY_MS = 86_400_000;
const now = new Date('2026-12-06T12:00:00.000Z');
const ago = (ms: number) => new Date(now.getTime() - ms);
const iso = (date: Date) => date.toISOString();

const campaign = (overrides: Partial<CampaignRule> = {}): CampaignRule => ({
  id: 'cmp_a',
  audience: { segments: ['dormant'], traits: [] },
  message: { title: 'Welcome back', body: 'Hi {{firstName}}' },
  schedule: { startsAt: null, endsAt: null, frequency: { kind: 'once' }, priority: 0 },
  holdoutShare: 0,
  createdAt: '2026-12-01T00:00:00.000Z',
  ...overrides,
});
const facts = (overrides: Partial<CampaignUserFacts> = {}): CampaignUserFacts => ({
  now,
  segments: new Set(['dormant']),
  traits: {},
  lastAssignedAt: undefined,
  values: { firstName: 'Ada' },
  ...overrides,
});

describe('scheduleState at its boundaries', () => {
  it.each([
    ['starts exactly now', { startsAt: iso(now), endsAt: null }, 'running'],
    ['starts 1 ms later', { startsAt: iso(new Date(now.getTime() + 1)), endsAt: null }, 'not_started'],
    ['starts tomorrow', { startsAt: iso(new Date(now.getTime() + DAY_MS)), endsAt: null }, 'not_started'],
    ['ends exactly now (excluded)', { startsAt: null, endsAt: iso(now) }, 'ended'],
    ['ends 1 ms later', { startsAt: null, endsAt: iso(new Date(now.getTime() + 1)) }, 'running'],
    ['ended yesterday', { startsAt: iso(ago(7 * DAY_MS)), endsAt: iso(ago(DAY_MS)) }, 'ended'],
    ['open both ends', { startsAt: null, endsAt: null }, 'running'],
  ] as const)('%s → %s', (_name, schedule, expected) => {
    expect(scheduleState(schedule, now)).toBe(expected);
  });
});

describe('frequencyAllows at the boundary days', () => {
  it.each([
    ['once, never assigned', { kind: 'once' } as const, undefined, true],
    ['once, assigned a year ago', { kind: 'once' } as const, ago(365 * DAY_MS), false],
    ['every 7 days, never assigned', { kind: 'every', days: 7 } as const, undefined, true],
    ['every 7 days, 6 days ago', { kind: 'every', days: 7 } as const, ago(6 * DAY_MS), false],
    ['every 7 days, 7 days less 1 ms ago', { kind: 'every', days: 7 } as const, ago(7 * DAY_MS - 1), false],
    ['every 7 days, exactly 7 days ago', { kind: 'every', days: 7 } as const, ago(7 * DAY_MS), true],
    ['every 7 days, 8 days ago', { kind: 'every', days: 7 } as const, ago(8 * DAY_MS), true],
    ['every 1 day, 23 h ago', { kind: 'every', days: 1 } as const, ago(23 * 3_600_000), false],
  ])('%s → %s', (_name, frequency, last, expected) => {
    expect(frequencyAllows(frequency, last, now)).toBe(expected);
  });
});

describe('contactLedgerBlock (the one rule the NPS prompt and messages share) at its boundaries', () => {
  const settings = { userContactIntervalDays: 7, accountDailyPromptLimit: 2 };
  it.each([
    ['never contacted', undefined, 0, undefined],
    ['contacted 7 days less 1 ms ago', ago(7 * DAY_MS - 1), 0, 'user_contacted_recently'],
    ['contacted exactly 7 days ago', ago(7 * DAY_MS), 0, undefined],
    ['contacted 1 day ago', ago(DAY_MS), 0, 'user_contacted_recently'],
    ['account one below its limit', undefined, 1, undefined],
    ['account at its limit', undefined, 2, 'account_daily_limit'],
    ['both: the user rule is named first', ago(DAY_MS), 2, 'user_contacted_recently'],
  ] as const)('%s → %s', (_name, last, today, expected) => {
    expect(contactLedgerBlock({ now, lastPromptShownAt: last, accountPromptsToday: today }, settings)).toBe(expected);
  });
});

describe('traitConditionHolds', () => {
  const traits = { plan: 'growth', seats: 12, seatsText: '12', admin: true, gone: null };
  it.each<[TraitCondition, boolean]>([
    [{ trait: 'plan', op: 'eq', value: 'growth' }, true],
    [{ trait: 'plan', op: 'eq', value: 'Growth' }, false],
    [{ trait: 'plan', op: 'neq', value: 'free' }, true],
    [{ trait: 'missing', op: 'neq', value: 'free' }, true],
    [{ trait: 'missing', op: 'eq', value: 'free' }, false],
    [{ trait: 'seats', op: 'eq', value: 12 }, true],
    [{ trait: 'seatsText', op: 'eq', value: 12 }, true],
    [{ trait: 'seats', op: 'eq', value: '12' }, true],
    [{ trait: 'admin', op: 'eq', value: true }, true],
    [{ trait: 'admin', op: 'eq', value: 'true' }, false],
    [{ trait: 'plan', op: 'exists' }, true],
    [{ trait: 'gone', op: 'exists' }, false],
    [{ trait: 'missing', op: 'exists' }, false],
    [{ trait: 'seats', op: 'gt', value: 11 }, true],
    [{ trait: 'seats', op: 'gt', value: 12 }, false],
    [{ trait: 'seats', op: 'lt', value: 13 }, true],
    [{ trait: 'seatsText', op: 'lt', value: 13 }, true],
    [{ trait: 'plan', op: 'gt', value: 0 }, false],
    [{ trait: 'missing', op: 'lt', value: 100 }, false],
  ])('%j → %s', (condition, expected) => {
    expect(traitConditionHolds(condition, traits)).toBe(expected);
  });
  it('reads only own traits (a trait named like an Object method is no match)', () => {
    expect(traitConditionHolds({ trait: 'toString', op: 'exists' }, {})).toBe(false);
  });
});

describe('campaignStatus: the first rule that fails', () => {
  it.each<[string, Partial<CampaignRule>, Partial<CampaignUserFacts>, string]>([
    ['all hold', {}, {}, 'eligible'],
    ['not started beats everything', { schedule: { startsAt: iso(new Date(now.getTime() + 1)), endsAt: null, frequency: { kind: 'once' }, priority: 0 } }, { segments: new Set() }, 'not_started'],
    ['ended', { schedule: { startsAt: null, endsAt: iso(now), frequency: { kind: 'once' }, priority: 0 } }, {}, 'ended'],
    ['in none of the segments', {}, { segments: new Set(['new-users']) }, 'not_in_audience'],
    ['in one of several segments', { audience: { segments: ['new-users', 'dormant'], traits: [] } }, {}, 'eligible'],
    ['a trait condition fails', { audience: { segments: ['dormant'], traits: [{ trait: 'plan', op: 'eq', value: 'pro' }] } }, { traits: { plan: 'free' } }, 'trait_mismatch'],
    ['already assigned (once)', {}, { lastAssignedAt: ago(30 * DAY_MS) }, 'frequency_cap'],
    ['a placeholder has no value', {}, { values: {} }, 'missing_fact'],
  ])('%s → %s', (_name, rule, userFacts, expected) => {
    expect(campaignStatus(campaign(rule), facts(userFacts))).toBe(expected);
  });
});

describe('priority and the holdout', () => {
  it('orders by priority, then age, then id', () => {
    const list = [
      campaign({ id: 'b', schedule: { startsAt: null, endsAt: null, frequency: { kind: 'once' }, priority: 5 } }),
      campaign({ id: 'c', schedule: { startsAt: null, endsAt: null, frequency: { kind: 'once' }, priority: 10 }, createdAt: '2026-12-02T00:00:00.000Z' }),
      campaign({ id: 'a', schedule: { startsAt: null, endsAt: null, frequency: { kind: 'once' }, priority: 10 }, createdAt: '2026-12-02T00:00:00.000Z' }),
      campaign({ id: 'd', schedule: { startsAt: null, endsAt: null, frequency: { kind: 'once' }, priority: 10 }, createdAt: '2026-12-01T00:00:00.000Z' }),
    ];
    expect(byPriority(list).map((rule) => rule.id)).toEqual(['d', 'a', 'c', 'b']);
  });

  it('holds out a stable share of users, by project, campaign and user', () => {
    const users = Array.from({ length: 20_000 }, (_, i) => `user-${i}`);
    const held = users.filter((user) => inHoldout('p1', 'cmp_x', user, 0.1)).length;
    expect(held / users.length).toBeGreaterThan(0.09);
    expect(held / users.length).toBeLessThan(0.11);
    expect(users.filter((user) => inHoldout('p1', 'cmp_x', user, 0)).length).toBe(0);
    expect(holdoutPoint('p1', 'cmp_x', 'user-1')).toBe(holdoutPoint('p1', 'cmp_x', 'user-1'));
    // Another campaign or project draws another holdout.
    const other = users.filter((user) => inHoldout('p1', 'cmp_y', user, 0.1));
    const overlap = other.filter((user) => inHoldout('p1', 'cmp_x', user, 0.1)).length;
    expect(overlap / other.length).toBeLessThan(0.2);
    expect(users.filter((user) => inHoldout('p2', 'cmp_x', user, 0.1) !== inHoldout('p1', 'cmp_x', user, 0.1)).length).toBeGreaterThan(1000);
  });

  const settings = { userContactIntervalDays: 7, accountDailyPromptLimit: 10 };
  const ledger = { now, lastPromptShownAt: undefined, accountPromptsToday: 0 };
  const heldOutUser = Array.from({ length: 1000 }, (_, i) => `u${i}`).find((user) => inHoldout('p', 'top', user, 0.5))!;
  const shownUser = Array.from({ length: 1000 }, (_, i) => `u${i}`).find((user) => !inHoldout('p', 'top', user, 0.5))!;
  const top = campaign({ id: 'top', holdoutShare: 0.5, schedule: { startsAt: null, endsAt: null, frequency: { kind: 'once' }, priority: 9 } });
  const low = campaign({ id: 'low', schedule: { startsAt: null, endsAt: null, frequency: { kind: 'once' }, priority: 1 } });

  it('picks the highest-priority campaign the user qualifies for', () => {
    const decision = decideMessage({ projectId: 'p', userId: shownUser, campaigns: [low, top], factsOf: () => facts(), ledger, settings });
    expect(decision).toMatchObject({ show: true, reason: 'eligible', group: 'exposed', campaign: { id: 'top' } });
    const skipped = decideMessage({ projectId: 'p', userId: shownUser, campaigns: [low, top], factsOf: (rule) => facts(rule.id === 'top' ? { lastAssignedAt: ago(DAY_MS) } : {}), ledger, settings });
    expect(skipped).toMatchObject({ show: true, campaign: { id: 'low' } });
  });

  it('a holdout user is shown nothing for that campaign and is assigned to the holdout', () => {
    expect(decideMessage({ projectId: 'p', userId: heldOutUser, campaigns: [low, top], factsOf: () => facts(), ledger, settings })).toMatchObject({
      show: false,
      reason: 'holdout',
      group: 'holdout',
      campaign: { id: 'top' },
    });
  });

  it('the ledger is checked before the holdout: a user who would not be shown is not assigned either', () => {
    const recently = { ...ledger, lastPromptShownAt: ago(DAY_MS) };
    expect(decideMessage({ projectId: 'p', userId: heldOutUser, campaigns: [top], factsOf: () => facts(), ledger: recently, settings })).toEqual({ show: false, reason: 'user_contacted_recently' });
    expect(decideMessage({ projectId: 'p', userId: shownUser, campaigns: [top], factsOf: () => facts(), ledger: { ...ledger, accountPromptsToday: 10 }, settings })).toEqual({
      show: false,
      reason: 'account_daily_limit',
    });
  });

  it('no qualifying campaign → no_campaign', () => {
    expect(decideMessage({ projectId: 'p', userId: shownUser, campaigns: [top], factsOf: () => facts({ segments: new Set() }), ledger, settings })).toEqual({ show: false, reason: 'no_campaign' });
  });
});

describe('fillTemplate', () => {
  it('fills every placeholder with plain text, markup untouched', () => {
    expect(fillTemplate("You're missing {{ featureLabel }}: {{featureValueText}}", { featureLabel: '<b>alerts</b>', featureValueText: 'a & b' })).toBe("You're missing <b>alerts</b>: a & b");
    expect(fillTemplate('{{firstName}} {{firstName}}', { firstName: '$&' })).toBe('$& $&');
  });
  it('is undefined when a placeholder has no value', () => {
    expect(fillTemplate('Hi {{firstName}}', {})).toBeUndefined();
    expect(fillTemplate('No placeholders', {})).toBe('No placeholders');
  });
});
