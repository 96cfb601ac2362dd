#!/usr/bin/env bash
# prepare-node.sh: rendered by herd for cluster rack-asns; re-render instead of editing.
#
# Runs on: every node, as root, before kubeadm; any number of times (each step
#   checks first and acts only when needed).
# Expects: /etc/herd/containerd/config.toml (the rendered containerd config).
# Secrets: none.
# Does: swap off and kept off; kernel modules overlay, br_netfilter loaded now
#   and at boot; sysctls for bridged and forwarded traffic; containerd.io 2.3.5 and
#   kubelet, kubeadm, kubectl 1.36.4-1.1 installed and held; containerd configured and
#   running; kubelet enabled. On a joined node it never changes an installed package's version:
#   that is upgrade-node.sh's job, between a drain and an uncordon.
set -euo pipefail

script=prepare-node.sh
# Output: one "changed: …" line per change made, then one summary line.
# Exit codes: 0 done (or nothing to do), 3 refused (this host is not in a state
# the script handles: nothing was changed by that step), 4 a secret is missing
# or malformed, 5 timed out waiting; any other code is the exit code of the
# command that failed, named on stderr with its line.
changes=0
log() { printf '%s: %s\n' "$script" "$*"; }
changed() { changes=$((changes + 1)); log "changed: $*"; }
fail() {
  local code=$1
  shift
  printf '%s: error: %s\n' "$script" "$*" >&2
  exit "$code"
}
# errtrace: a command failing inside a function is reported too, not only at top level.
set -o errtrace
trap 'printf "%s: error: command failed with exit code %s at line %s\n" "$script" "$?" "$LINENO" >&2' ERR

# write_file PATH MODE CONTENT: replaces PATH (atomically) unless it already
# holds CONTENT with MODE; returns 1 when nothing had to change.
write_file() {
  local path=$1 mode=$2 content=$3
  if [[ -f $path && $(<"$path") == "$content" && $(stat -c %a "$path") == "$mode" ]]; then
    return 1
  fi
  mkdir -p "${path%/*}"
  printf '%s\n' "$content" >"$path.herd-new"
  chmod "$mode" "$path.herd-new"
  mv -f "$path.herd-new" "$path"
}

# install_file SOURCE DEST MODE: copies a staged artifact into place unless DEST
# already matches; returns 1 when nothing had to change.
install_file() {
  local source=$1 dest=$2 mode=$3
  [[ -f $source ]] || fail 3 "$source is missing: upload the rendered artifacts first"
  if [[ -f $dest ]] && cmp -s "$source" "$dest" && [[ $(stat -c %a "$dest") == "$mode" ]]; then
    return 1
  fi
  mkdir -p "${dest%/*}"
  install -m "$mode" "$source" "$dest.herd-new"
  mv -f "$dest.herd-new" "$dest"
}

kubernetes_repository=https://pkgs.k8s.io/core:/stable:/v1.36/deb/
kubernetes_key_url=https://pkgs.k8s.io/core:/stable:/v1.36/deb/Release.key
kubernetes_package_version=1.36.4-1.1
containerd_repository=https://download.docker.com/linux
containerd_package=containerd.io
containerd_version_pattern=2.3.5-\*
modules=(overlay br_netfilter)
sysctls=(net.bridge.bridge-nf-call-ip6tables=1 net.bridge.bridge-nf-call-iptables=1 net.ipv4.ip_forward=1)

[[ $EUID -eq 0 ]] || fail 3 "must run as root"
# shellcheck source=/dev/null # the host's own file, read in a subshell so that it sets nothing here
read -r os_id os_codename < <(. /etc/os-release && printf '%s %s\n' "${ID:-}" "${VERSION_CODENAME:-}")
case $os_id in
  debian | ubuntu) ;;
  *) fail 3 "unsupported operating system '$os_id': herd prepares Debian and Ubuntu" ;;
esac
[[ -n $os_codename ]] || fail 3 "/etc/os-release names no VERSION_CODENAME"

# --- swap: the kubelet refuses to run with swap on ---
mapfile -t swaps </proc/swaps
if ((${#swaps[@]} > 1)); then
  swapoff -a
  changed "swap turned off"
fi
fstab_swap='^[^#[:space:]]+[[:space:]]+[^[:space:]]+[[:space:]]+swap[[:space:]]'
if [[ -f /etc/fstab ]] && grep -Eq "$fstab_swap" /etc/fstab; then
  sed -E -i "/$fstab_swap/s/^/# disabled by herd (kubelet needs swap off): /" /etc/fstab
  changed "swap entries in /etc/fstab commented out"
fi

# --- kernel modules: now and at every boot ---
if write_file /etc/modules-load.d/herd-kubernetes.conf 644 "$(printf '%s\n' "${modules[@]}")"; then
  changed "/etc/modules-load.d/herd-kubernetes.conf written"
fi
for module in "${modules[@]}"; do
  if [[ ! -d /sys/module/$module ]]; then
    modprobe "$module"
    changed "kernel module $module loaded"
  fi
done

# --- sysctls: now and at every boot ---
if write_file /etc/sysctl.d/99-herd-kubernetes.conf 644 "$(printf '%s\n' "${sysctls[@]/=/ = }")"; then
  changed "/etc/sysctl.d/99-herd-kubernetes.conf written"
fi
for setting in "${sysctls[@]}"; do
  key=${setting%%=*}
  value=${setting#*=}
  if [[ $(sysctl -n "$key") != "$value" ]]; then
    sysctl -w "$key=$value" >/dev/null
    changed "sysctl $key set to $value"
  fi
done

# --- package repositories: keys as armored .asc files, named in signed-by ---
if [[ ! -d /etc/apt/keyrings ]]; then
  install -d -m 755 /etc/apt/keyrings
  changed "/etc/apt/keyrings created"
fi
containerd_key=/etc/apt/keyrings/herd-containerd.asc
kubernetes_key=/etc/apt/keyrings/herd-kubernetes-v1.36.asc
if [[ ! -s $containerd_key ]]; then
  curl -fsSL --retry 3 "$containerd_repository/$os_id/gpg" -o "$containerd_key"
  changed "$containerd_key fetched"
fi
if [[ ! -s $kubernetes_key ]]; then
  curl -fsSL --retry 3 "$kubernetes_key_url" -o "$kubernetes_key"
  changed "$kubernetes_key fetched"
fi
if write_file /etc/apt/sources.list.d/herd-containerd.list 644 "deb [signed-by=$containerd_key] $containerd_repository/$os_id $os_codename stable"; then
  changed "/etc/apt/sources.list.d/herd-containerd.list written"
fi
if write_file /etc/apt/sources.list.d/herd-kubernetes.list 644 "deb [signed-by=$kubernetes_key] $kubernetes_repository /"; then
  changed "/etc/apt/sources.list.d/herd-kubernetes.list written"
fi

# --- packages: pinned, installed, then held ---
# want PACKAGE VERSION_PATTERN: queues PACKAGE=VERSION_PATTERN for installation when
# it is missing, or installed at another version on a node that has not joined yet.
# A joined node keeps its versions: changing them there is upgrade-node.sh's job,
# between a drain and an uncordon.
joined=false
[[ -f /etc/kubernetes/kubelet.conf ]] && joined=true
install_queue=()
# Every package's installed version, read once: name → version (absent when not installed).
declare -A installed_versions
read_installed_versions() {
  installed_versions=()
  local package version
  # shellcheck disable=SC2016 # ${Package} and ${Version} are dpkg-query's field names, not shell expansions
  while read -r package version; do
    if [[ -n $version ]]; then installed_versions[$package]=$version; fi
  done < <(dpkg-query -W -f='${Package} ${Version}\n' "$containerd_package" kubelet kubeadm kubectl 2>/dev/null || true)
}
read_installed_versions
want() {
  local package=$1 pattern=$2 installed=${installed_versions[$1]:-}
  # shellcheck disable=SC2053 # $pattern is a glob on purpose: containerd's package revision differs per distribution
  if [[ -z $installed ]] || [[ $installed != $pattern && $joined == false ]]; then
    install_queue+=("$package=$pattern")
  elif [[ $installed != $pattern ]]; then
    log "$package $installed is installed, $pattern wanted: left for the upgrade"
  fi
}
want "$containerd_package" "$containerd_version_pattern"
for package in kubelet kubeadm kubectl; do
  want "$package" "$kubernetes_package_version"
done
if ((${#install_queue[@]} > 0)); then
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -q
  apt-get install -y -q --no-install-recommends --allow-change-held-packages --allow-downgrades \
    -o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold "${install_queue[@]}"
  changed "installed ${install_queue[*]}"
  read_installed_versions
fi
held=$(apt-mark showhold)
to_hold=()
for package in "$containerd_package" kubelet kubeadm kubectl; do
  grep -qxF "$package" <<<"$held" || to_hold+=("$package")
done
if ((${#to_hold[@]} > 0)); then
  apt-mark hold "${to_hold[@]}" >/dev/null
  changed "${to_hold[*]} held at their versions"
fi

# --- containerd: herd's config, enabled and running ---
# A joined node whose containerd is still another version may not read this config's format
# (containerd 2.x's version 3, which 1.x refuses): upgrade-node.sh installs the config together
# with the new containerd, before it restarts it.
containerd_config_changed=false
containerd_installed=${installed_versions[$containerd_package]:-}
# shellcheck disable=SC2053 # $containerd_version_pattern is a glob on purpose: the package revision differs per distribution
if [[ $containerd_installed != $containerd_version_pattern ]]; then
  log "/etc/containerd/config.toml left for the upgrade: containerd $containerd_installed is installed, $containerd_version_pattern wanted"
elif install_file /etc/herd/containerd/config.toml /etc/containerd/config.toml 644; then
  containerd_config_changed=true
  changed "/etc/containerd/config.toml installed"
fi
if ! systemctl is-enabled --quiet containerd; then
  systemctl enable containerd
  changed "containerd enabled"
fi
if [[ $containerd_config_changed == true ]]; then
  systemctl restart containerd
  changed "containerd restarted with the new config"
elif ! systemctl is-active --quiet containerd; then
  systemctl start containerd
  changed "containerd started"
fi

# --- kubelet: enabled; it restarts in a loop until kubeadm gives it a config ---
if ! systemctl is-enabled --quiet kubelet; then
  systemctl enable --now kubelet
  changed "kubelet enabled"
fi

log "ok: node prepared, $changes changes"
