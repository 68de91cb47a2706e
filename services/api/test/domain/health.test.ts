/**
 * The health score (domain/health.ts) on the cases of docs/api.md, Health, and fast-check
 * properties: whole-number contributions that add up exactly to the score, the score within
 * 0–100 and equal to the rounded weighted mean of the normalised components.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DEFAULT_HEALTH_MODEL, healthBandOf, healthComponentValues, healthOf, type HealthInputs } from '../../src/domain/health.ts';

const base: HealthInputs = { percentile: 80, utilisation: 0.5, nps: null, score: 10, previousScore: 10, champions: 0, activeChampions: 0, featuresUsed: 2, projectFeatures: 4 };
const normalisedOf = (inputs: HealthInputs) => Object.fromEntries(healthOf(DEFAULT_HEALTH_MODEL, inputs).components.map((c) => [c.key, c.normalised]));

describe('health components: raw values and their normalisation to 0–100', () => {
  it.each([
    ['engagement is the percentile', { percentile: 37 }, 'engagement', 37, 37],
    ['utilisation above 1 counts as 100', { utilisation: 1.4 }, 'utilisation', 1.4, 100],
    ['utilisation unknown without seats', { utilisation: null }, 'utilisation', null, null],
    ['utilisation 0.7 is 70 (two decimals, no float tail)', { utilisation: 0.7 }, 'utilisation', 0.7, 70],
    ['NPS −100 is 0', { nps: -100 }, 'nps', -100, 0],
    ['NPS 33 is 66.5', { nps: 33 }, 'nps', 33, 66.5],
    ['trend: the same score is 50', { score: 12, previousScore: 12 }, 'trend', 0, 50],
    ['trend: from nothing to something is 100', { score: 5, previousScore: 0 }, 'trend', 1, 100],
    ['trend: dropped to a quarter is 12.5', { score: 3, previousScore: 12 }, 'trend', -0.75, 12.5],
    ['trend: nothing in both windows is unknown', { score: 0, previousScore: 0 }, 'trend', null, null],
    ['champions: 1 of 3 active is 33.33', { champions: 3, activeChampions: 1 }, 'champions', 1 / 3, 33.33],
    ['champions: none is unknown', { champions: 0, activeChampions: 0 }, 'champions', null, null],
    ['breadth: 2 of 3 features is 66.67', { featuresUsed: 2, projectFeatures: 3 }, 'breadth', 2 / 3, 66.67],
    ['breadth: a project with no feature is unknown', { featuresUsed: 0, projectFeatures: 0 }, 'breadth', null, null],
  ] as const)('%s', (_name, change, key, raw, normalised) => {
    const values = healthComponentValues({ ...base, ...change });
    expect(values[key].raw).toBe(raw);
    expect(normalisedOf({ ...base, ...change })[key]).toBe(normalised);
  });
});

describe('health score, band and contributions', () => {
  it('the docs example: unknown NPS and champions leave their weight to the others', () => {
    const health = healthOf(DEFAULT_HEALTH_MODEL, base);
    // Known: engagement 80 (25), utilisation 50 (20), trend 50 (15), breadth 50 (15): (2000 + 1000 + 750 + 750) ÷ 75 = 60.
    expect(health.score).toBe(60);
    expect(health.band).toBe('yellow');
    expect(health.components.map((c) => [c.key, c.contribution])).toEqual([
      ['engagement', 27],
      ['utilisation', 13],
      ['nps', 0],
      ['trend', 10],
      ['champions', 0],
      ['breadth', 10],
    ]);
  });

  it('bands: red below yellow, green from green, yellow between (thresholds included)', () => {
    const bands = { yellow: 40, green: 70 };
    expect([0, 39, 40, 69, 70, 100].map((score) => healthBandOf(score, bands))).toEqual(['red', 'red', 'yellow', 'yellow', 'green', 'green']);
    expect(healthBandOf(50, { yellow: 50, green: 50 })).toBe('green');
  });

  it('no score when no known component has a weight', () => {
    const health = healthOf({ weights: { engagement: 0, utilisation: 0, nps: 100, trend: 0, champions: 0, breadth: 0 }, bands: DEFAULT_HEALTH_MODEL.bands }, base);
    expect(health).toMatchObject({ score: null, band: null });
    expect(health.components.every((c) => c.contribution === 0)).toBe(true);
  });

  it('rounds a half up, the missing point to the largest remainder', () => {
    // Two equal weights, 50.5 and 50: exact 50.25 → 50; 51 and 50: 50.5 → 51 with the point to … the first of equal remainders.
    const weights = { engagement: 1, utilisation: 1, nps: 0, trend: 0, champions: 0, breadth: 0 };
    const health = healthOf({ weights, bands: DEFAULT_HEALTH_MODEL.bands }, { ...base, percentile: 51, utilisation: 0.5 });
    expect(health.score).toBe(51);
    expect(health.components.slice(0, 2).map((c) => c.contribution)).toEqual([26, 25]);
  });
});

const weight = fc.integer({ min: 0, max: 100 });
const inputs: fc.Arbitrary<HealthInputs> = fc
  .record({
    percentile: fc.integer({ min: 0, max: 100 }),
    utilisation: fc.option(fc.double({ min: 0, max: 5, noNaN: true }), { nil: null }),
    nps: fc.option(fc.integer({ min: -100, max: 100 }), { nil: null }),
    score: fc.oneof(fc.integer({ min: 0, max: 5000 }), fc.double({ min: 0, max: 1e5, noNaN: true })),
    previousScore: fc.oneof(fc.integer({ min: 0, max: 5000 }), fc.double({ min: 0, max: 1e5, noNaN: true })),
    champions: fc.integer({ min: 0, max: 20 }),
    projectFeatures: fc.integer({ min: 0, max: 50 }),
  })
  .chain((r) => fc.record({ activeChampions: fc.integer({ min: 0, max: r.champions }), featuresUsed: fc.integer({ min: 0, max: r.projectFeatures }) }).map((more) => ({ ...r, ...more })));

describe('health properties (fast-check)', () => {
  it('contributions are whole numbers that add up exactly to the score, within 0–100, equal to the rounded weighted mean', () => {
    fc.assert(
      fc.property(fc.record({ engagement: weight, utilisation: weight, nps: weight, trend: weight, champions: weight, breadth: weight }), inputs, (weights, values) => {
        const health = healthOf({ weights, bands: { yellow: 40, green: 70 } }, values);
        const known = health.components.filter((c) => c.normalised !== null);
        const total = known.reduce((sum, c) => sum + c.weight, 0);
        if (total === 0) {
          expect(health.score).toBeNull();
          return;
        }
        const score = health.score!;
        expect(Number.isInteger(score) && score >= 0 && score <= 100).toBe(true);
        for (const c of health.components) expect(Number.isInteger(c.contribution) && c.contribution >= 0).toBe(true);
        expect(health.components.reduce((sum, c) => sum + c.contribution, 0)).toBe(score);
        const mean = known.reduce((sum, c) => sum + c.weight * c.normalised!, 0) / total;
        expect(Math.abs(score - mean)).toBeLessThanOrEqual(0.5 + 1e-9);
        // Each contribution is within one point of the component's exact share.
        for (const c of known) expect(Math.abs(c.contribution - (c.weight * c.normalised!) / total)).toBeLessThan(1 + 1e-9);
        for (const c of health.components) if (c.normalised !== null) expect(c.normalised >= 0 && c.normalised <= 100).toBe(true);
      }),
      { numRuns: 2000 },
    );
  });
});
