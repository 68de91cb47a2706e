import { roundHalfAwayFromZero } from './score.ts';

export type NpsCategory = 'promoter' | 'passive' | 'detractor';

export function npsCategory(score: number): NpsCategory {
  return score >= 9 ? 'promoter' : score >= 7 ? 'passive' : 'detractor';
}

/**
 * NPS of the latest responses (one per user): round(100 × (promoters − detractors) ÷ responses),
 * null when nobody answered.
 *
 * @example
 * npsOf([10, 9, 7, 3]) // { nps: 25, responses: 4, promoters: 2, passives: 1, detractors: 1 }
 */
export function npsOf(scores: number[]): { nps: number | null; responses: number; promoters: number; passives: number; detractors: number } {
  let promoters = 0;
  let passives = 0;
  let detractors = 0;
  for (const score of scores) {
    const category = npsCategory(score);
    if (category === 'promoter') promoters++;
    else if (category === 'passive') passives++;
    else detractors++;
  }
  const responses = scores.length;
  return { nps: responses === 0 ? null : roundHalfAwayFromZero((100 * (promoters - detractors)) / responses), responses, promoters, passives, detractors };
}
