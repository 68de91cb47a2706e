import type { CampaignInput } from '@uptake/protocol';
import { ANY_FEATURE_UNUSED } from './eligibility.ts';

/**
 * The adoption playbook's campaigns (docs/campaigns.md, "The five templates"), made for every new
 * project switched off (the demo project has them on). The NPS follow-up is two campaigns of one
 * kind: promoters are asked for a review, detractors offered help. Goals name events a product
 * may not send: edit them to your own before switching a campaign on.
 */
export const PLAYBOOK_CAMPAIGNS: readonly CampaignInput[] = [
  {
    name: 'NPS follow-up: detractors',
    kind: 'nps-follow-up',
    audience: { segments: ['nps-detractors'], traits: [] },
    message: {
      format: 'card',
      title: 'Sorry we let you down',
      body: 'You gave us {{npsScore}} out of 10. Tell us what got in your way and someone from our team will help you fix it.',
      cta: { label: 'Talk to us', url: '/support' },
    },
    schedule: { startsAt: null, endsAt: null, frequency: { kind: 'once' }, priority: 50 },
    holdoutShare: 0.1,
    goal: { kind: 'segment-exit', segment: 'nps-detractors', withinDays: 90 },
  },
  {
    name: 'NPS follow-up: promoters',
    kind: 'nps-follow-up',
    audience: { segments: ['nps-promoters'], traits: [] },
    message: {
      format: 'card',
      title: 'Thank you for the {{npsScore}}!',
      body: 'It means a lot to us. Would you share it in a short review, or tell a colleague who would like it too?',
      cta: { label: 'Write a review', url: '/review' },
    },
    schedule: { startsAt: null, endsAt: null, frequency: { kind: 'once' }, priority: 45 },
    holdoutShare: 0.1,
    goal: { kind: 'event', event: 'Review Left', withinDays: 30 },
  },
  {
    name: 'Win-back',
    kind: 'win-back',
    audience: { segments: ['dormant'], traits: [] },
    message: {
      format: 'banner',
      title: 'Welcome back',
      body: 'Good to see you again. Pick up where you left off: everything you made is still here.',
      cta: null,
    },
    schedule: { startsAt: null, endsAt: null, frequency: { kind: 'every', days: 90 }, priority: 40 },
    holdoutShare: 0.1,
    goal: { kind: 'event', event: '$session_start', withinDays: 14 },
  },
  {
    name: 'Welcome',
    kind: 'welcome',
    audience: { segments: ['new-users'], traits: [] },
    message: {
      format: 'card',
      title: 'Welcome aboard',
      body: 'Glad you are here. The quickest way to get value is to try one thing today: we will point out what is worth knowing as you go.',
      cta: null,
    },
    schedule: { startsAt: null, endsAt: null, frequency: { kind: 'once' }, priority: 30 },
    holdoutShare: 0.1,
    goal: { kind: 'event', event: '$session_start', withinDays: 7 },
  },
  {
    name: "You're missing …",
    kind: 'missing-value',
    audience: { segments: [ANY_FEATURE_UNUSED], traits: [] },
    message: {
      format: 'card',
      title: "You're missing: {{featureLabel}}",
      body: '{{featureValueText}}',
      cta: null,
    },
    schedule: { startsAt: null, endsAt: null, frequency: { kind: 'every', days: 30 }, priority: 20 },
    holdoutShare: 0.1,
    goal: { kind: 'segment-exit', segment: ANY_FEATURE_UNUSED, withinDays: 14 },
  },
  {
    name: "Here's what you achieved",
    kind: 'achievements',
    audience: { segments: ['top', 'weekly-active'], traits: [] },
    message: {
      format: 'card',
      title: "Here's what you achieved",
      body: '{{monthCount}} things done this month, {{topFeatureCount}} {{topFeatureLabel}} among them. Thank you for leading the way.',
      cta: null,
    },
    schedule: { startsAt: null, endsAt: null, frequency: { kind: 'every', days: 30 }, priority: 10 },
    holdoutShare: 0.1,
    goal: { kind: 'event', event: 'Teammate Invited', withinDays: 30 },
  },
];
