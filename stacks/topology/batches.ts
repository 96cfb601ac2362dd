/**
 * How many of a pool's workers leave at once, in an upgrade or a roll
 * (upgrade.workerBatchSize): the count, or the percentage of the pool rounded
 * down, at least one.
 */
export function workerBatchSize(setting: number | string, poolCount: number): number {
  if (typeof setting === 'number') return setting;
  return Math.max(1, Math.floor((poolCount * Number(setting.replace('%', ''))) / 100));
}
