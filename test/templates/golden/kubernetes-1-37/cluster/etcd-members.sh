#!/usr/bin/env bash
# etcd-members.sh: rendered by herd for cluster kubernetes-1-37; re-render instead of editing.
#
# Usage: etcd-members.sh ETCD status [ETCD…] | etcd-members.sh ETCD remove ID
# Runs on: a control plane that serves the API, as root, before a node leaves; any number of
#   times. etcdctl runs in the etcd pod of control plane ETCD (through the API, so it may be
#   another node's): status tries each ETCD given until one answers, since the control plane
#   herd acts from may be the one whose etcd is down.
# Expects: /etc/kubernetes/admin.conf.
# Secrets: none.
# Does: status (read-only) prints etcd's member list, a line "---", then the health of every
#   member (etcdctl writes unhealthy ones to stderr: both are printed here); herd reads them to
#   check that every removal keeps a healthy majority. remove drops member ID (hex, as listed),
#   if it is still a member: a member that never started has no name.
set -euo pipefail

script=etcd-members.sh
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

self=${1:-}
action=${2:-}
id=${3:-}
others=("${@:3}")
admin_kubeconfig=/etc/kubernetes/admin.conf

[[ -n $self && ( $action == status || ( $action == remove && $id =~ ^[0-9a-f]+$ ) ) ]] || fail 3 "usage: $script ETCD status [ETCD...] | $script ETCD remove ID"
[[ $EUID -eq 0 ]] || fail 3 "must run as root"
[[ -f $admin_kubeconfig ]] || fail 3 "$admin_kubeconfig is missing: this node serves no API"

# etcdctl inside the etcd static pod of control plane $self (through the API, so it may run on
# another node), which has the etcd client certificates mounted; needs $admin_kubeconfig.
etcd() {
  kubectl --kubeconfig "$admin_kubeconfig" --namespace kube-system exec "etcd-$self" -- etcdctl \
    --endpoints=https://127.0.0.1:2379 --cacert=/etc/kubernetes/pki/etcd/ca.crt \
    --cert=/etc/kubernetes/pki/etcd/server.crt --key=/etc/kubernetes/pki/etcd/server.key "$@"
}

if [[ $action == status ]]; then
  for self in "$self" "${others[@]}"; do
    if members=$(etcd member list 2>&1); then
      printf '%s\n---\n' "$members"
      # Exits non-zero when any member is unhealthy: that is the answer, not a failure.
      etcd endpoint health --cluster 2>&1 || true
      exit 0
    fi
    printf '%s: etcd-%s does not answer: %s\n' "$script" "$self" "$members" >&2
  done
  fail 1 "no etcd pod answered"
fi

if etcd member list | awk -F', ' -v id="$id" '$1 == id { found = 1 } END { exit !found }'; then
  etcd member remove "$id"
  changed "etcd member $id removed"
fi
log "ok: $id is no etcd member, $changes changes"
