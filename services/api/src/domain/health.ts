import { healthComponentKeys, type HealthBand, type HealthBands, type HealthComponent, type HealthComponentKey, type HealthModel, type HealthWeights } from '@uptake/protocol';

// The health score of an account (docs/api.md, Health): six components, each normalised to
// 0–100, combined with whole-number weights into a whole-number score whose component
// contributions add up to it exactly.

/** The model every project has without a write (version 1). */
export const DEFAULT_HEALTH_MODEL: HealthModel = {
  version: 1,
  status: 'active',
  weights: { engagement: 25, utilisation: 20, nps: 15, trend: 15, champions: 10, breadth: 15 },
  bands: { yellow: 40, green: 70 },
  createdAt: null,
};

/** What one account's health is computed from, as of a day under a score model. */
export type HealthInputs = {
  /** The account score's percentile among the accounts seen by the day (0–100). */
  percentile: number;
  /** Licence utilisation (ratio), null when seats are unknown or 0. */
  utilisation: number | null;
  /** The account's NPS over the npsWindowDays, null without responses. */
  nps: number | null;
  /** The account score as of the day, and as of windowDays before (the previous window). */
  score: number;
  previousScore: number;
  /** Members with the isChampion trait, and those of them active in the account in the last championQuietDays. */
  champions: number;
  activeChampions: number;
  /** Scored features the account used in the score window, and those any account used. */
  featuresUsed: number;
  projectFeatures: number;
};

export type AccountHealthFigure = { score: number | null; band: HealthBand | null; components: HealthComponent[] };

/** Hundredths: normalised values are kept to two decimals, as whole hundredths. */
const toHundredths = (value: number) => Math.round(value * 100);

/**
 * Each component's raw value and its normalisation to 0–100 (null: unknown, so it counts for
 * nothing and the other weights share its part):
 * - engagement: raw = percentile; normalised = percentile.
 * - utilisation: raw = utilisation; normalised = 100 × min(utilisation, 1).
 * - nps: raw = NPS (−100…100); normalised = (NPS + 100) ÷ 2.
 * - trend: raw = (score − previous) ÷ max(score, previous), null when both are 0; normalised = 50 + 50 × raw.
 * - champions: raw = active champions ÷ champions, null without champions; normalised = 100 × raw.
 * - breadth: raw = features used ÷ project features, null when the project used none; normalised = 100 × raw.
 * Every normalised value is rounded to two decimals (halves up).
 */
export function healthComponentValues(inputs: HealthInputs): Record<HealthComponentKey, { raw: number | null; hundredths: number | null; inputs: Record<string, number | null> }> {
  const of = (raw: number | null, normalised: (value: number) => number, from: Record<string, number | null>) => ({ raw, hundredths: raw === null ? null : toHundredths(normalised(raw)), inputs: from });
  const bigger = Math.max(inputs.score, inputs.previousScore);
  return {
    engagement: of(inputs.percentile, (value) => value, { score: inputs.score }),
    utilisation: of(inputs.utilisation, (value) => 100 * Math.min(value, 1), {}),
    nps: of(inputs.nps, (value) => (value + 100) / 2, {}),
    trend: of(bigger === 0 ? null : (inputs.score - inputs.previousScore) / bigger, (value) => 50 + 50 * value, { score: inputs.score, previousScore: inputs.previousScore }),
    champions: of(inputs.champions === 0 ? null : inputs.activeChampions / inputs.champions, (value) => 100 * value, { champions: inputs.champions, activeChampions: inputs.activeChampions }),
    breadth: of(inputs.projectFeatures === 0 ? null : inputs.featuresUsed / inputs.projectFeatures, (value) => 100 * value, {
      featuresUsed: inputs.featuresUsed,
      projectFeatures: inputs.projectFeatures,
    }),
  };
}

/** The band of a score: red below `yellow`, green from `green`, yellow between. */
export function healthBandOf(score: number, bands: HealthBands): HealthBand {
  return score >= bands.green ? 'green' : score >= bands.yellow ? 'yellow' : 'red';
}

/**
 * One account's health under a model. With N_i the normalised values in hundredths and W the sum
 * of the weights of the known components, the exact score is Σ w_i × N_i ÷ (100 × W); the score is
 * that rounded to a whole number (halves up), and each contribution is the component's share
 * w_i × N_i ÷ (100 × W) rounded down, the points still missing going one each to the largest
 * remainders (ties: the order of components). So the contributions add up to the score exactly,
 * in whole numbers. Score null (band null) when no known component has a weight.
 *
 * @example
 * healthOf(DEFAULT_HEALTH_MODEL, { percentile: 80, utilisation: 0.5, nps: null, score: 10, previousScore: 10, champions: 0, activeChampions: 0, featuresUsed: 2, projectFeatures: 4 })
 * // { score: 61, band: 'yellow', components: [{ key: 'engagement', raw: 80, normalised: 80, weight: 25, contribution: 27, … }, …] }
 */
export function healthOf(model: Pick<HealthModel, 'weights' | 'bands'>, inputs: HealthInputs): AccountHealthFigure {
  const values = healthComponentValues(inputs);
  const weightOf = (key: HealthComponentKey) => (model.weights as HealthWeights)[key];
  const known = healthComponentKeys.filter((key) => values[key].hundredths !== null);
  const total = known.reduce((sum, key) => sum + weightOf(key), 0);
  // Whole numbers throughout: weights ≤ 100, hundredths ≤ 10,000, six components.
  const products = new Map(known.map((key) => [key, weightOf(key) * values[key].hundredths!]));
  const unit = 100 * total;
  let score: number | null = null;
  const contributions = new Map<HealthComponentKey, number>();
  if (total > 0) {
    const sum = [...products.values()].reduce((a, b) => a + b, 0);
    score = Math.floor((2 * sum + unit) / (2 * unit));
    for (const [key, product] of products) contributions.set(key, Math.floor(product / unit));
    let missing = score - [...contributions.values()].reduce((a, b) => a + b, 0);
    const byRemainder = [...products].map(([key, product]) => ({ key, remainder: product % unit })).sort((a, b) => b.remainder - a.remainder || healthComponentKeys.indexOf(a.key) - healthComponentKeys.indexOf(b.key));
    for (const { key } of byRemainder) {
      if (missing <= 0) break;
      contributions.set(key, contributions.get(key)! + 1);
      missing--;
    }
  }
  return {
    score,
    band: score === null ? null : healthBandOf(score, model.bands),
    components: healthComponentKeys.map((key) => ({
      key,
      raw: values[key].raw,
      normalised: values[key].hundredths === null ? null : values[key].hundredths! / 100,
      weight: weightOf(key),
      contribution: contributions.get(key) ?? 0,
      inputs: values[key].inputs,
    })),
  };
}
