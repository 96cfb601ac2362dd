#!/usr/bin/env bash
# reset-node.sh: rendered by herd for cluster kubernetes-1-35; re-render instead of editing.
#
# Runs on: a node leaving the cluster (after remove-node.sh ran on a control plane), or every
#   node on `herd reset`, as root; any number of times.
# Expects: nothing.
# Secrets: none.
# Does: `kubeadm reset` when the node holds cluster state, removes the CNI configuration and
#   Calico's state, and forgets what herd applied here; packages and kernel settings stay, so
#   the node is back to prepared.
set -euo pipefail

script=reset-node.sh
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

[[ $EUID -eq 0 ]] || fail 3 "must run as root"

if [[ -e /etc/kubernetes/kubelet.conf || -e /etc/kubernetes/admin.conf || -d /etc/kubernetes/manifests ]]; then
  kubeadm reset --force
  changed "kubeadm reset"
fi
for path in /etc/cni/net.d /var/lib/calico /var/lib/herd/applied; do
  if [[ -e $path ]]; then
    rm -rf "$path"
    changed "$path removed"
  fi
done
log "ok: back to prepared, $changes changes"
