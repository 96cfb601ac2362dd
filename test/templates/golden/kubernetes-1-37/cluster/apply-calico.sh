#!/usr/bin/env bash
# apply-calico.sh: rendered by herd for cluster kubernetes-1-37; re-render instead of editing.
#
# Usage: apply-calico.sh [NODE...]
# Runs on: a control plane that serves the API, as root, after every node has joined;
#   any number of times (kubectl apply converges; nothing is deleted). Without arguments it
#   applies everything; with node names, only those nodes' own objects (labels, annotations,
#   status report), for nodes that joined a cluster whose Calico is already in place.
# Expects: /etc/kubernetes/admin.conf; in /etc/herd/calico/: installation.yaml, bgp.yaml, nodes/<node>.yaml. Fetches the Tigera operator's manifests with curl once per version.
# Secrets: none (no BGP peer has a password).
# Does: operator CRDs and operator; Installation and APIServer; BGPConfiguration, BGPFilters and BGPPeers once the projectcalico.org/v3 API answers;
#   then per node: labels and Calico annotations (AS number)
#   and a CalicoNodeStatus, through which calico-node reports its BGP sessions.
#   Prints kubectl's own output per object.
set -euo pipefail

script=apply-calico.sh
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

admin_kubeconfig=/etc/kubernetes/admin.conf
calico_dir=/etc/herd/calico
crds_url=https://files.example.com/calico/v3.33.1/operator-crds.yaml
operator_url=https://files.example.com/calico/v3.33.1/tigera-operator.yaml

k() { kubectl --kubeconfig "$admin_kubeconfig" "$@"; }

# retry WHAT COMMAND...: runs COMMAND every 5 seconds, up to 60 times, until it succeeds; prints its last output.
retry() {
  local what=$1 attempt output
  shift
  for ((attempt = 1; ; attempt++)); do
    if output=$("$@" 2>&1); then
      printf '%s\n' "$output"
      return 0
    fi
    if ((attempt >= 60)); then
      printf '%s\n' "$output" >&2
      fail 5 "gave up waiting for $what"
    fi
    sleep 5
  done
}

# fetch URL FILE: downloads FILE once; a versioned name means a new version is fetched anew.
fetch() {
  local url=$1 file=$2
  if [[ ! -s $file ]]; then
    curl -fsSL --retry 3 "$url" -o "$file.herd-new"
    mv -f "$file.herd-new" "$file"
    changed "$file fetched from $url"
  fi
}

[[ $EUID -eq 0 ]] || fail 3 "must run as root"
[[ -f $admin_kubeconfig ]] || fail 3 "$admin_kubeconfig is missing: initialise the control plane first"

if (($# > 0)); then
  nodes=("$@")
else
  nodes=()
  for file in "$calico_dir"/nodes/*.yaml; do
    [[ -f $file ]] && nodes+=("$(basename "$file" .yaml)")
  done
fi
node_files=()
for node in "${nodes[@]}"; do
  [[ -f $calico_dir/nodes/$node.yaml ]] || fail 3 "$calico_dir/nodes/$node.yaml is missing: upload the rendered artifacts first"
  node_files+=(-f "$calico_dir/nodes/$node.yaml")
done

registered=$(k get nodes -o name)
missing=()
for node in "${nodes[@]}"; do
  grep -qxF "node/$node" <<<"$registered" || missing+=("$node")
done
((${#missing[@]} == 0)) || fail 3 "nodes not registered yet: ${missing[*]}; join them first"

if (($# == 0)); then
  # --- the Tigera operator ---
  fetch "$crds_url" "$calico_dir/operator-crds-v3.33.1.yaml"
  fetch "$operator_url" "$calico_dir/tigera-operator-v3.33.1.yaml"
  # Server-side: the CRDs are too large for client-side apply's last-applied annotation.
  k apply --server-side --force-conflicts -f "$calico_dir/operator-crds-v3.33.1.yaml"
  k apply --server-side --force-conflicts -f "$calico_dir/tigera-operator-v3.33.1.yaml"
  retry "the operator's Installation API" k apply -f "$calico_dir/installation.yaml"

  # --- BGP: accepted once the Calico API server serves projectcalico.org/v3 ---
  retry "the Calico API server (projectcalico.org/v3)" k apply -f "$calico_dir/bgp.yaml"
fi

# --- per node: labels for the peers' selectors, AS numbers, BGP status reports ---
if ((${#nodes[@]} > 0)); then
  k apply --server-side --field-manager=herd --force-conflicts "${node_files[@]}"
fi

log "ok: Calico applied${1:+ for ${#nodes[@]} nodes}, $changes changes besides kubectl's own"
