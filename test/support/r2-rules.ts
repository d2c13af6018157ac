/**
 * R2's production rules that the local simulator does not enforce, for the test doubles (the
 * in-memory bucket and the fault-injecting Worker entry), so that a writer that breaks them fails
 * a test instead of a deployment:
 * - a delete takes at most 1,000 keys;
 * - one key takes at most one write a second (R2 answers 429, error 10058, to the second one).
 * Only a put that is applied is checked and counted: a conditional put whose condition fails
 * writes nothing (whether R2 counts it against the limit is not documented; the writer's lost
 * races and taken version names are such puts). Deletes are bounded by their count only.
 */
export const MAX_DELETE_KEYS = 1000;
export const WRITE_INTERVAL_MS = 1000;

export class R2RuleError extends Error {}

export class R2Rules {
  /** When each key was last written, by `clock`. */
  private readonly lastWrite = new Map<string, number>();
  /** Each refusal, for a test that wants to see what broke the rule. */
  readonly violations: string[] = [];

  constructor(private readonly clock: () => number = Date.now) {}

  /** Throws (as R2 would) when this put would be the key's second write within a second. */
  checkPut(key: string): void {
    const last = this.lastWrite.get(key);
    const now = this.clock();
    // A test that moved the clock back before the last write has left R2's time: not judged.
    if (last !== undefined && now >= last && now - last < WRITE_INTERVAL_MS) {
      const message = `put ${key}: Reduce your concurrent request rate for the same object. (10058): written ${now - last} ms after the previous write (R2 allows one write a second per key)`;
      this.violations.push(message);
      throw new R2RuleError(message);
    }
  }

  /**
   * Records a put that was applied, at `uploaded`: R2's own stamp of the write, which is what a
   * writer reads back and times its next write by (the local simulator stamps a put when it starts,
   * which under load can be well before it completes).
   */
  wrote(key: string, uploaded: number = this.clock()): void {
    this.lastWrite.set(key, uploaded);
  }

  checkDelete(keys: string | readonly string[]): void {
    const count = typeof keys === "string" ? 1 : keys.length;
    if (count > MAX_DELETE_KEYS) {
      const message = `delete: ${count} keys in one call; R2 takes at most ${MAX_DELETE_KEYS}`;
      this.violations.push(message);
      throw new R2RuleError(message);
    }
  }

  reset(): void {
    this.lastWrite.clear();
    this.violations.length = 0;
  }
}
