/** Kubernetes minors herd renders kubeadm config for (kubeadm.k8s.io/v1beta4 starts at 1.31). */
export const SUPPORTED_KUBERNETES_MINORS = [31, 32, 33, 34, 35] as const;

export function kubernetesMinor(version: string): number {
  return Number(version.split('.')[1]);
}
