import type { Artifact } from '../../templates/render.ts';
import { factsOf, type Phase, type PlannedStep, type RunContext } from './context.ts';

/**
 * Free space a step needs on a node, by the path it writes under; `home` is
 * the login user's home, where files are staged before they are installed.
 * The figures are what a node needs to stay useful afterwards, not the bytes
 * a step writes alone: kubelet evicts pods below 10-15 % free.
 */
export interface SpaceNeed {
  readonly path: '/var/lib' | '/etc' | '/run' | 'home';
  readonly mib: number;
  readonly why: string;
}

/** kubelet, kubeadm, kubectl, containerd and their dependencies: downloaded, then installed. */
export const PACKAGES_MIB = 1024;
/** A control plane's images (API server, controller manager, scheduler, etcd, proxy, CoreDNS, Calico's) and etcd's data. */
export const CONTROL_PLANE_IMAGES_MIB = 2048;
/** A worker's images: kube-proxy and Calico's. */
export const WORKER_IMAGES_MIB = 1024;

const MIB = 1024 * 1024;

/** What placing these files takes: staged in the home, then installed under /etc. */
export function uploadNeeds(artifacts: readonly Artifact[]): SpaceNeed[] {
  const mib = Math.ceil(artifacts.reduce((sum, a) => sum + Buffer.byteLength(a.content), 0) / MIB) + 16;
  return [
    { path: 'home', mib, why: 'staging the rendered files' },
    { path: '/etc', mib, why: 'the rendered files' },
  ];
}

/**
 * Every host whose planned steps need more room than it has, one line per
 * path: checked from the facts, before any host is changed.
 */
export function spaceProblems(ctx: RunContext, plan: readonly { phase: Phase; steps: readonly PlannedStep[] }[]): string[] {
  const needs = new Map<string, Map<SpaceNeed['path'], { mib: number; why: string[] }>>();
  for (const { phase, steps } of plan) {
    for (const step of steps) {
      for (const need of phase.spaceNeeded?.(ctx, step) ?? []) {
        const byPath = needs.get(step.host) ?? new Map<SpaceNeed['path'], { mib: number; why: string[] }>();
        const sum = byPath.get(need.path) ?? { mib: 0, why: [] };
        byPath.set(need.path, { mib: sum.mib + need.mib, why: [...sum.why, need.why] });
        needs.set(step.host, byPath);
      }
    }
  }
  const problems: string[] = [];
  for (const [host, byPath] of needs) {
    const facts = factsOf(ctx, host);
    for (const [path, { mib, why }] of byPath) {
      const free = facts.freeMiB.get(path);
      if (free === undefined || free >= mib) continue;
      const where = path === 'home' ? `${facts.home} (the login user's home)` : path;
      problems.push(`no space left on ${host}: ${where} has ${free} MiB free, the steps need ${mib} MiB (${why.join(', ')})`);
    }
  }
  return problems;
}
