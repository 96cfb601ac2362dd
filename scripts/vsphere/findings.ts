/** Something a check found, at the YAML path of the environment file it is about. */
export interface Finding {
  readonly path: readonly PropertyKey[];
  readonly message: string;
}

/** What one check found: problems stop the deploy, warnings are printed and let it go on. */
export interface CheckResult {
  readonly problems: Finding[];
  readonly warnings: Finding[];
}
