#!/usr/bin/env bash
# drain-node.sh: rendered by herd for cluster kubernetes-1-35; re-render instead of editing.
#
# Usage: drain-node.sh drain NODE TIMEOUT_SECONDS
#        drain-node.sh uncordon NODE TIMEOUT_SECONDS
# Runs on: a control plane that serves the API, as root, around the upgrade of NODE (which may be
#   this control plane itself); any number of times.
# Expects: /etc/kubernetes/admin.conf.
# Secrets: none.
# Does: "drain" cordons NODE and evicts its pods (evictions respect PodDisruptionBudgets; gives up
#   after TIMEOUT_SECONDS). "uncordon" waits up to TIMEOUT_SECONDS for NODE to be Ready, then
#   makes it schedulable again: a node that did not come back stays cordoned.
set -euo pipefail

script=drain-node.sh
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

action=${1:-}
node=${2:-}
timeout=${3:-}
admin_kubeconfig=/etc/kubernetes/admin.conf

[[ ($action == drain || $action == uncordon) && -n $node && $timeout =~ ^[0-9]+$ ]] || fail 3 "usage: $script drain|uncordon NODE TIMEOUT_SECONDS"
[[ $EUID -eq 0 ]] || fail 3 "must run as root"
[[ -f $admin_kubeconfig ]] || fail 3 "$admin_kubeconfig is missing: this node serves no API"

k() { kubectl --kubeconfig "$admin_kubeconfig" "$@"; }

unschedulable=$(k get node "$node" -o jsonpath='{.spec.unschedulable}')
if [[ $action == drain ]]; then
  # Drained again even when already cordoned: a run that stopped half-way may have left pods behind.
  k drain "$node" --ignore-daemonsets --delete-emptydir-data --timeout="${timeout}s"
  [[ $unschedulable == true ]] || changed "$node cordoned and drained"
else
  if ! k wait --for=condition=Ready "node/$node" --timeout="${timeout}s" >/dev/null; then
    fail 5 "$node is not Ready after ${timeout}s: it stays cordoned; see its kubelet"
  fi
  if [[ $unschedulable == true ]]; then
    k uncordon "$node" >/dev/null
    changed "$node uncordoned"
  fi
fi
log "ok: $changes changes"
