/**
 * Did a deploy that exited 0 finish? `cdktf deploy` (and `cdktn deploy`) report
 * success when Terraform is killed (SIGKILL, the OOM killer) in the middle of an
 * apply: the outputs are printed and the exit code is 0, although a resource
 * was never created or destroyed. The state says what really happened, so the
 * deploy is checked against the configuration it applied: every managed
 * resource instance of the synthesized stack is in the state and not tainted,
 * nothing the configuration dropped is left in it, and the reconcile step ran
 * for the desired state that was synthesized, to the end: Terraform saves a
 * resource before running its provisioner, so `reconcile` counts only with the
 * `reconciled` that follows its finished `herd apply`
 * (stacks/constructs/cluster-reconcile.ts).
 */

/** A resource instance Terraform names in plans: `terraform_data.node_removal["lab-cp-1"]`. */
export type Address = string;

export type UnfinishedKind = 'notCreated' | 'tainted' | 'notDestroyed' | 'interrupted' | 'otherDesiredState';

export interface Unfinished {
  readonly address: Address;
  readonly kind: UnfinishedKind;
  readonly problem: string;
}

type Json = Record<string, unknown>;

/** The reconcile resource (stacks/constructs/cluster-reconcile.ts): its create runs `herd apply`. */
export const RECONCILE = 'terraform_data.reconcile';
/** Created once the reconcile's provisioner finished, naming the reconcile instance it followed. */
const RECONCILED = 'terraform_data.reconciled';

function isObject(value: unknown): value is Json {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

function instanceAddress(type: string, name: string, key: unknown): Address {
  if (key === undefined || key === null) return `${type}.${name}`;
  return typeof key === 'number' ? `${type}.${name}[${key}]` : `${type}.${name}[${JSON.stringify(key)}]`;
}

/**
 * The managed resource instances a synthesized stack (cdk.tf.json) declares.
 * herd's for_each maps are literal, so their keys are known without Terraform.
 */
export function configuredInstances(stack: Json): Map<Address, Json> {
  const out = new Map<Address, Json>();
  const resources = isObject(stack['resource']) ? stack['resource'] : {};
  for (const [type, byName] of Object.entries(resources)) {
    if (!isObject(byName)) continue;
    for (const [name, block] of Object.entries(byName)) {
      if (!isObject(block)) continue;
      const forEach = block['for_each'];
      if (isObject(forEach)) {
        for (const key of Object.keys(forEach)) out.set(instanceAddress(type, name, key), block);
      } else {
        out.set(instanceAddress(type, name, undefined), block);
      }
    }
  }
  return out;
}

interface StateInstance {
  readonly tainted: boolean;
  readonly attributes: Json;
}

/** The managed resource instances of a Terraform state (format version 4, `terraform state pull`). */
export function stateInstances(state: Json): Map<Address, StateInstance> {
  const out = new Map<Address, StateInstance>();
  const resources = Array.isArray(state['resources']) ? state['resources'] : [];
  for (const resource of resources) {
    if (!isObject(resource) || resource['mode'] !== 'managed' || resource['module'] !== undefined) continue;
    const type = String(resource['type']);
    const name = String(resource['name']);
    for (const instance of Array.isArray(resource['instances']) ? resource['instances'] : []) {
      if (!isObject(instance)) continue;
      out.set(instanceAddress(type, name, instance['index_key']), {
        tainted: instance['status'] === 'tainted',
        attributes: isObject(instance['attributes']) ? instance['attributes'] : {},
      });
    }
  }
  return out;
}

function desiredStateOf(triggers: unknown): unknown {
  return isObject(triggers) ? triggers['desiredState'] : undefined;
}

/**
 * A reconcile in the state, not tainted, whose `reconciled` does not follow it:
 * its `herd apply` never finished, and a plan would see nothing left to do.
 */
function reconcileInterrupted(recorded: Map<Address, StateInstance>): boolean {
  const reconcile = recorded.get(RECONCILE);
  const triggers = recorded.get(RECONCILED)?.attributes['triggers_replace'];
  const followed = isObject(triggers) && isObject(triggers['value']) ? triggers['value']['reconcile'] : undefined;
  return reconcile !== undefined && !reconcile.tainted && followed !== reconcile.attributes['id'];
}

/** Whether a state holds a reconcile step that Terraform recorded but whose `herd apply` did not finish. */
export function hasInterruptedReconcile(state: Json): boolean {
  return reconcileInterrupted(stateInstances(state));
}

/** What the state lacks, or holds beyond, the synthesized stack; empty when the deploy finished. */
export function unfinishedWork(stack: Json, state: Json): Unfinished[] {
  const configured = configuredInstances(stack);
  const recorded = stateInstances(state);
  const problems: Unfinished[] = [];
  const reconcile = recorded.get(RECONCILE);
  const interrupted = configured.has(RECONCILED) && reconcileInterrupted(recorded);
  if (interrupted) {
    problems.push({ address: RECONCILE, kind: 'interrupted', problem: 'recorded as created, but its provisioner did not finish (Terraform saves a resource before running its provisioner)' });
  }
  for (const address of configured.keys()) {
    const instance = recorded.get(address);
    if (instance === undefined && !(interrupted && address === RECONCILED)) problems.push({ address, kind: 'notCreated', problem: 'not in the state: its create did not complete' });
    else if (instance?.tainted === true) problems.push({ address, kind: 'tainted', problem: 'tainted: its create failed' });
  }
  for (const address of recorded.keys()) {
    if (!configured.has(address)) problems.push({ address, kind: 'notDestroyed', problem: 'still in the state, but no longer configured: its destroy did not complete' });
  }
  const wanted = desiredStateOf(configured.get(RECONCILE)?.['triggers_replace']);
  const triggers = reconcile?.attributes['triggers_replace'];
  const applied = desiredStateOf(isObject(triggers) ? triggers['value'] : undefined);
  if (reconcile !== undefined && wanted !== undefined && applied !== wanted) {
    problems.push({ address: RECONCILE, kind: 'otherDesiredState', problem: `provisioned for another desired state (${String(applied).slice(0, 12)}…, not ${String(wanted).slice(0, 12)}…)` });
  }
  return problems;
}

export interface UnfinishedReport {
  readonly env: string;
  /** How the deploy ended, in words: "cdktf deploy lab exited 0", "terraform apply lab was stopped by SIGKILL". */
  readonly ended: string;
  /** The CDK CLI command that reported success although Terraform stopped part-way, if that is what happened. */
  readonly reportsSuccess?: string | undefined;
  readonly problems: readonly Unfinished[];
  /** The command that finishes the work. */
  readonly rerun: string;
  /** herd tainted an interrupted reconcile, so that the next deploy runs it again. */
  readonly tainted: boolean;
}

/** The operator's message for a deploy whose state says it did not finish. */
export function unfinishedMessage(report: UnfinishedReport): string {
  const { env, ended, reportsSuccess, problems, rerun, tainted } = report;
  const provisioner = problems.some((p) => p.address === RECONCILE || p.address === RECONCILED) ? `; \`herd apply ${env}\` did not finish` : '';
  const interrupted = problems.some((p) => p.kind === 'interrupted');
  return [
    `${ended}${reportsSuccess === undefined ? ':' : ', but'} the deploy did not finish${provisioner}. Terraform's state of ${env} does not match the configuration it applied:`,
    ...problems.map((p) => `  ${p.address}: ${p.problem}`),
    reportsSuccess === undefined
      ? 'Terraform stopped part-way (killed, or out of memory). A lock of a local or pg state went with'
      : `Terraform stopped part-way (killed, or out of memory), which ${reportsSuccess} reports as success. A lock of a local or pg state went with`,
    `the process; an s3 or http state lock, and herd's apply lock, may be left (\`npx herd locks ${env}\` names their holders; herd takes`,
    `over its own lock from a dead process).`,
    ...(interrupted && tainted ? [`herd marked ${RECONCILE} tainted, so that the next deploy runs \`herd apply ${env}\` again.`] : []),
    ...(interrupted && !tainted ? [`The next plan would see nothing to do: run \`terraform taint ${RECONCILE}\` in cdktf.out/stacks/${env} first, or \`npx herd apply ${env}\`.`] : []),
    `Run \`${rerun}\` again: it finishes the work.`,
  ].join('\n');
}
