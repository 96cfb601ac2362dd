import { formatTable } from '../cli/table.ts';
import type { PreflightReport } from './preflight.ts';

const n = (v: number): string => (Number.isInteger(v) ? String(v) : v.toFixed(1));

/** The capacity table an operator reads before a change: needed, what exists, what the change adds, and what is free, per resource. */
export function capacityTable(report: PreflightReport): string {
  const capacity = report.capacity;
  if (capacity === undefined) return '';
  const { plan } = capacity;
  const spare = plan.spare === undefined ? '' : `; N+1 plans without ${plan.spare.name}, the largest`;
  const head = `capacity of ${capacity.computeResource} (${plan.usableHosts.length} usable host${plan.usableHosts.length === 1 ? '' : 's'}${spare}) and ${capacity.storage}:\n`;
  const rows = plan.lines.map((l) => [
    l.resource === 'vCPU' ? 'vCPU' : `${l.resource} (${l.unit})`,
    n(l.needed),
    n(l.exists),
    `${l.adds > 0 ? '+' : ''}${n(l.adds)}`,
    n(l.free),
    l.resource === 'disk' ? '-' : n(l.freeWithSpare),
    n(l.freeWithSpare - l.adds),
  ]);
  return head + formatTable(['resource', 'needed', 'exists', 'change adds', 'free', 'free with N+1', 'left after'], rows);
}

export function stepsTable(report: PreflightReport): string {
  const rows = report.steps.map((s) => [s.name, String(s.roundTrips), s.milliseconds.toFixed(1)]);
  const total = report.steps.reduce((t, s) => ({ trips: t.trips + s.roundTrips, ms: t.ms + s.milliseconds }), { trips: 0, ms: 0 });
  return formatTable(['step', 'round trips', 'ms'], [...rows, ['total', String(total.trips), total.ms.toFixed(1)]]);
}
