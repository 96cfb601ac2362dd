// Types of the file helpers that the lab's TypeScript side shares with the simulators.
export function readJson<T>(path: string, fallback: T): T;
export function writeJson(path: string, value: unknown, mode?: number): void;
export function withLock<T>(path: string, fn: () => T): T;
