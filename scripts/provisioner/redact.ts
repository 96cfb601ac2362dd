/**
 * Replaces every secret value the run knows with a marker before any text
 * reaches a terminal, a log file or an error message.
 */
export class Redactor {
  private readonly secrets = new Set<string>();

  add(value: string): void {
    if (value !== '') this.secrets.add(value);
  }

  redact(text: string): string {
    let out = text;
    // Longest first, so a secret that contains another is replaced whole.
    for (const secret of [...this.secrets].sort((a, b) => b.length - a.length)) out = out.split(secret).join('[redacted]');
    return out;
  }
}
