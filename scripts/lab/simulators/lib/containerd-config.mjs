// What containerd makes of /etc/containerd/config.toml when it starts, by the version installed:
// 1.x reads config versions 1 and 2 and, from 1.7.17, refuses a higher one
// (https://github.com/containerd/containerd/pull/10165); 2.x reads 2 (converting it in memory)
// and 3, and no longer reads 1 (https://github.com/containerd/containerd/issues/10905). The CRI
// settings the lab cares about are read from where each format keeps them: version 2 in
// plugins."io.containerd.grpc.v1.cri", version 3 in plugins."io.containerd.cri.v1.images" and
// plugins."io.containerd.cri.v1.runtime" (https://containerd.io/docs/2.3/cri/config/).
import { parse } from 'smol-toml';
import { containerdReads } from './versions.mjs';

const CONFIG = '/etc/containerd/config.toml';

/** containerd's own defaults for the pause image, when the config names none. */
const DEFAULT_SANDBOX = { 1: 'registry.k8s.io/pause:3.8', 2: 'registry.k8s.io/pause:3.10' };

const at = (object, ...keys) => keys.reduce((o, k) => (o && typeof o === 'object' ? o[k] : undefined), object);

/**
 * { ok: true, configVersion, criEnabled, sandboxImage, systemdCgroup } or
 * { ok: false, error } with the line containerd prints before it exits.
 */
export function loadContainerdConfig(text, containerdVersion) {
  const major = Number(String(containerdVersion).split('.')[0]);
  let config;
  try {
    config = parse(text ?? '');
  } catch (err) {
    return { ok: false, error: `containerd: failed to load TOML from ${CONFIG}: ${String(err.message).split('\n')[0]}` };
  }
  const configVersion = config.version ?? 1;
  const disabled = config.disabled_plugins ?? [];
  if (!containerdReads(containerdVersion).includes(configVersion)) {
    if (major >= 2 && configVersion === 1) {
      const short = disabled.find((p) => String(p).split('.').length < 4);
      if (short !== undefined) return { ok: false, error: `containerd: failed to load TOML from ${CONFIG}: invalid disabled plugin URI "${short}" expect io.containerd.x.vx` };
    }
    return { ok: false, error: `containerd: failed to load TOML from ${CONFIG}: unsupported config version \`${configVersion}\`: containerd ${containerdVersion} reads versions ${containerdReads(containerdVersion).join(' and ')}` };
  }
  const plugins = config.plugins ?? {};
  const legacy = plugins['io.containerd.grpc.v1.cri'];
  const criEnabled = !disabled.some((p) => p === 'cri' || p === 'io.containerd.grpc.v1.cri');
  if (configVersion === 3) {
    return {
      ok: true,
      configVersion,
      criEnabled,
      sandboxImage: at(plugins, 'io.containerd.cri.v1.images', 'pinned_images', 'sandbox') ?? DEFAULT_SANDBOX[2],
      systemdCgroup: at(plugins, 'io.containerd.cri.v1.runtime', 'containerd', 'runtimes', 'runc', 'options', 'SystemdCgroup') === true,
    };
  }
  return {
    ok: true,
    configVersion,
    criEnabled,
    sandboxImage: at(legacy, 'sandbox_image') ?? DEFAULT_SANDBOX[Math.min(major, 2)],
    systemdCgroup: at(legacy, 'containerd', 'runtimes', 'runc', 'options', 'SystemdCgroup') === true,
  };
}
