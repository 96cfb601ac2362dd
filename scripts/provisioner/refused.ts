/**
 * A change herd will not make, decided before anything was touched: the CLI
 * exits 2 (like bad input), and Terraform's destroy hooks fail, so the
 * machine stays.
 */
export class RefusedError extends Error {
  constructor(message: string) {
    super(`${message}\nNothing was changed.`);
    this.name = 'RefusedError';
  }
}
