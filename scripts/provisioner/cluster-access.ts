import { HERD_DIR, ISSUED_SECRETS_DIR, JOIN_SECRETS, SECRETS_DIR } from '../../templates/paths.ts';
import { SCRIPTS } from '../../templates/render.ts';
import { clusterScript, toNodeFiles } from './artifacts.ts';
import { hostOf, type RunContext } from './context.ts';
import { membershipOf, servesOnDisk } from './membership.ts';
import type { RemoteHost } from './remote-host.ts';

export type JoinRole = 'worker' | 'control-plane';

/**
 * A control plane that serves the API and that the cluster still counts as
 * its member; undefined before `kubeadm init`. One the cluster removed (while
 * it was unreachable) has its files still, and must not issue or apply.
 */
export function servingControlPlane(ctx: RunContext): string | undefined {
  return ctx.cluster.controlPlanes.find((cp) => servesOnDisk(ctx, cp.name) && membershipOf(ctx, cp).kind === 'member')?.name;
}

/** The control plane that issues join credentials and applies cluster resources: one that serves, or the one init runs on. */
export function issuingControlPlane(ctx: RunContext): RemoteHost {
  return hostOf(ctx, servingControlPlane(ctx) ?? ctx.rendered.cluster.firstControlPlane);
}

/**
 * Fresh join credentials from the issuing control plane. They travel only over
 * SSH channels (stdout of the issuing command on one side, stdin on the other),
 * are redacted from all output from the moment they are known, and are
 * removed from the issuing node by the same command.
 */
export async function issueJoinCredentials(ctx: RunContext, role: JoinRole): Promise<Record<string, string>> {
  const issuer = issuingControlPlane(ctx);
  const names = role === 'control-plane' ? Object.values(JOIN_SECRETS) : [JOIN_SECRETS.token, JOIN_SECRETS.caCertHash];
  // Placed each time: the issuer is whichever control plane serves, not always the one prepared with it.
  await issuer.putFiles(`upload ${SCRIPTS.issueJoinCredentials}`, toNodeFiles([clusterScript(ctx.rendered, SCRIPTS.issueJoinCredentials)]));
  const secrets = await issuer.collectSecrets(SCRIPTS.issueJoinCredentials, ISSUED_SECRETS_DIR, names, ['bash', `${HERD_DIR}/${SCRIPTS.issueJoinCredentials}`, role]);
  for (const value of Object.values(secrets)) ctx.reporter.addSecret(value);
  return secrets;
}

/** Runs a script that needs secrets: they are placed in the node's secrets directory for that script only. */
export async function runWithSecrets(host: RemoteHost, script: string, secrets: Readonly<Record<string, string>>, args: readonly string[] = []): Promise<void> {
  await host.mustRunWithSecrets(script, SECRETS_DIR, secrets, ['bash', `${HERD_DIR}/${script}`, ...args]);
}
