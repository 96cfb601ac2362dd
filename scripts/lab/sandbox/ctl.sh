#!/bin/bash
# Controls a lab host's SSH front door from inside its sandbox (run by enter.sh,
# and by the lab manager through nsenter). Usage: ctl.sh ACTION
#   sshd-start    start sshd unless it runs
#   sshd-stop     stop sshd (connections are then refused); open sessions stay
#   silent-start ADDRESS NODE
#                 listen on ADDRESS:22 and never say a word (sshd must be stopped)
#   silent-stop   stop that listener
#   rekey         new host key, then sshd re-executes itself (SIGHUP) to load it
#   sshd-inetd    (a bastion's gateway, per connection) sshd on stdin/stdout,
#                 in the lab's isolated network
#   calico-node-start NODE
#                 (a host on a fabric, at boot) the simulated calico-node, kept running
set -euo pipefail

sshd_pid_file=/run/sshd.pid
silent_pid_file=/run/herd-lab/silent.pid
log=/run/herd-lab/host/sshd.log

running() { # PID_FILE
  [ -s "$1" ] && kill -0 "$(cat "$1")" 2>/dev/null
}

stop() { # PID_FILE
  if running "$1"; then
    local pid
    pid=$(cat "$1")
    kill "$pid"
    while kill -0 "$pid" 2>/dev/null; do sleep 0.02; done
  fi
  rm -f "$1"
}

# What Docker grants a container's root by default, minus mknod: enough for sshd
# and sudo, not enough to mount, load modules, reboot or reconfigure the network
# of the machine the lab runs on.
bounding_set=-all,+chown,+dac_override,+fowner,+fsetid,+kill,+setgid,+setuid,+setpcap,+setfcap,+net_bind_service,+net_raw,+sys_chroot,+audit_write

# A bastion (enter.sh wrote its gateway file) has a leg in two networks: its
# gateway listens on the host's address in the machine's network, and hands
# each connection to an sshd that runs in the lab's isolated network, where
# the sessions' forwarded channels and commands then go.
gateway_file=/run/herd-lab/gateway
inner_net=/run/herd-lab/inner-net

start_sshd() {
  running "$sshd_pid_file" && return 0
  if [ -e "$gateway_file" ]; then
    local address node
    { read -r address && read -r node; } <"$gateway_file"
    "$node" /usr/local/lib/herd-lab/lab/sandbox/bastion-gateway.mjs "$address" 22 "$sshd_pid_file" "$0" >>"$log" 2>&1 </dev/null &
  else
    setpriv --bounding-set="$bounding_set" -- /usr/sbin/sshd -D -e -f /etc/ssh/sshd_config >>"$log" 2>&1 </dev/null &
  fi
  for _ in $(seq 200); do
    running "$sshd_pid_file" && return 0
    sleep 0.01
  done
  echo "sshd did not start; see $log" >&2
  return 1
}

case ${1:?action} in
  sshd-start) start_sshd ;;
  sshd-stop) stop "$sshd_pid_file" ;;
  silent-start)
    "${3:?node}" /usr/local/lib/herd-lab/lab/sandbox/silent-listener.mjs "${2:?address}" 22 "$silent_pid_file" >>"$log" 2>&1 </dev/null &
    for _ in $(seq 300); do
      running "$silent_pid_file" && exit 0
      sleep 0.01
    done
    echo "the silent listener did not start" >&2
    exit 1
    ;;
  silent-stop) stop "$silent_pid_file" ;;
  sshd-inetd)
    exec nsenter --net="$inner_net" -- setpriv --bounding-set="$bounding_set" -- /usr/sbin/sshd -i -e -f /etc/ssh/sshd_config
    ;;
  calico-node-start)
    # What a kubelet's calico-node pod may do: the host network namespace's routes, BGP's port,
    # TUN devices for the lab's pods; nothing of the machine's.
    calico_caps=-all,+net_admin,+net_raw,+net_bind_service,+kill,+chown,+dac_override,+fowner,+setuid,+setgid
    mkdir -p /var/log/calico
    (
      while :; do
        setpriv --bounding-set="$calico_caps" -- "${2:?node}" /usr/local/lib/herd-lab/lab/simulators/calico-node.mjs </dev/null >>/var/log/calico/calico-node.log 2>&1 || true
        sleep 1
      done
    ) &
    echo $! >/run/herd-lab/calico-node.pid
    ;;
  rekey)
    rm -f /etc/ssh/ssh_host_*
    ssh-keygen -q -t ed25519 -N '' -C "root@$(hostname)" -f /etc/ssh/ssh_host_ed25519_key
    if running "$sshd_pid_file"; then kill -HUP "$(cat "$sshd_pid_file")"; fi
    ;;
  *)
    echo "unknown action: $1" >&2
    exit 2
    ;;
esac
