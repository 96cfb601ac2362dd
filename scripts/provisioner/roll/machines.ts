import type { ClusterNode } from '../../../stacks/topology/topology.ts';
import type { RollRecord } from './progress.ts';

/**
 * How a roll gets a node a new machine once the node is out of the cluster:
 * Terraform replaces a vSphere VM; a static host is re-imaged by the
 * operator's tooling or by the operator. Either way the new machine answers
 * over SSH when `replace` returns.
 */
export interface MachineReplacer {
  /** What the plan says this step does for a batch, one line per command or wait (`surge`: the pools whose surge machines exist meanwhile). */
  describe(batch: readonly ClusterNode[], surge?: readonly string[]): string[];
  /** Read-only, before any node of the batch leaves: whatever would refuse the replacement refuses here. */
  prepare(batch: readonly ClusterNode[]): Promise<void>;
  replace(batch: readonly ClusterNode[], record: RollRecord): Promise<void>;
}
