import type { Capacity, ResourceLine } from '../capacity.ts';
import type { CheckResult, Finding } from '../findings.ts';

/**
 * The change must fit what the compute cluster has free with its largest
 * host lost (N+1), and the datastore what it has free. A change that only
 * removes (adds ≤ 0) always fits.
 */
export function checkCapacity(capacity: Capacity, where: { computeResource: string; storage: string; storageField: string }): CheckResult {
  const problems: Finding[] = [];
  if (capacity.usableHosts.length === 0) {
    problems.push({ path: ['infrastructure', 'computeCluster'], message: `${where.computeResource} has no connected ESXi host out of maintenance mode to run VMs on` });
    return { problems, warnings: [] };
  }
  for (const line of capacity.lines) {
    if (line.adds <= 0 || line.adds <= line.freeWithSpare) continue;
    problems.push({ path: line.resource === 'disk' ? ['infrastructure', where.storageField] : line.largestSource, message: shortage(line, capacity, where) });
  }
  return { problems, warnings: [] };
}

function shortage(line: ResourceLine, capacity: Capacity, where: { computeResource: string; storage: string }): string {
  const n = (v: number): string => (Number.isInteger(v) ? String(v) : v.toFixed(1));
  const amount = `${n(line.adds)} ${line.unit}${line.resource === 'memory' ? ' of memory' : line.resource === 'disk' ? ' of disk' : ''}`;
  if (line.resource === 'disk') {
    return `the change adds ${amount} (system and data disks and each VM's swap file), and ${where.storage} has ${n(line.free)} GiB free`;
  }
  const spare = capacity.spare;
  if (line.adds > line.free) {
    return `the change adds ${amount}, and ${where.computeResource} has ${n(line.free)} ${line.unit} free on its ${capacity.usableHosts.length} usable hosts`;
  }
  return (
    `the change adds ${amount}: ${where.computeResource} has ${n(line.free)} ${line.unit} free, but only ${n(line.freeWithSpare)} with room to lose its largest host ` +
    `(${spare?.name}, N+1); add a host, or make the change smaller`
  );
}
