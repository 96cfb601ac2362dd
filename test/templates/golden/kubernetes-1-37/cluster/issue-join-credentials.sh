#!/usr/bin/env bash
# issue-join-credentials.sh: rendered by herd for cluster kubernetes-1-37; re-render instead of editing.
#
# Usage: issue-join-credentials.sh worker|control-plane
# Runs on: a control plane that serves the API, as root, when nodes are about to join.
#   Not idempotent on purpose: every run issues a fresh bootstrap token that expires after 30m.
# Expects: /etc/kubernetes/admin.conf.
# Secrets: writes them, never prints them. Into /run/herd/issued/ (0700; files 0600, exact values):
#     KUBEADM_JOIN_TOKEN, KUBEADM_CA_CERT_HASH and, for control-plane,
#     KUBEADM_CERTIFICATE_KEY (the control-plane certificates are uploaded to the
#     kubeadm-certs Secret, which kubeadm deletes after two hours).
#   The provisioner reads them over SFTP, uploads them to the joining node's /run/herd/secrets/
#   and removes both copies afterwards.
set -euo pipefail

script=issue-join-credentials.sh
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

role=${1:-}
issued=/run/herd/issued

[[ $role == worker || $role == control-plane ]] || fail 3 "usage: $script worker|control-plane"
[[ $EUID -eq 0 ]] || fail 3 "must run as root"
[[ -f /etc/kubernetes/admin.conf ]] || fail 3 "this node runs no control plane yet: run init-control-plane.sh first"

umask 077
mkdir -p "$issued"
chmod 700 "$issued"

# One call yields a token and the CA hash; both come back on stdout, never through argv.
join_command=$(kubeadm token create --ttl 30m --description "herd join" --print-join-command)
[[ $join_command =~ --token\ ([a-z0-9]{6}\.[a-z0-9]{16}) ]] || fail 1 "kubeadm token create printed no token"
printf '%s' "${BASH_REMATCH[1]}" >"$issued/KUBEADM_JOIN_TOKEN"
[[ $join_command =~ --discovery-token-ca-cert-hash\ (sha256:[a-f0-9]{64}) ]] || fail 1 "kubeadm token create printed no CA hash"
printf '%s' "${BASH_REMATCH[1]}" >"$issued/KUBEADM_CA_CERT_HASH"

if [[ $role == control-plane ]]; then
  # The key is the last line kubeadm prints ("[upload-certs] Using certificate key:" comes before it).
  upload=$(kubeadm init phase upload-certs --upload-certs)
  key=${upload##*$'\n'}
  [[ $key =~ ^[a-f0-9]{64}$ ]] || fail 1 "kubeadm init phase upload-certs printed no certificate key"
  printf '%s' "$key" >"$issued/KUBEADM_CERTIFICATE_KEY"
fi

log "ok: join credentials for a $role issued into $issued (the token expires after 30m)"
