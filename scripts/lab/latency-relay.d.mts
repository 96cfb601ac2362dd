export function startRelay(options: { rttMs: number; port: number; targetPort: number; addresses: readonly string[] }): Promise<() => Promise<void>>;
