/** R2 takes one write a second per key: a second write within it fails (429, error 10058). */
export const WRITE_INTERVAL_MS = 1000;
/**
 * R2 stamps `uploaded` by its own clock and the Worker waits by its own: a write timed to exactly
 * one second after the last can land a few milliseconds early. The margin absorbs that skew.
 */
export const CLOCK_SKEW_MS = 100;

/** Waits until a key last written at `lastWrite` (R2's `uploaded`) takes another write; `now` by the caller's clock. */
export async function waitForWriteSlot(lastWrite: Date, now: number = Date.now()): Promise<void> {
  const slot = WRITE_INTERVAL_MS + CLOCK_SKEW_MS;
  const wait = Math.min(slot, lastWrite.getTime() + slot - now);
  if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
}
