import type { LimitFunction } from 'p-limit';
import type { Environment } from '../../stacks/environment/load.ts';
import type { Cluster } from '../../stacks/topology/topology.ts';
import type { RenderedCluster } from '../../templates/render.ts';
import type { HostFacts } from './facts.ts';
import type { ClusterView } from './cluster-view.ts';
import type { SpaceNeed } from './space.ts';
import type { RemoteHost } from './remote-host.ts';
import type { Reporter } from './report.ts';

/** What a run knows and holds; phases read it and add to it in order. */
export interface RunContext {
  readonly env: Environment;
  readonly cluster: Cluster;
  readonly rendered: RenderedCluster;
  readonly reporter: Reporter;
  /** Bounds how many hosts act at once. */
  readonly limit: LimitFunction;
  /** BGP passwords and the like, by the environment variable that names them. */
  readonly secrets: Readonly<Record<string, string>>;
  readonly hosts: Map<string, RemoteHost>;
  readonly facts: Map<string, HostFacts>;
  /** The cluster's own view of its members, read after the facts; undefined before the cluster exists. */
  clusterView?: ClusterView;
}

/** One thing a phase will do on one host: what `herd plan` prints and `herd apply` does. */
export interface PlannedStep {
  readonly host: string;
  readonly step: string;
  /** The nodes a step acts for when it runs on another host (a control plane applying their objects). */
  readonly forNodes?: readonly string[];
  /** Steps of a phase that runs in batches: each batch finishes before the next starts. */
  readonly batch?: number;
  /** The facts the step was chosen from, in the operator's words (herd plan --json shows them). */
  readonly because?: string;
}

/**
 * A phase in k0sctl's sense: planned from the facts alone (so a plan is exactly
 * what apply does), then run. A phase with no steps is skipped.
 */
export interface Phase {
  readonly title: string;
  /** False for phases that only read (verify): they run every time and do not count as changes. */
  readonly changes: boolean;
  plan(ctx: RunContext): PlannedStep[];
  run(ctx: RunContext, steps: readonly PlannedStep[]): Promise<void>;
  /** The free space a planned step needs on its host, checked before anything runs. */
  spaceNeeded?(ctx: RunContext, step: PlannedStep): SpaceNeed[];
}

export function hostOf(ctx: RunContext, name: string): RemoteHost {
  const host = ctx.hosts.get(name);
  if (host === undefined) throw new Error(`no connection to ${name}`);
  return host;
}

export function factsOf(ctx: RunContext, name: string): HostFacts {
  const facts = ctx.facts.get(name);
  if (facts === undefined) throw new Error(`no facts for ${name}`);
  return facts;
}
