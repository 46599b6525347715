/**
 * The report's defaults, apart from the figures' code: the CLI reads them to describe its flags
 * without importing vega (≈ 0.4 s), which `celens report` alone loads, when it runs.
 */
import type { Normalize, SegmentChoice } from '../analysis/aggregate.js';

/** How random pruning's seeds are drawn around their mean: min–max, or mean ± one standard deviation. */
export type Band = 'minmax' | 'sd';
export const BANDS: readonly Band[] = ['minmax', 'sd'];

export const REPORT_DEFAULTS = { segment: 'all' as SegmentChoice, normalize: 'none' as Normalize, split: false, band: 'minmax' as Band, columns: 256, title: 'celens report', png: true };
