/**
 * Threshold comparisons of ratios and other computed numbers, with a 1e-9 tolerance: a value equal
 * to a threshold on paper (0.55 / 0.5 − 1 = 0.1) counts as equal, not as a float a hair above it.
 */
const EPSILON = 1e-9;

export const lessThan = (x: number, threshold: number) => x < threshold - EPSILON;
export const atMost = (x: number, threshold: number) => x <= threshold + EPSILON;
export const moreThan = (x: number, threshold: number) => x > threshold + EPSILON;
export const atLeast = (x: number, threshold: number) => x >= threshold - EPSILON;
export const nearlyEqual = (x: number, y: number) => Math.abs(x - y) <= EPSILON;
