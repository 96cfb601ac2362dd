/**
 * The login user of every lab host, as on a freshly cloned cloud image: key
 * login only, passwordless sudo. The account itself is made inside the host by
 * `useradd` (sandbox/enter.sh); this module owns its name rule and sudo rule.
 */

/** Debian's default NAME_REGEX for useradd. */
const USER_NAME = /^[a-z][-a-z0-9_]{0,31}$/;

export function checkUserName(user: string): void {
  if (!USER_NAME.test(user)) {
    throw new Error(`lab user "${user}" is not a valid Debian user name (lower-case letter, then letters, digits, "-" or "_")`);
  }
}

/** The sudoers drop-in cloud-init writes for the default user. */
export function sudoersFile(user: string): { path: string; content: string; mode: number } {
  return { path: `etc/sudoers.d/90-herd-lab-${user}`, content: `${user} ALL=(ALL) NOPASSWD:ALL\n`, mode: 0o440 };
}
