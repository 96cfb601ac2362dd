// Versions of things the environment does not name, fixed per Kubernetes or Calico release.

/** The Debian revision pkgs.k8s.io gives every Kubernetes package build (kubelet 1.34.2 is 1.34.2-1.1). */
export const KUBERNETES_PACKAGE_REVISION = '1.1';

/** The pause (sandbox) image tag kubeadm of each minor expects; containerd must use the same or kubeadm warns. */
const PAUSE_VERSION_BY_MINOR: Readonly<Record<number, string>> = { 31: '3.10', 32: '3.10', 33: '3.10', 34: '3.10.1', 35: '3.10.1' };

export function pauseVersion(minor: number): string {
  const version = PAUSE_VERSION_BY_MINOR[minor];
  if (version === undefined) throw new Error(`no pause image version is known for Kubernetes 1.${minor}`);
  return version;
}

/** kube-vip release used for the control-plane VIP; pulled from ghcr.io (or its containerd mirror). */
export const KUBE_VIP_IMAGE = 'ghcr.io/kube-vip/kube-vip:v0.8.9';

/** Calico releases from 3.30 on ship the operator's CRDs in their own manifest, applied before the operator. */
export function calicoHasSeparateOperatorCrds(version: string): boolean {
  const [major, minor] = version.split('.').map(Number);
  return (major ?? 0) > 3 || ((major ?? 0) === 3 && (minor ?? 0) >= 30);
}
