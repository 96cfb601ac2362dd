import { visible } from './messages.ts';

/** One problem in an environment file, located the way an editor needs it. */
export interface ConfigIssue {
  readonly file: string;
  /** YAML path in the operator's notation, e.g. calico.bgp.peers[0].asNumber */
  readonly path: string;
  readonly line?: number;
  readonly message: string;
}

export class ConfigError extends Error {
  readonly issues: readonly ConfigIssue[];

  constructor(issues: readonly ConfigIssue[]) {
    super(issues.map(formatIssue).join('\n'));
    this.name = 'ConfigError';
    this.issues = issues;
  }
}

export function formatIssue(issue: ConfigIssue): string {
  const where = issue.line === undefined ? issue.file : `${issue.file}:${issue.line}`;
  return `${where}: ${issue.path || '(top level)'}: ${issue.message}`;
}

export function formatPath(path: readonly PropertyKey[]): string {
  return path
    .map((key, i) => (typeof key === 'number' ? `[${key}]` : i === 0 ? visible(String(key)) : `.${visible(String(key))}`))
    .join('');
}
