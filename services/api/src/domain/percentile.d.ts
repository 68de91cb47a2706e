// Types of percentile.js (plain JavaScript so the dashboard runs the same definition).

/**
 * percent_rank of a score among the scores of everyone seen so far: (#strictly lower) ÷ (n − 1),
 * 0 when n ≤ 1.
 *
 * @example
 * percentRank([0, 1, 1, 5], 1) // 1/3
 */
export declare function percentRank(sortedAscending: ArrayLike<number>, score: number): number;

/**
 * Percentile of a score among the scores of everyone seen so far: round(100 × percent_rank),
 * computed as round(100 × #strictly lower ÷ (n − 1)); 0 when n ≤ 1.
 *
 * @example
 * percentileOf([0, 1, 1, 5], 1) // 33: one of the three others is lower
 */
export declare function percentileOf(sortedAscending: ArrayLike<number>, score: number): number;

/**
 * Percentile of one id's current score against a score table that may be older (project-wide
 * figures refresh within their staleness bound, docs/api.md): ranked as if the table held the
 * current score in place of the id's own entry (`ownEntry`; undefined when the table does not
 * have the id yet, which then counts as one more). So it is within 0–100 whatever the table, and
 * equals {@link percentileOf} when the table is current (its own entry is then the score).
 *
 * @example
 * percentileAgainst([0, 1, 2], 5, 2) // 100: both others are lower (not 150)
 */
export declare function percentileAgainst(sortedAscending: ArrayLike<number>, score: number, ownEntry: number | undefined): number;
