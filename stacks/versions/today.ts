/** Today as YYYY-MM-DD (UTC); HERD_TODAY overrides it, so that a test or an operator can ask "what will have aged out by then". */
export function today(env: NodeJS.ProcessEnv = process.env): string {
  const given = env['HERD_TODAY'];
  if (given !== undefined && given !== '') {
    if (!/^\d{4}-\d{2}-\d{2}$/.test(given) || Number.isNaN(Date.parse(given))) throw new Error(`HERD_TODAY must be a date YYYY-MM-DD, not "${given}"`);
    return given;
  }
  return new Date().toISOString().slice(0, 10);
}
