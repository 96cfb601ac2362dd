#!/usr/bin/env bash
# upgrade-node.sh: rendered by herd for cluster kubernetes-1-37; re-render instead of editing.
#
# Usage: upgrade-node.sh kubeadm apply|node    (before the node is drained)
#        upgrade-node.sh packages              (while it is drained)
# Runs on: a joined node whose Kubernetes or containerd version differs from the environment's,
#   as root, after prepare-node.sh has pointed apt at the new Kubernetes 1.37 repository;
#   any number of times.
# Expects: the node joined; for "kubeadm apply", /etc/kubernetes/admin.conf.
# Secrets: none.
# Does, in kubeadm's documented order: "kubeadm" installs kubeadm 1.37.1-1.1 and runs
#   `kubeadm upgrade apply v1.37.1` (the first control plane: the cluster's
#   configuration, then its own components) or `kubeadm upgrade node` (every other node),
#   once per version, recorded in /var/lib/herd/applied/kubeadm-upgraded. "packages" installs kubelet and kubectl
#   1.37.1-1.1 and containerd.io 2.3.5, keeps them
#   held, and restarts what changed. A new containerd is kept from starting until its config, in
#   the format it reads (version 3), is in place: one restart, and the
#   running containers stay (their shims outlive containerd).
set -euo pipefail

script=upgrade-node.sh
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

kubernetes_version=v1.37.1
kubernetes_package_version=1.37.1-1.1
containerd_package=containerd.io
containerd_version_pattern=2.3.5-\*
upgraded_marker=/var/lib/herd/applied/kubeadm-upgraded
staged_containerd_config=/etc/herd/containerd/config.toml
containerd_restart_marker=/var/lib/herd/containerd-restart-pending
policy_rc_d=/usr/sbin/policy-rc.d
# invoke-rc.d(8): exit 101 forbids a package's postinst to (re)start its services.
policy_rc_d_content=$'#!/bin/sh\n# upgrade-node.sh: containerd starts once its new config is in place.\nexit 101'

[[ $EUID -eq 0 ]] || fail 3 "must run as root"
[[ -f /etc/kubernetes/kubelet.conf ]] || fail 3 "this node has not joined a cluster: there is nothing to upgrade"

# installed PACKAGE: its installed version, or nothing.
installed() {
  # shellcheck disable=SC2016 # ${Version} is dpkg-query's field name, not a shell expansion
  dpkg-query -W -f='${Version}' "$1" 2>/dev/null || true
}

# upgrade_held PACKAGE=VERSION…: installs exactly these versions of held packages and holds them again.
apt_updated=false
upgrade_held() {
  local packages=("${@%%=*}")
  export DEBIAN_FRONTEND=noninteractive
  if [[ $apt_updated == false ]]; then
    apt-get update -q
    apt_updated=true
  fi
  apt-get install -y -q --no-install-recommends --allow-change-held-packages \
    -o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold "$@"
  apt-mark hold "${packages[@]}" >/dev/null
  changed "installed and held $*"
}

upgrade_kubeadm() {
  local mode=$1
  if [[ $(installed kubeadm) != "$kubernetes_package_version" ]]; then
    upgrade_held "kubeadm=$kubernetes_package_version"
  fi
  if [[ -f $upgraded_marker && $(<"$upgraded_marker") == "$kubernetes_version" ]]; then
    return
  fi
  if [[ $mode == apply ]]; then
    [[ -f /etc/kubernetes/admin.conf ]] || fail 3 "kubeadm upgrade apply runs on a control plane: /etc/kubernetes/admin.conf is missing"
    kubeadm upgrade apply "$kubernetes_version" --yes
  else
    kubeadm upgrade node
  fi
  write_file "$upgraded_marker" 644 "$kubernetes_version" || true
  changed "kubeadm upgrade $mode to $kubernetes_version"
}

upgrade_packages() {
  local queue=() package
  for package in kubelet kubectl; do
    [[ $(installed "$package") == "$kubernetes_package_version" ]] || queue+=("$package=$kubernetes_package_version")
  done
  local containerd_installed
  containerd_installed=$(installed "$containerd_package")
  # shellcheck disable=SC2053 # $containerd_version_pattern is a glob on purpose: the package revision differs per distribution
  [[ $containerd_installed == $containerd_version_pattern ]] || queue+=("$containerd_package=$containerd_version_pattern")
  local containerd_changes=false
  [[ " ${queue[*]}" == *" $containerd_package="* ]] && containerd_changes=true
  # A stopped run may have installed the new containerd and not yet restarted it with its config.
  [[ -f $containerd_restart_marker ]] && containerd_changes=true
  ((${#queue[@]} > 0)) || [[ $containerd_changes == true ]] || return 0
  if [[ $containerd_changes == true ]]; then
    [[ -f $staged_containerd_config ]] || fail 3 "$staged_containerd_config is missing: run prepare-node.sh first"
    # A policy-rc.d of herd's own is one a stopped run left: this run takes it over.
    if [[ -e $policy_rc_d && $(<"$policy_rc_d") != "$policy_rc_d_content" ]]; then
      fail 3 "$policy_rc_d exists already; herd uses it to hold containerd's restart until its new config is in place"
    fi
    write_file "$containerd_restart_marker" 644 "2.3.5" || true
    write_file "$policy_rc_d" 755 "$policy_rc_d_content" || true
    trap 'rm -f "$policy_rc_d"' EXIT
  fi
  if ((${#queue[@]} > 0)); then
    upgrade_held "${queue[@]}"
    systemctl daemon-reload
  fi
  if [[ $containerd_changes == true ]]; then
    rm -f "$policy_rc_d"
    if install_file "$staged_containerd_config" /etc/containerd/config.toml 644; then
      changed "/etc/containerd/config.toml installed in the format containerd 2.3.5 reads"
    fi
    systemctl restart containerd
    rm -f "$containerd_restart_marker"
    changed "containerd restarted"
  fi
  systemctl restart kubelet
  changed "kubelet restarted"
}

case ${1:-} in
  kubeadm)
    [[ ${2:-} == apply || ${2:-} == node ]] || fail 3 "usage: $script kubeadm apply|node"
    upgrade_kubeadm "$2"
    ;;
  packages) upgrade_packages ;;
  *) fail 3 "usage: $script kubeadm apply|node | $script packages" ;;
esac
log "ok: $changes changes"
