#!/usr/bin/env bash
# init-control-plane.sh: rendered by herd for cluster kubernetes-1-35; re-render instead of editing.
#
# Runs on: the first control plane, kubernetes-1-35-cp-1, as root, after prepare-node.sh; any number of times.
# Expects: /etc/herd/kubeadm/init.yaml.
# Secrets: none. kubeadm creates the cluster's CA and keys on this node; they stay here. Its
#   output holds a bootstrap token, so it goes to /var/log/herd/kubeadm-init.log (root only).
# Does: `kubeadm init` unless this node already runs the control plane.
set -euo pipefail

script=init-control-plane.sh
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

# kubeadm prints join commands with live credentials, so its output goes to a
# root-only log instead of stdout; on failure the log's tail is shown without them.
kubeadm_log_dir=/var/log/herd
run_kubeadm() {
  local log=$kubeadm_log_dir/$1.log
  shift
  mkdir -p "$kubeadm_log_dir"
  chmod 700 "$kubeadm_log_dir"
  local code=0
  kubeadm "$@" >"$log" 2>&1 || code=$?
  if ((code != 0)); then
    printf '%s: kubeadm %s failed with exit code %s; last lines of %s:\n' "$script" "$1" "$code" "$log" >&2
    tail -n 30 "$log" | grep -Ev -e '--token|--discovery-token-ca-cert-hash|--certificate-key|certificate key' >&2 || true
    return "$code"
  fi
}

config=/etc/herd/kubeadm/init.yaml
admin_kubeconfig=/etc/kubernetes/admin.conf
static_pods=/etc/kubernetes/manifests

[[ $EUID -eq 0 ]] || fail 3 "must run as root"
[[ -f $config ]] || fail 3 "$config is missing: upload the rendered artifacts first"

if [[ -f $admin_kubeconfig && -f $static_pods/kube-apiserver.yaml ]]; then
  log "the control plane is already initialised"
else
  run_kubeadm kubeadm-init init --config "$config"
  changed "control plane initialised (kubeadm init)"
fi

log "ok: control plane ready on kubernetes-1-35-cp-1, $changes changes"
