import { describe, expect, it } from 'vitest';
import { hasInterruptedReconcile, unfinishedMessage, unfinishedWork } from '../../scripts/deploy/unfinished.ts';
import { exampleCluster, synthJson, type Json } from '../stacks/synth.ts';

// The check `herd deploy` runs after the CDK CLI exited 0, against states as
// Terraform leaves them: converged, killed during the reconcile step before or
// after it saved the resource, a failed create, a scale-down cut short.

const stack = synthJson(exampleCluster('lab'));
const desiredState = ((stack['resource'] as Json)['terraform_data'] as Record<string, Json>)['reconcile']!['triggers_replace'] as Json;

type Instance = { index_key?: string; status?: string; attributes: Json };
const resource = (name: string, instances: Instance[]): Json => ({ mode: 'managed', type: 'terraform_data', name, instances });
const hooks = (...nodes: string[]): Json => resource('node_removal', nodes.map((n) => ({ index_key: n, attributes: { id: `hook-${n}` } })));
const reconcile = (desired: Json = desiredState, status?: string): Json =>
  resource('reconcile', [{ ...(status === undefined ? {} : { status }), attributes: { id: 'r-2', triggers_replace: { value: desired } } }]);
const reconciled = (follows: string): Json => resource('reconciled', [{ attributes: { id: 'd-1', triggers_replace: { value: { reconcile: follows } } } }]);
const teardown = resource('teardown', [{ attributes: { id: 't-1' } }]);
const state = (...resources: Json[]): Json => ({ version: 4, resources });
const NODES = ['lab-cp-1', 'lab-worker-1', 'lab-worker-2'];

describe('unfinishedWork', () => {
  it('finds nothing in the state of a finished deploy', () => {
    const converged = state(hooks(...NODES), reconcile(), reconciled('r-2'), teardown);
    expect(unfinishedWork(stack, converged)).toEqual([]);
    expect(hasInterruptedReconcile(converged)).toBe(false);
  });

  it('names a reconcile that Terraform never saved (killed before its next state write)', () => {
    const problems = unfinishedWork(stack, state(hooks(...NODES), resource('reconcile', []), teardown));
    expect(problems.map((p) => `${p.address}: ${p.problem}`)).toEqual([
      'terraform_data.reconcile: not in the state: its create did not complete',
      'terraform_data.reconciled: not in the state: its create did not complete',
    ]);
  });

  it('names a reconcile that Terraform saved before its provisioner was killed, which a plan would take for done', () => {
    const killed = state(hooks(...NODES), reconcile(), reconciled('r-1'), teardown);
    expect(unfinishedWork(stack, killed)).toEqual([
      { address: 'terraform_data.reconcile', kind: 'interrupted', problem: 'recorded as created, but its provisioner did not finish (Terraform saves a resource before running its provisioner)' },
    ]);
    expect(hasInterruptedReconcile(killed)).toBe(true);
    expect(hasInterruptedReconcile(state(hooks(...NODES), reconcile(), teardown))).toBe(true);
  });

  it('names a tainted resource, and does not count a tainted reconcile as interrupted', () => {
    const failed = state(hooks(...NODES), reconcile(desiredState, 'tainted'), teardown);
    expect(unfinishedWork(stack, failed).map((p) => p.kind)).toEqual(['tainted', 'notCreated']);
    expect(hasInterruptedReconcile(failed)).toBe(false);
  });

  it('names a node hook left in the state by a scale-down cut short', () => {
    const problems = unfinishedWork(stack, state(hooks(...NODES, 'lab-worker-3'), reconcile(), reconciled('r-2'), teardown));
    expect(problems).toEqual([
      { address: 'terraform_data.node_removal["lab-worker-3"]', kind: 'notDestroyed', problem: 'still in the state, but no longer configured: its destroy did not complete' },
    ]);
  });

  it('names a reconcile provisioned for another desired state', () => {
    const problems = unfinishedWork(stack, state(hooks(...NODES), reconcile({ desiredState: 'f'.repeat(64) }), reconciled('r-2'), teardown));
    expect(problems.map((p) => p.kind)).toEqual(['otherDesiredState']);
    expect(problems[0]!.problem).toBe(`provisioned for another desired state (ffffffffffff…, not ${String(desiredState['desiredState']).slice(0, 12)}…)`);
  });
});

describe('unfinishedMessage', () => {
  it('says what did not finish, what may be left behind, and what to run', () => {
    const problems = unfinishedWork(stack, state(hooks(...NODES), reconcile(), teardown));
    const text = unfinishedMessage({ env: 'lab', ended: 'cdktf deploy lab exited 0', reportsSuccess: 'cdktf deploy', problems, rerun: 'npx herd deploy lab', tainted: true });
    expect(text.split('\n')).toEqual([
      "cdktf deploy lab exited 0, but the deploy did not finish; `herd apply lab` did not finish. Terraform's state of lab does not match the configuration it applied:",
      '  terraform_data.reconcile: recorded as created, but its provisioner did not finish (Terraform saves a resource before running its provisioner)',
      'Terraform stopped part-way (killed, or out of memory), which cdktf deploy reports as success. A lock of a local or pg state went with',
      "the process; an s3 or http state lock, and herd's apply lock, may be left (`npx herd locks lab` names their holders; herd takes",
      'over its own lock from a dead process).',
      'herd marked terraform_data.reconcile tainted, so that the next deploy runs `herd apply lab` again.',
      'Run `npx herd deploy lab` again: it finishes the work.',
    ]);
  });

  it('says how Terraform ended when it was killed under herd deploy itself', () => {
    const problems = unfinishedWork(stack, state(hooks(...NODES), reconcile(), teardown));
    const [first, , third] = unfinishedMessage({ env: 'lab', ended: 'terraform apply lab was stopped by SIGKILL', problems, rerun: 'npx herd deploy lab', tainted: true }).split('\n');
    expect(first).toBe("terraform apply lab was stopped by SIGKILL: the deploy did not finish; `herd apply lab` did not finish. Terraform's state of lab does not match the configuration it applied:");
    expect(third).toBe('Terraform stopped part-way (killed, or out of memory). A lock of a local or pg state went with');
  });

  it('tells how to taint the reconcile by hand when herd could not', () => {
    const problems = unfinishedWork(stack, state(hooks(...NODES), reconcile(), teardown));
    expect(unfinishedMessage({ env: 'lab', ended: 'cdktn deploy lab exited 0', reportsSuccess: 'cdktn deploy', problems, rerun: 'npx herd deploy lab', tainted: false })).toContain(
      'The next plan would see nothing to do: run `terraform taint terraform_data.reconcile` in cdktf.out/stacks/lab first, or `npx herd apply lab`.',
    );
  });
});
