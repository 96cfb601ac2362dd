#!/usr/bin/env bash
# Reads the cluster's own view from a control plane that serves, changes
# nothing. Runs as root (sudo -n bash -c, this text as the script, or from
# probe.sh); prints view.<what>.code=<exit code> and view.<what>=<output in
# base64> per read, for facts.ts to parse.
#
# Usage: cluster-read.sh BGP [ETCD_MEMBERS ETCD status ETCD...]
#   BGP           "bgp": read Calico's CalicoNodeStatuses too (the environment has external peers)
#   ETCD_MEMBERS  etcd-members.sh's text, run with the rest: etcd's members and their health
set -u

kubeconfig=/etc/kubernetes/admin.conf
bgp=${1:-none}

# view WHAT COMMAND...: one read, its exit code and its output (stderr included).
view() {
  local what=$1 output code
  shift
  output=$("$@" 2>&1)
  code=$?
  echo "view.$what.code=$code"
  echo "view.$what=$(printf '%s' "$output" | base64 -w0)"
}

view nodes kubectl --kubeconfig "$kubeconfig" get nodes -o json
view readyz kubectl --kubeconfig "$kubeconfig" get --raw /readyz
if [[ $bgp == bgp ]]; then
  view bgp kubectl --kubeconfig "$kubeconfig" get caliconodestatuses.projectcalico.org -o json
fi
if [[ $# -ge 2 ]]; then
  view etcd bash -c "$2" etcd-members.sh "${@:3}"
fi
exit 0
