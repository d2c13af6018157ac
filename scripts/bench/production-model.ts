/**
 * The production model (issue 20): the Worker's bindings wrapped so that a local run in workerd
 * behaves, where storage is concerned, as the platform does in 2026 (shared/design/workers-stack.md):
 * - every R2 call takes `latencyMs` (default 30 ms) more, as R2 across the network would;
 * - an invocation has at most 6 subrequests in flight; R2 calls, Durable Object calls and queue
 *   sends all take a slot, held until the call resolves (for an R2 get, until its body is read);
 *   a seventh waits for a free slot, as on the platform;
 * - every subrequest is counted per invocation, against the 10,000 an invocation may make.
 * Runtime-agnostic (no workerd or Node API): the bench's Worker entry uses it in workerd
 * (production-model-worker.ts), and tests can wrap any env with it.
 */
import { keyShape, wrapBindings } from "./production-model-bindings.js";

export { keyShape, wrapBindings };

export interface ModelOptions {
  /** Added to every R2 call (default 30 ms). */
  latencyMs?: number;
  /** Added to every other subrequest: queue sends, Durable Object calls (default 0: counted, not delayed). */
  otherLatencyMs?: number;
  /** Subrequests in flight per invocation (platform: 6). */
  maxInFlight?: number;
}

/** The platform's defaults per invocation (paid plan, 2026). */
export const PLATFORM_LIMITS = { inFlight: 6, subrequests: 10_000, cpuMs: 30_000, memoryMb: 128 } as const;

export interface InvocationRecord {
  readonly id: number;
  readonly kind: "fetch" | "queue" | "scheduled" | "alarm";
  /** The request path, the queue name, or the cron. */
  readonly what: string;
  /** Epoch ms (workerd's clock advances during execution locally, so these bound the invocation). */
  readonly start: number;
  end: number;
  subrequests: number;
  /** Subrequests by binding, method and key shape, e.g. "METADATA.put metadata/N.bins-*.json". */
  readonly ops: Record<string, number>;
  /** Per op, the wall time during which at least one call of it was outstanding: where the time went. */
  readonly opMs: Record<string, number>;
  /** The order calls were made in, consecutive calls of one op merged (the first 100 runs). */
  readonly sequence: { op: string; count: number }[];
  maxInFlight: number;
  /** Total time calls waited for a free slot, ms. */
  queuedMs: number;
  /** Wall time during which at least one call was outstanding (waiting or in flight), ms. */
  storageMs: number;
  /** Unread bodies whose slot was taken back because every slot was idle (the platform's deadlock breaker). */
  cancelledBodies: number;
  /** How many times createWorker's wrapEnv ran for this invocation: 1, or the wrapping is wrong. */
  wrapCalls: number;
  error?: string;
}

const SEQUENCE_CAP = 100;
const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** One invocation's slots and counts. */
export class Invocation {
  readonly record: InvocationRecord;
  private inFlight = 0;
  private readonly waiters: (() => void)[] = [];
  /** Slots held only by bodies not yet read, oldest first, each with its release. */
  private readonly idleBodies: (() => void)[] = [];
  private outstanding = 0;
  private outstandingSince = 0;
  private readonly perOp = new Map<string, { outstanding: number; since: number }>();

  constructor(id: number, kind: InvocationRecord["kind"], what: string, private readonly o: Required<ModelOptions>) {
    this.record = {
      id, kind, what, start: Date.now(), end: 0, subrequests: 0, ops: {}, opMs: {}, sequence: [], maxInFlight: 0,
      queuedMs: 0, storageMs: 0, cancelledBodies: 0, wrapCalls: 0,
    };
  }

  finish(error?: unknown) {
    this.record.end = Date.now();
    if (error !== undefined) this.record.error = String(error);
  }

  private count(op: string) {
    const r = this.record;
    r.subrequests++;
    r.ops[op] = (r.ops[op] ?? 0) + 1;
    const last = r.sequence.at(-1);
    if (last?.op === op) last.count++;
    else if (r.sequence.length < SEQUENCE_CAP) r.sequence.push({ op, count: 1 });
  }

  private async acquire() {
    if (this.inFlight < this.o.maxInFlight) {
      this.inFlight++;
    } else {
      const t = Date.now();
      const granted = new Promise<void>((resolve) => this.waiters.push(resolve));
      this.breakDeadlock();
      await granted; // the slot is handed over by release(): inFlight stays counted
      this.record.queuedMs += Date.now() - t;
    }
    this.record.maxInFlight = Math.max(this.record.maxInFlight, this.inFlight);
  }

  private release() {
    const next = this.waiters.shift();
    if (next) next();
    else this.inFlight--;
  }

  /** As the platform does: when calls wait and every open slot is an unread body, cancel the oldest. */
  private breakDeadlock() {
    if (this.waiters.length > 0 && this.idleBodies.length > 0 && this.idleBodies.length >= this.inFlight) {
      this.record.cancelledBodies++;
      this.idleBodies.shift()!();
    }
  }

  private track(op: string, delta: 1 | -1) {
    const now = Date.now();
    if (delta === 1 && this.outstanding++ === 0) this.outstandingSince = now;
    if (delta === -1 && --this.outstanding === 0) this.record.storageMs += now - this.outstandingSince;
    const o = this.perOp.get(op) ?? { outstanding: 0, since: 0 };
    this.perOp.set(op, o);
    if (delta === 1 && o.outstanding++ === 0) o.since = now;
    if (delta === -1 && --o.outstanding === 0) this.record.opMs[op] = (this.record.opMs[op] ?? 0) + now - o.since;
  }

  /**
   * One subrequest: counted, then run in a slot after `latency` ms. With `holdBody`, an R2 object
   * body returned keeps its slot until it is read (arrayBuffer, text, json, blob; `body` counts as
   * read when taken), as the connection stays open on the platform.
   */
  async call<T>(op: string, latency: number, run: () => Promise<T>, holdBody = false): Promise<T> {
    this.count(op);
    this.track(op, 1);
    let result: T;
    try {
      await this.acquire();
      if (latency > 0) await sleep(latency);
      result = await run();
    } catch (e) {
      this.release();
      this.track(op, -1);
      throw e;
    }
    this.track(op, -1);
    if (!holdBody || !hasBody(result)) {
      this.release();
      return result;
    }
    return this.holdUntilRead(result) as T;
  }

  private holdUntilRead(object: R2ObjectBody): R2ObjectBody {
    let released = false;
    const release = () => {
      if (released) return;
      released = true;
      const i = this.idleBodies.indexOf(release);
      if (i >= 0) this.idleBodies.splice(i, 1);
      this.release();
    };
    this.idleBodies.push(release);
    this.breakDeadlock();
    const readers = new Set(["arrayBuffer", "text", "json", "blob", "bytes"]);
    return new Proxy(object, {
      get: (target, prop) => {
        if (prop === "body") {
          release();
          return Reflect.get(target, prop);
        }
        const value = Reflect.get(target, prop);
        if (typeof value !== "function") return value;
        if (typeof prop !== "string" || !readers.has(prop)) return value.bind(target);
        return async (...args: unknown[]) => {
          // Reading: the slot is busy, no longer idle, until the bytes are in.
          const i = this.idleBodies.indexOf(release);
          if (i >= 0) this.idleBodies.splice(i, 1);
          try {
            return await (value as (...a: unknown[]) => Promise<unknown>).apply(target, args);
          } finally {
            release();
          }
        };
      },
    });
  }
}

const hasBody = (x: unknown): x is R2ObjectBody => typeof x === "object" && x !== null && typeof (x as R2ObjectBody).arrayBuffer === "function";

/** The model for one Worker (isolate): starts invocations and keeps their records for the bench. */
export class ProductionModel {
  readonly options: Required<ModelOptions>;
  /** Queue and cron invocations, all kept until taken: the writer's work. */
  private records: InvocationRecord[] = [];
  /**
   * Fetches (uploads, and the bench's many status polls) are kept as the last 1,000 and the one
   * with the most subrequests, so polling cannot crowd the writer's records out.
   */
  private fetches: InvocationRecord[] = [];
  private largestFetch: InvocationRecord | null = null;
  private nextId = 1;

  constructor(o: ModelOptions = {}) {
    this.options = { latencyMs: o.latencyMs ?? 30, otherLatencyMs: o.otherLatencyMs ?? 0, maxInFlight: o.maxInFlight ?? PLATFORM_LIMITS.inFlight };
  }

  configure(o: ModelOptions) {
    Object.assign(this.options, Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)));
  }

  /** Runs one invocation; `run` gets the env to pass on (or calls wrap itself through createWorker's wrapEnv). */
  async invoke<T>(kind: InvocationRecord["kind"], what: string, run: (inv: Invocation) => Promise<T>): Promise<T> {
    const inv = new Invocation(this.nextId++, kind, what, this.options);
    const keep = () => {
      if (kind !== "fetch") return;
      this.fetches.push(inv.record);
      if (this.fetches.length > 1_000) this.fetches.shift();
      if (!this.largestFetch || inv.record.subrequests > this.largestFetch.subrequests) this.largestFetch = inv.record;
    };
    if (kind !== "fetch") this.records.push(inv.record);
    try {
      const result = await run(inv);
      inv.finish();
      return result;
    } catch (e) {
      inv.finish(e);
      throw e;
    } finally {
      keep();
    }
  }

  wrap<E extends object>(env: E, inv: Invocation): E {
    inv.record.wrapCalls++;
    return wrapBindings(env, inv, this.options);
  }

  /** Queue and cron invocations still running. */
  running(): number {
    return this.records.filter((r) => r.end === 0).length;
  }

  /** The finished invocations kept (see `fetches`), oldest first; with `take`, forgotten after. */
  invocations({ take = false } = {}): InvocationRecord[] {
    const fetches = this.largestFetch && !this.fetches.includes(this.largestFetch) ? [this.largestFetch, ...this.fetches] : this.fetches;
    const done = [...this.records.filter((r) => r.end > 0), ...fetches].sort((a, b) => a.id - b.id);
    if (take) {
      this.records = this.records.filter((r) => r.end === 0);
      this.fetches = [];
      this.largestFetch = null;
    }
    return done;
  }
}
