/**
 * The figure definitions of src/domain/ (docs/architecture.md, "Where every figure is defined"),
 * each on the cases docs/api.md spells out.
 */
import { describe, expect, it } from 'vitest';
import { isActivityEvent, isTrackEvent } from '../../src/domain/activity.ts';
import { latestAnswerPerUser, npsCategory } from '../../src/domain/nps.ts';
import { percentileOf, percentRank } from '../../src/domain/percentile.js';
import { cappedDailyCount, countsTowardScore, featureWeight } from '../../src/domain/score.ts';
import { seatsOf } from '../../src/domain/seats.ts';
import { utilisationChange, utilisationOf } from '../../src/domain/utilisation.ts';

describe('figure definitions', () => {
  it('utilisation: active users ÷ seats, null when seats are unknown or 0', () => {
    expect([utilisationOf(3, 4), utilisationOf(3, 0), utilisationOf(3, null), utilisationOf(0, 5)]).toEqual([0.75, null, null, 0]);
  });

  it('utilisation change: now ÷ before − 1, null when either is null or before is 0', () => {
    expect([utilisationChange(0.6, 0.5), utilisationChange(0.5, 0), utilisationChange(null, 0.5), utilisationChange(0.5, null), utilisationChange(0, 0.5)]).toEqual([0.6 / 0.5 - 1, null, null, null, -1]);
  });

  it('seats: a number or numeric text; null, empty, absent or other text unknown', () => {
    expect([seatsOf({ seats: 12 }), seatsOf({ seats: '12' }), seatsOf({ seats: 0 }), seatsOf({ seats: null }), seatsOf({ seats: '' }), seatsOf({ seats: 'many' }), seatsOf({}), seatsOf(null)]).toEqual([12, 12, 0, null, null, null, null, null]);
  });

  it('NPS category: 9–10 promoter, 7–8 passive, 0–6 detractor', () => {
    expect([0, 6, 7, 8, 9, 10].map(npsCategory)).toEqual(['detractor', 'detractor', 'passive', 'passive', 'promoter', 'promoter']);
  });

  it('latest NPS answer per user: latest timestamp, the greater messageId on a tie', () => {
    const latest = latestAnswerPerUser([
      { userId: 'u1', score: 3, timestamp: 2, messageId: 'b' },
      { userId: 'u1', score: 9, timestamp: 1, messageId: 'c' },
      { userId: 'u2', score: 5, timestamp: 1, messageId: 'a' },
      { userId: 'u2', score: 8, timestamp: 1, messageId: 'b' },
    ]);
    expect(latest).toEqual(new Map([['u1', 3], ['u2', 8]]));
  });

  it('percentile: round(100 × #strictly lower ÷ (n − 1)), 0 when alone; percent rank the same ratio', () => {
    expect([0, 1, 5].map((score) => percentileOf([0, 1, 1, 5], score))).toEqual([0, 33, 100]);
    expect(percentileOf([7], 7)).toBe(0);
    // 100 × 23 / 40 = 57.5 rounds up (100 × (23 / 40) would be 57.4999…).
    expect(percentileOf(Array.from({ length: 41 }, (_, i) => i), 23)).toBe(58);
    expect(percentRank([0, 1, 1, 5], 1)).toBeCloseTo(1 / 3);
  });

  it('which events count toward a score, and their weight', () => {
    const v1 = { everyTrackEvent: true, features: {} };
    const v2 = { everyTrackEvent: false, features: { Export: { weight: 5, label: 'Export' } } };
    expect(['Export', '$page', '$nps_response', 'constructor'].map((event) => countsTowardScore(v1, event))).toEqual([true, false, false, true]);
    expect(['Export', 'Invite', 'constructor'].map((event) => countsTowardScore(v2, event))).toEqual([true, false, false]);
    expect([featureWeight(v1, 'Invite'), featureWeight(v2, 'Export'), featureWeight(v2, 'Invite')]).toEqual([1, 5, 0]);
  });

  it('capped daily count: a day\'s count up to the daily cap', () => {
    expect([cappedDailyCount(5, 20), cappedDailyCount(35, 20)]).toEqual([5, 20]);
  });

  it('activity: track and page events, not $nps_* answers, identify or group calls', () => {
    expect(['Export', '$page', '$session_start', '$nps_response', '$message_shown', '$message_clicked', '$identify', '$group'].map(isActivityEvent)).toEqual([true, true, true, false, false, false, false, false]);
  });

  it('features used: track events only, not page, identify or group calls', () => {
    expect(['Export', '$nps_response', '$page', '$identify', '$group'].map(isTrackEvent)).toEqual([true, true, false, false, false]);
  });
});
