// What containerd 2.x reads from a version-3 config.toml, taken from its source: the CRI plugins'
// TOML keys are the `toml:` tags of the structs in containerd v2's internal/cri/config/config.go
// (ImageConfig, Registry, ImageDecryption, ImagePlatform, RuntimeConfig, ContainerdConfig,
// CniConfig, Runtime; https://github.com/containerd/containerd/blob/main/internal/cri/config/config.go),
// and a runc runtime's options are the fields of containerd's runc Options message
// (api/types/runc/options/oci.proto, decoded by name). containerd itself only logs a warning for a
// key it does not know and runs with its default instead, so this is checked strictly here.
//
// And what `containerd config migrate` does to a version-2 config: the CRI plugins' ConfigMigration
// functions (plugins/cri/images/image.go and plugins/cri/runtime/plugin.go) move the image settings
// of plugins."io.containerd.grpc.v1.cri" (sandbox_image becomes pinned_images.sandbox) to
// plugins."io.containerd.cri.v1.images", keep the server settings where they are, and move the rest
// to plugins."io.containerd.cri.v1.runtime".

/** A table of known keys; `any` is a map whose keys are names (runtimes, mirrors, pinned images). */
export type KeyTree = { readonly [key: string]: KeyTree | 'value' } | { readonly any: KeyTree | 'value' };

const runcOptions: KeyTree = Object.fromEntries(
  ['NoPivotRoot', 'NoNewKeyring', 'ShimCgroup', 'IoUid', 'IoGid', 'BinaryName', 'Root', 'SystemdCgroup', 'CriuImagePath', 'CriuWorkPath', 'TaskApiAddress', 'TaskApiVersion'].map((k) => [k, 'value']),
);

const runtime: KeyTree = {
  runtime_type: 'value',
  runtime_path: 'value',
  pod_annotations: 'value',
  container_annotations: 'value',
  options: runcOptions,
  privileged_without_host_devices: 'value',
  privileged_without_host_devices_all_devices_allowed: 'value',
  base_runtime_spec: 'value',
  cni_conf_dir: 'value',
  cni_max_conf_num: 'value',
  snapshotter: 'value',
  sandboxer: 'value',
  io_type: 'value',
};

const images: KeyTree = {
  snapshotter: 'value',
  disable_image_pull_with_transfer_service: 'value',
  disable_snapshot_annotations: 'value',
  discard_unpacked_layers: 'value',
  pinned_images: { any: 'value' },
  runtime_platforms: { any: { platform: 'value', snapshotter: 'value' } },
  registry: { config_path: 'value', mirrors: { any: { endpoint: 'value' } }, configs: { any: 'value' }, auths: { any: 'value' }, headers: { any: 'value' } },
  image_decryption: { key_model: 'value' },
  max_concurrent_downloads: 'value',
  image_pull_progress_timeout: 'value',
  image_pull_with_sync_fs: 'value',
  stats_collect_period: 'value',
};

const runtimePlugin: KeyTree = {
  containerd: { default_runtime_name: 'value', runtimes: { any: runtime }, ignore_blockio_not_enabled_errors: 'value', ignore_rdt_not_enabled_errors: 'value' },
  cni: { bin_dir: 'value', bin_dirs: 'value', conf_dir: 'value', max_conf_num: 'value', setup_serially: 'value', conf_template: 'value', ip_pref: 'value', use_internal_loopback: 'value' },
  ...Object.fromEntries(
    [
      'enable_selinux', 'selinux_category_range', 'max_container_log_line_size', 'disable_apparmor', 'restrict_oom_score_adj', 'disable_proc_mount',
      'unset_seccomp_profile', 'tolerate_missing_hugetlb_controller', 'disable_hugetlb_controller', 'device_ownership_from_security_context',
      'ignore_image_defined_volumes', 'netns_mounts_under_state_dir', 'enable_unprivileged_ports', 'enable_unprivileged_icmp', 'enable_cdi', 'cdi_spec_dirs',
      'drain_exec_sync_io_timeout', 'ignore_deprecation_warnings',
    ].map((k) => [k, 'value']),
  ),
};

const server: KeyTree = Object.fromEntries(
  ['disable_tcp_service', 'stream_server_address', 'stream_server_port', 'stream_idle_timeout', 'enable_tls_streaming', 'x509_key_pair_streaming'].map((k) => [k, 'value']),
);

/** The parts of a version-3 config.toml herd writes, as containerd 2.x reads them. */
export const CONTAINERD_V3_CONFIG: KeyTree = {
  version: 'value',
  plugins: {
    'io.containerd.cri.v1.images': images,
    'io.containerd.cri.v1.runtime': runtimePlugin,
    'io.containerd.grpc.v1.cri': server,
  },
};

/** Keys of `value` (a parsed TOML table) that `tree` does not know, as dotted paths. */
export function unknownKeys(value: unknown, tree: KeyTree | 'value', path: string[] = []): string[] {
  if (tree === 'value') return [];
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return [`${path.join('.')} (a table expected)`];
  return Object.entries(value).flatMap(([key, child]) => {
    const sub = 'any' in tree ? tree.any : (tree as Record<string, KeyTree | 'value'>)[key];
    return sub === undefined ? [[...path, key].join('.')] : unknownKeys(child, sub, [...path, key]);
  });
}

type Table = Record<string, unknown>;
const IMAGE_KEYS = ['registry', 'image_decryption', 'max_concurrent_downloads', 'image_pull_progress_timeout', 'image_pull_with_sync_fs', 'stats_collect_period'];
const IMAGE_KEYS_OF_CONTAINERD = ['snapshotter', 'disable_snapshot_annotations', 'discard_unpacked_layers'];
const SERVER_KEYS = Object.keys(server);

/** containerd 2.x's migration of a version-2 config to version 3, rule by rule as its CRI plugins do it. */
export function migrateV2(config: Table): Table {
  const plugins = { ...((config['plugins'] as Table | undefined) ?? {}) };
  const cri = (plugins['io.containerd.grpc.v1.cri'] as Table | undefined) ?? {};
  const criContainerd = (cri['containerd'] as Table | undefined) ?? {};
  const images: Table = {};
  if (cri['sandbox_image'] !== undefined) images['pinned_images'] = { sandbox: cri['sandbox_image'] };
  for (const key of IMAGE_KEYS) if (cri[key] !== undefined) images[key] = cri[key];
  for (const key of IMAGE_KEYS_OF_CONTAINERD) if (criContainerd[key] !== undefined) images[key] = criContainerd[key];
  const runtime: Table = {};
  for (const [key, value] of Object.entries(cri)) {
    if (key === 'sandbox_image' || IMAGE_KEYS.includes(key) || SERVER_KEYS.includes(key)) continue;
    runtime[key] = key === 'containerd' ? Object.fromEntries(Object.entries(criContainerd).filter(([k]) => !IMAGE_KEYS_OF_CONTAINERD.includes(k))) : value;
  }
  const serverPart = Object.fromEntries(Object.entries(cri).filter(([k]) => SERVER_KEYS.includes(k)));
  delete plugins['io.containerd.grpc.v1.cri'];
  if (Object.keys(images).length > 0) plugins['io.containerd.cri.v1.images'] = images;
  if (Object.keys(runtime).length > 0) plugins['io.containerd.cri.v1.runtime'] = runtime;
  if (Object.keys(serverPart).length > 0) plugins['io.containerd.grpc.v1.cri'] = serverPart;
  return { ...config, version: 3, plugins };
}
