// Types of nps-category.js (plain JavaScript so the dashboard runs the same definition).

export type NpsCategory = 'promoter' | 'passive' | 'detractor';

/**
 * The category of an answer (docs/api.md): 9–10 promoter, 7–8 passive, 0–6 detractor.
 *
 * @example
 * npsCategory(8) // 'passive'
 */
export declare function npsCategory(score: number): NpsCategory;
