import { CliError } from "./errors.js";

/** Calls `check` every `intervalMs` until it returns a value, or fails after `timeoutMs`. */
export async function pollUntil<T>(
  what: string,
  check: () => Promise<T | undefined>,
  { timeoutMs = 120_000, intervalMs = 1000, onWait }: { timeoutMs?: number; intervalMs?: number; onWait?: (elapsedMs: number) => void } = {},
): Promise<T> {
  const start = Date.now();
  for (;;) {
    const result = await check();
    if (result !== undefined) return result;
    const elapsed = Date.now() - start;
    if (elapsed >= timeoutMs) throw new CliError(`gave up waiting for ${what} after ${Math.round(elapsed / 1000)}s`);
    onWait?.(elapsed);
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}
