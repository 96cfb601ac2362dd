// Where artifacts live on a node. The provisioner uploads to these paths; the scripts read them.

/** Rendered files staged on every node; scripts install them where the tools expect them. */
export const HERD_DIR = '/etc/herd';
/**
 * Secrets the provisioner uploads for one run and removes afterwards: a 0700 directory on tmpfs,
 * one 0600 file per secret, named after the secret, holding exactly its value (no trailing newline).
 */
export const SECRETS_DIR = '/run/herd/secrets';
/** Where scripts write a file that holds a secret (a filled join configuration) for the moment they need it. */
export const RUNTIME_DIR = '/run/herd';

export const KUBEADM_DIR = `${HERD_DIR}/kubeadm`;
export const CALICO_DIR = `${HERD_DIR}/calico`;
export const CONTAINERD_STAGED_CONFIG = `${HERD_DIR}/containerd/config.toml`;
export const KUBE_VIP_DIR = `${HERD_DIR}/kube-vip`;
export const STATIC_POD_DIR = '/etc/kubernetes/manifests';
export const ADMIN_KUBECONFIG = '/etc/kubernetes/admin.conf';
export const SUPER_ADMIN_KUBECONFIG = '/etc/kubernetes/super-admin.conf';

/** Where herd records, per step, what it last applied on a node; probe.sh reports each file, reset-node.sh removes them. */
export const APPLIED_DIR = '/var/lib/herd/applied';
/** The Kubernetes version `kubeadm upgrade` last finished for on this node, so that a resumed upgrade does not run it twice. */
export const KUBEADM_UPGRADED_MARKER = `${APPLIED_DIR}/kubeadm-upgraded`;
/** Present from installing a new containerd until it restarted with its new config: a stopped run's successor finishes that. */
export const CONTAINERD_RESTART_MARKER = '/var/lib/herd/containerd-restart-pending';

/** Names of the join secrets in SECRETS_DIR (kubeadm's own words for them). */
export const JOIN_SECRETS = {
  token: 'KUBEADM_JOIN_TOKEN',
  caCertHash: 'KUBEADM_CA_CERT_HASH',
  certificateKey: 'KUBEADM_CERTIFICATE_KEY',
} as const;

/** Placeholders in a rendered JoinConfiguration, replaced on the node by the join script. */
export const JOIN_PLACEHOLDERS = {
  token: '@@KUBEADM_JOIN_TOKEN@@',
  caCertHash: '@@KUBEADM_CA_CERT_HASH@@',
  certificateKey: '@@KUBEADM_CERTIFICATE_KEY@@',
} as const;

/** Where issue-join-credentials.sh leaves fresh join secrets on the first control plane for the provisioner to collect. */
export const ISSUED_SECRETS_DIR = '/run/herd/issued';
