#!/usr/bin/env bash
# Reads what a node has, changes nothing. Runs as root (sudo -n bash -s) with
# this text on stdin; prints one key=value per line for facts.ts to parse.
set -u

# shellcheck source=/dev/null
[[ -r /etc/os-release ]] && . /etc/os-release
echo "os.id=${ID:-unknown}"
echo "os.version=${VERSION_ID:-unknown}"
echo "hostname=$(hostname)"
echo "cpus=$(nproc)"
echo "memory.kib=$(awk '/^MemTotal:/ { print $2 }' /proc/meminfo)"
echo "clock.epoch=$(date +%s)"
# The address herd will give kubelet must be one of this host's own.
address=${1:-}
if [[ -n $address ]] && ip -o route get "$address" 2>/dev/null | grep -q "^local $address "; then
  echo "address.local=yes"
else
  echo "address.local=no"
fi
# Free space where the steps write (KiB): packages and images under /var/lib, herd's files under
# /etc, the login user's staging folder under their home, secrets and locks under /run.
home=$(getent passwd "${SUDO_USER:-root}" | cut -d: -f6)
echo "home=${home:-/}"
free_kib() {
  local path=$1
  while [[ ! -e $path ]]; do path=${path%/*}; path=${path:-/}; done
  df -Pk "$path" | awk 'NR == 2 { print $4 }'
}
for path in /var/lib /etc /run; do
  echo "space:$path=$(free_kib "$path")"
done
echo "space:home=$(free_kib "${home:-/}")"
for file in /etc/kubernetes/admin.conf /etc/kubernetes/kubelet.conf /etc/kubernetes/manifests/kube-apiserver.yaml; do
  [[ -e $file ]] && echo "file:$file=present"
done
# One query for every package: unknown ones are reported on stderr and skipped.
# shellcheck disable=SC2016 # ${Package} and ${Version} are dpkg-query's fields, not shell expansions
dpkg-query -W -f='package:${Package}=${Version}\n' kubelet kubeadm kubectl containerd.io containerd 2>/dev/null | grep -v '=$' || true
for record in /var/lib/herd/applied/*; do
  [[ -f $record ]] && echo "applied:${record##*/}=$(<"$record")"
done
exit 0
