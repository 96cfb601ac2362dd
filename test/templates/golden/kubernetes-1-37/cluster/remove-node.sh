#!/usr/bin/env bash
# remove-node.sh: rendered by herd for cluster kubernetes-1-37; re-render instead of editing.
#
# Usage: remove-node.sh NODE ETCD DRAIN_TIMEOUT_SECONDS
# Runs on: a control plane that serves the API, as root, before NODE's machine goes; any number
#   of times (a node already gone is left alone). etcdctl runs in the etcd pod of control plane
#   ETCD (not NODE), a healthy member that stays. herd has checked that removing NODE's etcd
#   member keeps etcd's quorum (etcd-members.sh status).
# Expects: /etc/kubernetes/admin.conf.
# Secrets: none.
# Does: drains NODE (evictions respect PodDisruptionBudgets; fails after DRAIN_TIMEOUT_SECONDS,
#   leaving NODE cordoned), removes its etcd member when it is a control plane, then deletes its
#   Node object. DRAIN_TIMEOUT_SECONDS 0 skips the drain, for a node that cannot be reached: its
#   pods would never confirm their eviction, and deleting the Node lets them be recreated elsewhere.
#   Resetting the machine itself is reset-node.sh's job, on NODE.
set -euo pipefail

script=remove-node.sh
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

node=${1:-}
self=${2:-}
drain_timeout=${3:-}
admin_kubeconfig=/etc/kubernetes/admin.conf

[[ -n $node && -n $self && $drain_timeout =~ ^[0-9]+$ ]] || fail 3 "usage: $script NODE ETCD DRAIN_TIMEOUT_SECONDS"
[[ $node != "$self" ]] || fail 3 "$node cannot remove its own etcd member: name another control plane as ETCD"
[[ $EUID -eq 0 ]] || fail 3 "must run as root"
[[ -f $admin_kubeconfig ]] || fail 3 "$admin_kubeconfig is missing: this node serves no API"

k() { kubectl --kubeconfig "$admin_kubeconfig" "$@"; }
# etcdctl inside the etcd static pod of control plane $self (through the API, so it may run on
# another node), which has the etcd client certificates mounted; needs $admin_kubeconfig.
etcd() {
  kubectl --kubeconfig "$admin_kubeconfig" --namespace kube-system exec "etcd-$self" -- etcdctl \
    --endpoints=https://127.0.0.1:2379 --cacert=/etc/kubernetes/pki/etcd/ca.crt \
    --cert=/etc/kubernetes/pki/etcd/server.crt --key=/etc/kubernetes/pki/etcd/server.key "$@"
}

if ((drain_timeout > 0)) && k get node "$node" -o name >/dev/null 2>&1; then
  k drain "$node" --ignore-daemonsets --delete-emptydir-data --timeout="${drain_timeout}s"
  changed "$node drained"
fi

# A control plane that is gone must not keep its vote in etcd.
member=$(etcd member list | awk -F', ' -v name="$node" '$3 == name { print $1 }')
if [[ -n $member ]]; then
  etcd member remove "$member"
  changed "etcd member $member ($node) removed"
fi

if k get node "$node" -o name >/dev/null 2>&1; then
  k delete node "$node"
  changed "Node $node deleted"
fi
log "ok: $node is out of the cluster, $changes changes"
