import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { z } from 'zod';
import type { ConfigIssue } from '../../stacks/environment/errors.ts';
import type { Phase, PlannedStep, RunContext } from './context.ts';
import { membershipOf } from './membership.ts';

// `herd plan <env> --json`: the plan as one JSON document, for pipelines and
// reviewers, as `terraform show -json` is for a Terraform plan. The shape is
// versioned (formatVersion) and described by docs/plan.schema.json, which is
// generated from the zod schemas below (`herd schema --write`). A minor
// version adds fields; a major version changes or removes one.

export const PLAN_FORMAT_VERSION = '1.0';

const issueSchema = z.object({
  file: z.string(),
  line: z.number().int().optional(),
  path: z.string().describe('YAML path in the environment file'),
  message: z.string(),
});

const stepSchema = z.object({
  host: z.string().describe('the node the step runs on'),
  action: z.string().describe('what the step does, as herd plan prints it'),
  readOnly: z.boolean().describe('true for steps that change nothing (verify)'),
  because: z.string().describe('the facts the step was chosen from'),
  batch: z.number().int().optional().describe('for phases that run in batches: the batch, from 0; each finishes before the next starts'),
  forNodes: z.array(z.string()).optional().describe('the nodes a step acts for when it runs on another host'),
});

const phaseSchema = z.object({
  title: z.string(),
  changes: z.boolean().describe('false for phases that only read; they run on every apply'),
  steps: z.array(stepSchema),
});

const hostSchema = z.object({
  name: z.string(),
  address: z.string(),
  role: z.enum(['controlPlane', 'worker']),
  pool: z.string(),
  rack: z.string().optional(),
  membership: z.enum(['member', 'new', 'rejoin', 'replace']).describe('whether the node is a member of the cluster, from its files and the cluster\u2019s view'),
  facts: z.object({
    os: z.object({ id: z.string(), version: z.string() }),
    hostname: z.string(),
    cpus: z.number().int(),
    memoryMiB: z.number().int(),
    clockSkewSeconds: z.number(),
    freeMiB: z.record(z.string(), z.number().int()).describe('free space by the path steps write to'),
    packages: z.record(z.string(), z.string()).describe('installed package versions'),
    kubernetesFiles: z.array(z.string()).describe('the files kubeadm leaves on a node that joined'),
    appliedSteps: z.array(z.string()).describe('steps herd has a record of having applied on the node (the records themselves are digests and stay on the node)'),
  }),
});

const clusterSchema = z.object({
  readFrom: z.string().describe('the control plane the cluster\u2019s view was read from'),
  nodes: z.array(z.object({ name: z.string(), ready: z.boolean() })),
  etcdMembers: z.array(z.object({ name: z.string(), healthy: z.boolean() })).nullable().describe('null when no etcd pod answered'),
});

const common = {
  formatVersion: z.literal(PLAN_FORMAT_VERSION),
  herdVersion: z.string(),
  environment: z.string(),
  createdAt: z.string().describe('ISO 8601, UTC'),
  warnings: z.array(issueSchema),
};

export const planDocumentSchema = z.object({
  ...common,
  file: z.string().describe('the environment file'),
  changesPending: z.boolean().describe('true when apply would change something (herd plan exits 2)'),
  phases: z.array(phaseSchema).describe('every phase in the order apply runs them; a phase with no steps is skipped'),
  hosts: z.array(hostSchema),
  cluster: clusterSchema.nullable().describe('null before the cluster exists'),
});

export const planErrorDocumentSchema = z.object({
  ...common,
  error: z.object({
    kind: z.enum(['refused', 'failed']).describe('refused: stopped before touching anything (bad input, an unreachable host, a changed host key…); failed: anything else'),
    message: z.string(),
    issues: z.array(issueSchema).describe('for an invalid environment file, each problem with its place'),
  }),
});

export type PlanDocument = z.infer<typeof planDocumentSchema>;
export type PlanErrorDocument = z.infer<typeof planErrorDocumentSchema>;

/** The JSON Schema of what `herd plan --json` prints: a plan, or the error that stopped it. */
export function planJsonSchema(): Record<string, unknown> {
  const schema = z.toJSONSchema(z.union([planDocumentSchema, planErrorDocumentSchema]), { target: 'draft-2020-12' }) as Record<string, unknown>;
  return { ...schema, title: 'herd plan --json', description: `herd's plan format ${PLAN_FORMAT_VERSION}: a plan (changesPending, phases, hosts, cluster) or the error that stopped it (error)` };
}

export function herdVersion(): string {
  return (JSON.parse(readFileSync(resolve(import.meta.dirname, '../../package.json'), 'utf8')) as { version: string }).version;
}

const KUBERNETES_FILES = ['/etc/kubernetes/admin.conf', '/etc/kubernetes/kubelet.conf', '/etc/kubernetes/manifests/kube-apiserver.yaml'];

export function planDocument(ctx: RunContext, plan: readonly { phase: Phase; steps: readonly PlannedStep[] }[], warnings: readonly ConfigIssue[]): PlanDocument {
  const view = ctx.clusterView;
  return {
    formatVersion: PLAN_FORMAT_VERSION,
    herdVersion: herdVersion(),
    environment: ctx.env.name,
    createdAt: new Date().toISOString(),
    warnings: [...warnings],
    file: ctx.env.file,
    changesPending: plan.some(({ phase, steps }) => phase.changes && steps.length > 0),
    phases: plan.map(({ phase, steps }) => ({
      title: phase.title,
      changes: phase.changes,
      steps: steps.map((s) => ({
        host: s.host,
        action: s.step,
        readOnly: !phase.changes,
        because: s.because ?? '',
        ...(s.batch === undefined ? {} : { batch: s.batch }),
        ...(s.forNodes === undefined ? {} : { forNodes: [...s.forNodes] }),
      })),
    })),
    hosts: ctx.cluster.nodes.map((node) => {
      const facts = ctx.facts.get(node.name)!;
      return {
        name: node.name,
        address: node.address,
        role: node.role,
        pool: node.pool,
        ...(node.rack === undefined ? {} : { rack: node.rack }),
        membership: membershipOf(ctx, node).kind,
        facts: {
          os: { ...facts.os },
          hostname: facts.hostname,
          cpus: facts.cpus,
          memoryMiB: facts.memoryMiB,
          clockSkewSeconds: Math.round(facts.clockSkewSeconds),
          freeMiB: Object.fromEntries(facts.freeMiB),
          packages: Object.fromEntries(facts.packages),
          kubernetesFiles: KUBERNETES_FILES.filter((f) => facts.files.has(f)),
          appliedSteps: [...facts.applied.keys()].sort(),
        },
      };
    }),
    cluster:
      view === undefined
        ? null
        : {
            readFrom: view.from,
            nodes: [...view.nodes].map(([name, n]) => ({ name, ready: n.ready })),
            etcdMembers: view.etcd === undefined ? null : view.etcd.map((m) => ({ name: m.name, healthy: m.healthy })),
          },
  };
}

export function planErrorDocument(environment: string, kind: 'refused' | 'failed', message: string, issues: readonly ConfigIssue[], warnings: readonly ConfigIssue[]): PlanErrorDocument {
  return {
    formatVersion: PLAN_FORMAT_VERSION,
    herdVersion: herdVersion(),
    environment,
    createdAt: new Date().toISOString(),
    warnings: [...warnings],
    error: { kind, message, issues: issues.map((i) => ({ ...i })) },
  };
}
