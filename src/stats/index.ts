/**
 * Statistics for comparing runs: paired tests on per-query values (Student's t, sign-flip
 * randomization), corrections for multiple comparisons, and the Student t distribution they use.
 * No tfjs; re-exported by `celens/ir`.
 */
export { pairedTTest, randomizationTest, RANDOMIZATION_DEFAULTS } from './paired.js';
export type { PairedTTest, RandomizationOptions, RandomizationTest } from './paired.js';
export { adjustPValues, holm, bonferroni, bh, CORRECTIONS } from './correction.js';
export type { Correction } from './correction.js';
export { studentTCdf, studentTTwoSided, studentTQuantile, incompleteBeta, lnGamma } from './special.js';
