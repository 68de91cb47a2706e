/**
 * Score-model preview, computed in the browser from score breakdowns (no model is saved).
 *
 * A breakdown row's `count` is the event's count over the window with each day capped at the
 * model's `dailyCap`. So for a proposed model with the same window and cap as the model the
 * breakdowns came from, the new score is exactly Σ over the proposed features of weight × count.
 * Version 1 counts every non-reserved track event, so its breakdowns cover any feature a new
 * model can name; the preview uses them (window 30 days, cap 20). Other windows or caps can't be
 * derived from these counts: the editor then offers a shadow version instead.
 */

import { percentileOf } from './figures/percentile.js';

/**
 * @example
 * previewScore([{ event: 'Export', count: 4 }], { Export: { weight: 5 } }) // 20
 */
export function previewScore(breakdown, features) {
  let score = 0;
  for (const row of breakdown) {
    const feature = features[row.event];
    if (feature) score += feature.weight * row.count;
  }
  return score;
}

/** Each score's percentile among `scores`, by the API's own definition (domain/percentile.js). */
export function percentiles(scores) {
  const sorted = [...scores].sort((a, b) => a - b);
  return scores.map((score) => percentileOf(sorted, score));
}

/** Whether a proposed window and cap can be previewed from breakdowns made under `base`. */
export const previewable = (proposed, base) => proposed.windowDays === base.windowDays && proposed.dailyCap === base.dailyCap;
