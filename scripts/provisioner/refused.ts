/**
 * A run that stopped before it touched anything, on any host or in any
 * state: bad input, an unreachable host, a changed host key, a host that
 * cannot serve, a held lock, an unsafe change. The CLI exits 2 for all of
 * them (README, "Exit codes"); Terraform's destroy hooks fail, so the machine
 * stays.
 */
export class NothingChangedError extends Error {
  override name = 'NothingChangedError';
}

/** A change herd will not make, decided before anything was touched. */
export class RefusedError extends NothingChangedError {
  override name = 'RefusedError';
  constructor(message: string) {
    super(`${message}\nNothing was changed.`);
  }
}
