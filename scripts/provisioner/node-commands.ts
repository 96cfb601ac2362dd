// The shell that wraps herd's commands on a node, so that what a node runs
// stays right when herd itself is killed: the session drops, but the node's
// processes do not die with it.

/** Held by every command that changes a node, for as long as the command (not its daemons) runs. */
export const NODE_LOCK = '/run/herd/node.lock';

/** flock's exit code when the wait for the node lock runs out; no script of herd's exits with it. */
export const NODE_LOCK_TIMED_OUT = 75;

/**
 * `herd-node-lock WAIT HOLDER COMMAND…`: runs COMMAND holding the node lock,
 * so that a rerun after a killed herd waits for what the dead run left
 * running (an apt-get, a kubeadm join) instead of running beside it. The lock
 * is held by flock(1) itself (`-o`), so that daemons a command starts do not
 * inherit it. HOLDER is written next to the lock for the waiting run to name.
 */
const NODE_LOCK_WRAPPER = `lock=${NODE_LOCK}; wait=$1; holder=$2; shift 2
mkdir -p "\${lock%/*}" && chmod 700 "\${lock%/*}"
if ! flock -n "$lock" true; then
  printf 'herd: %s: waiting up to %s s for a step an earlier herd run left running here: %s\\n' "$(hostname)" "$wait" "$(cat "$lock.holder" 2>/dev/null || echo unknown)" >&2
fi
flock -w "$wait" -E ${NODE_LOCK_TIMED_OUT} -o "$lock" sh -c 'printf "%s\\n" "$0" >"$1"; shift; exec "$@"' "$holder" "$lock.holder" "$@"
rc=$?
if [ "$rc" -eq ${NODE_LOCK_TIMED_OUT} ]; then
  printf 'herd: %s still runs a step an earlier herd run started after waiting %s s: %s. Let it finish, or stop it on the node, then run again.\\n' "$(hostname)" "$wait" "$(cat "$lock.holder" 2>/dev/null || echo unknown)" >&2
fi
exit "$rc"`;

export function withNodeLock(argv: readonly string[], holder: string, waitSeconds: number): string[] {
  return ['bash', '-c', NODE_LOCK_WRAPPER, 'herd-node-lock', String(waitSeconds), holder, ...argv];
}

/**
 * Run detached (setsid, so that no kill of the command's process group ends
 * it) as `sh -c REAPER DIR BOUND TOKEN`: after BOUND seconds, removes DIR
 * unless DIR was made anew since (its token changed). It bounds a secret's
 * life on the node when the shell that placed it is killed before its own
 * cleanup runs, and takes the node lock first, so that it never removes what
 * a later run placed and is using.
 */
const REAPER = `sleep "$1"; exec flock ${NODE_LOCK} sh -c '[ "$(cat "$0/.herd-token" 2>/dev/null)" = "$1" ] && rm -rf "$0"' "$0" "$2"`;

const SECRET_DIR_SETUP = `umask 077
rm -rf "$dir" && mkdir -p "$dir" && chmod 700 "$dir"
token=$(od -An -N12 -tx1 /dev/urandom | tr -d ' \\n')
printf %s "$token" >"$dir/.herd-token"
trap 'rm -rf "$dir"' EXIT
setsid sh -c "$reaper" "$dir" "$bound" "$token" </dev/null >/dev/null 2>&1 &`;

/**
 * `herd-with-secrets DIR BOUND REAPER COMMAND…`, stdin one "NAME BASE64" line per
 * secret: places the secrets in DIR (0700, files 0600, exactly the value),
 * runs COMMAND, and removes DIR when the shell ends, or after BOUND seconds
 * if it is killed first.
 */
const WITH_SECRETS = `set -eu
dir=$1 bound=$2 reaper=$3; shift 3
${SECRET_DIR_SETUP}
while read -r name value; do
  [ -n "$name" ] && printf %s "$value" | base64 -d >"$dir/$name"
done
"$@"`;

export function withSecrets(argv: readonly string[], dir: string, boundSeconds: number): string[] {
  return ['bash', '-c', WITH_SECRETS, 'herd-with-secrets', dir, String(boundSeconds), REAPER, ...argv];
}

/** The stdin of withSecrets: base64, so that any byte of a value arrives as it is. */
export function secretsStdin(secrets: Readonly<Record<string, string>>): string {
  return Object.entries(secrets)
    .map(([name, value]) => `${name} ${Buffer.from(value, 'utf8').toString('base64')}\n`)
    .join('');
}

/**
 * `herd-collect DIR BOUND REAPER NAMES COMMAND…`: runs COMMAND, which leaves secrets
 * in DIR, and prints them as "NAME BASE64" lines on stdout (COMMAND's own
 * output goes to stderr), then removes DIR, at once or after BOUND seconds.
 */
const COLLECT = `set -eu
dir=$1 bound=$2 reaper=$3 names=$4; shift 4
${SECRET_DIR_SETUP}
"$@" >&2
for name in $(printf %s "$names" | tr , ' '); do
  printf '%s %s\\n' "$name" "$(base64 -w0 <"$dir/$name")"
done`;

export function collectingSecrets(argv: readonly string[], dir: string, names: readonly string[], boundSeconds: number): string[] {
  return ['bash', '-c', COLLECT, 'herd-collect', dir, String(boundSeconds), REAPER, names.join(','), ...argv];
}

export function parseCollected(stdout: string, names: readonly string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of stdout.split('\n')) {
    const [name, value] = line.split(' ');
    if (name !== undefined && value !== undefined && names.includes(name)) out[name] = Buffer.from(value, 'base64').toString('utf8');
  }
  const missing = names.filter((n) => !(n in out));
  if (missing.length > 0) throw new Error(`the node returned no ${missing.join(', ')}`);
  return out;
}
