import type { Environment } from '../../../stacks/environment/load.ts';
import type { Cluster } from '../../../stacks/topology/topology.ts';
import type { RenderedCluster } from '../../../templates/render.ts';
import type { EnvironmentCredentials } from '../connect-hosts.ts';
import type { Console, Reporter } from '../report.ts';
import type { MachineReplacer } from './machines.ts';
import type { RollRecord } from './progress.ts';

/** What one roll knows and holds while it replaces nodes batch by batch. */
export interface RollRun {
  readonly env: Environment;
  readonly cluster: Cluster;
  readonly rendered: RenderedCluster;
  readonly credentials: EnvironmentCredentials;
  readonly reporter: Reporter;
  readonly console: Console;
  readonly machines: MachineReplacer;
  readonly record: RollRecord;
  /** How long a node that joined again may take to be Ready (and etcd whole) before the roll stops. */
  readonly readyTimeoutSeconds: number;
  /**
   * Nodes that may be broken when the roll starts (not Ready, unreachable,
   * re-imaged already, their etcd member unhealthy): the one node herd node
   * replace is asked to replace. Every other node must be healthy.
   */
  readonly tolerated: ReadonlySet<string>;
}
