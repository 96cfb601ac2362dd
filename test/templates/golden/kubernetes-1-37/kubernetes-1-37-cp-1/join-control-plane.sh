#!/usr/bin/env bash
# join-control-plane.sh: rendered by herd for kubernetes-1-37-cp-1 of cluster kubernetes-1-37; re-render instead of editing.
#
# Runs on: a further control plane (kubernetes-1-37-cp-1), one at a time, as root,
#   after prepare-node.sh and after the first control plane is up; any number of times.
# Expects: /etc/herd/kubeadm/join.yaml (a JoinConfiguration with @@…@@ placeholders).
# Secrets: files in /run/herd/secrets/ (directory 0700, files 0600, each holding exactly the
#   value), uploaded by the provisioner over SFTP for this run and removed by it afterwards:
#     KUBEADM_JOIN_TOKEN       a bootstrap token, e.g. from issue-join-credentials.sh
#     KUBEADM_CA_CERT_HASH     sha256:<hex> of the cluster CA's public key
#     KUBEADM_CERTIFICATE_KEY  the key of the certificates uploaded by kubeadm (upload-certs)
#   They are read with bash builtins and written only into a 0600 copy of the join
#   configuration under /run/herd, deleted when kubeadm is done; never onto a command line.
# Does: `kubeadm join` unless this node has already joined.
set -euo pipefail

script=join-control-plane.sh
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

template=/etc/herd/kubeadm/join.yaml
secrets=/run/herd/secrets

[[ $EUID -eq 0 ]] || fail 3 "must run as root"
[[ -f $template ]] || fail 3 "$template is missing: upload the rendered artifacts first"

if [[ -f /etc/kubernetes/kubelet.conf && -f /etc/kubernetes/manifests/kube-apiserver.yaml ]]; then
  log "ok: kubernetes-1-37-cp-1 has already joined, $changes changes"
  exit 0
fi

# read_secret NAME PATTERN: the secret's value, checked against PATTERN; the value is never printed.
read_secret() {
  local file=$secrets/$1 value
  [[ -f $file ]] || fail 4 "secret $1 is missing: expected the file $file"
  value=$(<"$file")
  [[ $value =~ $2 ]] || fail 4 "secret $1 in $file is malformed"
  printf '%s' "$value"
}
token=$(read_secret KUBEADM_JOIN_TOKEN '^[a-z0-9]{6}\.[a-z0-9]{16}$')
ca_cert_hash=$(read_secret KUBEADM_CA_CERT_HASH '^sha256:[a-f0-9]{64}$')
certificate_key=$(read_secret KUBEADM_CERTIFICATE_KEY '^[a-f0-9]{64}$')

config=$(<"$template")
config=${config//@@KUBEADM_JOIN_TOKEN@@/$token}
config=${config//@@KUBEADM_CA_CERT_HASH@@/$ca_cert_hash}
config=${config//@@KUBEADM_CERTIFICATE_KEY@@/$certificate_key}
! [[ $config =~ @@[A-Z_]+@@ ]] || fail 3 "$template has a placeholder this script does not fill: ${BASH_REMATCH[0]}"

filled=/run/herd/kubeadm-join.yaml
trap 'rm -f "$filled"' EXIT
mkdir -p "${filled%/*}"
(umask 077 && printf '%s\n' "$config" >"$filled")

run_kubeadm kubeadm-join join --config "$filled"
changed "kubernetes-1-37-cp-1 joined the cluster as a control plane"
log "ok: kubernetes-1-37-cp-1 joined, $changes changes"
