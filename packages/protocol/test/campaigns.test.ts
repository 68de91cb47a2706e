import { describe, expect, it } from 'vitest';
import { campaignInputSchema, campaignPatchSchema, eventSchema, templateProblem } from '../src/index.ts';

const valid = {
  name: 'Missing value',
  audience: { segments: ['feature-unused:Report Created'] },
  message: { title: 'Hi {{firstName}}', body: "You're missing {{ featureLabel }}: {{featureValueText}}" },
  goal: { kind: 'event', event: 'Report Created', withinDays: 14 },
};

const pathOf = (body: unknown) => {
  const result = campaignInputSchema.safeParse(body);
  return result.success ? null : result.error.issues.map((issue) => issue.path.join('.'));
};

describe('campaign input', () => {
  it('fills the defaults', () => {
    const parsed = campaignInputSchema.parse(valid);
    expect(parsed).toMatchObject({
      kind: 'custom',
      enabled: false,
      holdoutShare: 0.1,
      audience: { traits: [] },
      message: { format: 'card', cta: null },
      schedule: { startsAt: null, endsAt: null, frequency: { kind: 'once' }, priority: 0 },
    });
  });

  it.each([
    [{ ...valid, message: { ...valid.message, body: 'Hi {{lastName}}' } }, 'message.body'],
    [{ ...valid, message: { ...valid.message, body: 'Hi {{#if x}}yo{{/if}}' } }, 'message.body'],
    [{ ...valid, message: { ...valid.message, title: 'Hi {{firstName' } }, 'message.title'],
    [{ ...valid, message: { ...valid.message, cta: { label: 'Go', url: 'javascript:alert(1)' } } }, 'message.cta.url'],
    [{ ...valid, message: { ...valid.message, cta: { label: 'Go', url: '//evil.example' } } }, 'message.cta.url'],
    [{ ...valid, message: { ...valid.message, cta: { label: 'Go', url: 'http://plain.example' } } }, 'message.cta.url'],
    [{ ...valid, holdoutShare: 0.6 }, 'holdoutShare'],
    [{ ...valid, audience: { segments: [] } }, 'audience.segments'],
    [{ ...valid, audience: { segments: ['x'], traits: [{ trait: 'plan', op: 'gt', value: 'a' }] } }, 'audience.traits.0.value'],
    [{ ...valid, audience: { segments: ['x'], traits: [{ trait: 'plan', op: 'eq' }] } }, 'audience.traits.0.value'],
    [{ ...valid, schedule: { startsAt: '2026-12-06T00:00:00Z', endsAt: '2026-12-05T00:00:00Z' } }, 'schedule.endsAt'],
    [{ ...valid, schedule: { frequency: { kind: 'every', days: 0 } } }, 'schedule.frequency.days'],
    [{ ...valid, goal: { kind: 'event', event: 'x', withinDays: 0 } }, 'goal.withinDays'],
    [{ ...valid, kind: 'spam' }, 'kind'],
    [{ ...valid, extra: 1 }, ''],
  ])('refuses a bad field, naming it (%#)', (body, path) => {
    expect(pathOf(body)).toContain(path);
  });

  it('accepts https and relative call-to-action URLs', () => {
    for (const url of ['https://example.com/reports?x=1', '/reports/new']) {
      expect(pathOf({ ...valid, message: { ...valid.message, cta: { label: 'Go', url } } })).toBeNull();
    }
  });

  it('patches any subset', () => {
    expect(campaignPatchSchema.parse({ enabled: true })).toEqual({ enabled: true });
  });

  it('templateProblem names unknown placeholders', () => {
    expect(templateProblem('Hi {{nope}}')).toMatch(/unknown placeholder \{\{nope\}\}/);
    expect(templateProblem('Hi {{firstName}}, you used {{topFeatureLabel}} {{topFeatureCount}} times')).toBeUndefined();
  });
});

describe('message events', () => {
  const event = (name: string, properties: Record<string, unknown>) =>
    eventSchema.safeParse({ type: 'track', userId: 'u1', event: name, properties }).success;
  it('accepts $message_* with a campaignId and refuses them without', () => {
    expect(event('$message_shown', { campaignId: 'cmp_1' })).toBe(true);
    expect(event('$message_clicked', { campaignId: 'cmp_1', url: '/x' })).toBe(true);
    expect(event('$message_dismissed', { campaignId: 'cmp_1' })).toBe(true);
    expect(event('$message_shown', {})).toBe(false);
    expect(event('$message_other', { campaignId: 'cmp_1' })).toBe(false);
  });
});
