// Types of the latency relay (latency-relay.mjs), which tests start in-process.
export function startRelay(options: { rttMs: number; port: number; targetPort: number; addresses: readonly string[] }): Promise<() => Promise<void>>;
