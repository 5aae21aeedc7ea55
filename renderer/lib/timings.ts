// Per-stage timing labels and formatting, shared by the engine-status waterfall and the FP16/FP32 compare table.
import type { StageTimings } from '../../engines/types.js';

/** Stages in pipeline order with their display labels (totalMs is not a stage; callers add it). */
export const STAGE_TIMING_ROWS: readonly (readonly [keyof StageTimings, string])[] = [
  ['decodeMs', 'decode / render'],
  ['detPreMs', 'det pre'],
  ['detRunMs', 'det run'],
  ['detPostMs', 'det post'],
  ['cropMs', 'crop'],
  ['clsMs', 'cls'],
  ['recPreMs', 'rec pre'],
  ['recRunMs', 'rec run'],
  ['recPostMs', 'rec post'],
  ['layoutMs', 'layout'],
];

export function formatMs(ms: number): string {
  return ms >= 1000 ? `${(ms / 1000).toFixed(2)} s` : `${ms.toFixed(ms < 10 ? 1 : 0)} ms`;
}
