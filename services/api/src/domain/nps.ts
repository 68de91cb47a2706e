import { npsCategory } from './nps-category.js';
import { roundHalfAwayFromZero } from './score.ts';

// The category lives in nps-category.js, which the dashboard runs too.
export { npsCategory, type NpsCategory } from './nps-category.js';

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

export type NpsAnswer = { userId: string; score: number; timestamp: number; messageId: string };

/**
 * Each user's latest answer: the one with the latest timestamp, the greater messageId breaking
 * ties (messageIds are unique per project, so one answer wins). NPS figures count these only.
 * figure-sql/figures.ts `latestNpsPerUser` and `latestNpsPerAccountUser` are the same rule in SQL.
 *
 * @example
 * latestAnswerPerUser([{ userId: 'u1', score: 3, timestamp: 1, messageId: 'a' }, { userId: 'u1', score: 9, timestamp: 2, messageId: 'b' }])
 * // Map { 'u1' => 9 }
 */
export function latestAnswerPerUser(answers: readonly NpsAnswer[]): Map<string, number> {
  const latest = new Map<string, NpsAnswer>();
  for (const answer of answers) {
    const known = latest.get(answer.userId);
    if (!known || answer.timestamp > known.timestamp || (answer.timestamp === known.timestamp && answer.messageId > known.messageId)) latest.set(answer.userId, answer);
  }
  return new Map([...latest].map(([userId, answer]) => [userId, answer.score]));
}
