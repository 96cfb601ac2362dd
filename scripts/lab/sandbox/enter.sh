#!/bin/bash
# Turns a fresh set of namespaces into one lab host, then stays as its init.
#
# Run by sandbox.ts as the first process of new mount, UTS, IPC and PID
# namespaces (`unshare --fork --kill-child`), so that every mount made here is
# private to the host and vanishes with it, and killing `unshare` kills every
# process of the host. Usage: enter.sh HOST_DIR (the rest comes from HERD_LAB_*).
set -euo pipefail

host_dir=$1
: "${HERD_LAB_NAME:?}" "${HERD_LAB_ADDRESS:?}" "${HERD_LAB_USER:?}" "${HERD_LAB_PUBKEY:?}"
: "${HERD_LAB_CODE_DIR:?}" "${HERD_LAB_NODE_MODULES:?}" "${HERD_LAB_VERSIONS_DIR:?}" "${HERD_LAB_CLUSTER_DIR:?}" "${HERD_LAB_BASE_SEED:?}"

# The upper layer lives on a tmpfs: overlayfs refuses an upper directory on the
# same file system as a lower layer that contains it, and a tmpfs is gone with the host.
# Its size is a limit, not an allocation: room for what a real node needs free (herd checks).
mnt=$host_dir/mnt
mount -t tmpfs -o size=8g,mode=755 herd-lab "$mnt"
mkdir -p "$mnt/upper" "$mnt/work" "$mnt/root"
mount -t overlay herd-lab -o "lowerdir=/,upperdir=$mnt/upper,workdir=$mnt/work" "$mnt/root"
root=$mnt/root
# A fresh VM knows only its distribution's package sources, and has no Kubernetes
# tools, whatever this machine added (the overlay records deletions as whiteouts).
rm -rf "$root/etc/apt/sources.list" "$root/etc/apt/sources.list.d" "$root/etc/apt/trusted.gpg" "$root"/etc/apt/keyrings/*
IFS=: read -r -a hidden <<<"${HERD_LAB_HIDE:-}"
for path in "${hidden[@]}"; do
  [ -n "$path" ] && rm -f "$root$path"
done
mkdir -p "$root/etc/apt/sources.list.d"
cp -a "$HERD_LAB_BASE_SEED/." "$root/"
cp -a "$host_dir/seed/." "$root/"

bind_ro() { # SOURCE TARGET
  mount --bind "$1" "$2"
  mount -o remount,bind,ro "$2"
}

# A proc of the host's own PID namespace; kernel tunables stay read-only so
# that nothing run inside can change the machine's kernel settings.
mount -t proc proc "$root/proc"
bind_ro "$root/proc/sys" "$root/proc/sys"
if [ -e "$root/proc/sysrq-trigger" ]; then bind_ro "$root/proc/sysrq-trigger" "$root/proc/sysrq-trigger"; fi
mount -t sysfs -o ro sysfs "$root/sys"

# A minimal /dev: no block devices, a private devpts for login terminals.
mount -t tmpfs -o mode=755,size=1m herd-lab-dev "$root/dev"
for dev in null zero full random urandom tty; do
  touch "$root/dev/$dev"
  mount --bind "/dev/$dev" "$root/dev/$dev"
done
mkdir -p "$root/dev/pts" "$root/dev/shm"
mount -t devpts -o newinstance,ptmxmode=0666,mode=620,gid=5 devpts "$root/dev/pts"
mount -t tmpfs -o mode=1777 herd-lab-shm "$root/dev/shm"
ln -s pts/ptmx "$root/dev/ptmx"
# A host on a fabric: calico-node gives its pods TUN devices.
if [ -n "${HERD_LAB_FABRIC:-}" ]; then
  mkdir -p "$root/dev/net"
  touch "$root/dev/net/tun"
  mount --bind /dev/net/tun "$root/dev/net/tun"
fi
ln -s /proc/self/fd "$root/dev/fd"
ln -s /proc/self/fd/0 "$root/dev/stdin"
ln -s /proc/self/fd/1 "$root/dev/stdout"
ln -s /proc/self/fd/2 "$root/dev/stderr"

mount -t tmpfs -o mode=755,size=256m herd-lab-run "$root/run"
mount -t tmpfs -o mode=1777,size=1g herd-lab-tmp "$root/tmp"

# The lab's plumbing: its code and the packages it imports (read-only), this host's journal and
# faults, the shared cluster state.
lib=$root/usr/local/lib/herd-lab
bind_ro "$HERD_LAB_CODE_DIR" "$lib/lab"
bind_ro "$HERD_LAB_NODE_MODULES" "$lib/node_modules"
bind_ro "$HERD_LAB_VERSIONS_DIR" "$lib/versions"
mkdir -p "$root/run/herd-lab/host" "$root/run/herd-lab/cluster" "$root/run/herd-lab/state" "$root/run/sshd"
mount --bind "$host_dir/io" "$root/run/herd-lab/host"
mount --bind "$HERD_LAB_CLUSTER_DIR" "$root/run/herd-lab/cluster"
# A bastion: the lab's isolated network, for the sshd its gateway starts per connection (ctl.sh).
if [ -n "${HERD_LAB_INNER_NETNS:-}" ]; then
  touch "$root/run/herd-lab/inner-net"
  mount --bind "$HERD_LAB_INNER_NETNS" "$root/run/herd-lab/inner-net"
  printf '%s\n%s\n' "$HERD_LAB_ADDRESS" "${HERD_LAB_NODE:?}" >"$root/run/herd-lab/gateway"
fi
# Paths the overlay cannot show because they sit on another file system (e.g. node's own directory).
IFS=: read -r -a extra_binds <<<"${HERD_LAB_EXTRA_BINDS:-}"
for path in "${extra_binds[@]}"; do
  [ -n "$path" ] || continue
  mkdir -p "$root$path"
  bind_ro "$path" "$root$path"
done

# Leave the machine's root behind for good: unlike chroot, nothing inside can climb back out.
mkdir "$root/.herd-lab-oldroot"
cd "$root"
pivot_root . .herd-lab-oldroot
cd /
umount -l /.herd-lab-oldroot
rmdir /.herd-lab-oldroot

hostname "$HERD_LAB_NAME"
# A cloud image's login user: key only, passwordless sudo. '*' rather than
# useradd's locked '!', which OpenSSH refuses when PAM is off.
useradd --create-home --user-group --shell /bin/bash --password '*' "$HERD_LAB_USER"
install -d -m 700 -o "$HERD_LAB_USER" -g "$HERD_LAB_USER" "/home/$HERD_LAB_USER/.ssh"
printf '%s\n' "$HERD_LAB_PUBKEY" >"/home/$HERD_LAB_USER/.ssh/authorized_keys"
chown "$HERD_LAB_USER:$HERD_LAB_USER" "/home/$HERD_LAB_USER/.ssh/authorized_keys"
chmod 600 "/home/$HERD_LAB_USER/.ssh/authorized_keys"

# The machine's own host keys show through the overlay; every lab host gets its own.
rm -f /etc/ssh/ssh_host_*
ssh-keygen -q -t ed25519 -N '' -C "root@$HERD_LAB_NAME" -f /etc/ssh/ssh_host_ed25519_key

/usr/local/lib/herd-lab/lab/sandbox/ctl.sh sshd-start
if [ -n "${HERD_LAB_FABRIC:-}" ]; then /usr/local/lib/herd-lab/lab/sandbox/ctl.sh calico-node-start "${HERD_LAB_NODE:?}"; fi

# Init of the PID namespace: block without spinning; bash reaps orphans as they exit.
mkfifo /run/herd-lab/init
exec 3<>/run/herd-lab/init
while :; do read -r -u 3 _ || true; done
