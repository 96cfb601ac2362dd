import { HERD_DIR, ISSUED_SECRETS_DIR, JOIN_SECRETS, SECRETS_DIR } from '../../templates/paths.ts';
import { SCRIPTS } from '../../templates/render.ts';
import { clusterScript, toNodeFiles } from './artifacts.ts';
import { factsOf, hostOf, type RunContext } from './context.ts';
import type { RemoteHost } from './remote-host.ts';

export type JoinRole = 'worker' | 'control-plane';

/** A control plane that already serves the API, by the facts; undefined before `kubeadm init`. */
export function servingControlPlane(ctx: RunContext): string | undefined {
  return ctx.cluster.controlPlanes.find((cp) => {
    const files = factsOf(ctx, cp.name).files;
    return files.has('/etc/kubernetes/admin.conf') && files.has('/etc/kubernetes/manifests/kube-apiserver.yaml');
  })?.name;
}

/** The control plane that issues join credentials and applies cluster resources: one that serves, or the one init runs on. */
export function issuingControlPlane(ctx: RunContext): RemoteHost {
  return hostOf(ctx, servingControlPlane(ctx) ?? ctx.rendered.cluster.firstControlPlane);
}

/**
 * Fresh join credentials from the issuing control plane. They travel only over
 * SSH channels (root `cat` on one side, stdin on the other), are redacted from
 * all output from the moment they are known, and are removed from the node here.
 */
export async function issueJoinCredentials(ctx: RunContext, role: JoinRole): Promise<Record<string, string>> {
  const issuer = issuingControlPlane(ctx);
  const names = role === 'control-plane' ? Object.values(JOIN_SECRETS) : [JOIN_SECRETS.token, JOIN_SECRETS.caCertHash];
  try {
    // Placed each time: the issuer is whichever control plane serves, not always the one prepared with it.
    await issuer.putFiles(`upload ${SCRIPTS.issueJoinCredentials}`, toNodeFiles([clusterScript(ctx.rendered, SCRIPTS.issueJoinCredentials)]));
    await issuer.mustRun(SCRIPTS.issueJoinCredentials, ['bash', `${HERD_DIR}/${SCRIPTS.issueJoinCredentials}`, role]);
    const secrets = await issuer.takeSecrets('collect join credentials', ISSUED_SECRETS_DIR, names);
    for (const value of Object.values(secrets)) ctx.reporter.addSecret(value);
    return secrets;
  } finally {
    await issuer.removeDir('remove issued join credentials', ISSUED_SECRETS_DIR);
  }
}

/** Runs a script that needs secrets: they are placed in the node's secrets directory for that script only. */
export async function runWithSecrets(host: RemoteHost, script: string, secrets: Readonly<Record<string, string>>, args: readonly string[] = []): Promise<void> {
  try {
    await host.putSecrets(script, SECRETS_DIR, secrets);
    await host.mustRun(script, ['bash', `${HERD_DIR}/${script}`, ...args]);
  } finally {
    await host.removeDir(`remove secrets after ${script}`, SECRETS_DIR);
  }
}
