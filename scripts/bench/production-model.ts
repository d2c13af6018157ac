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
  readonly kind: "fetch" | "queue" | "scheduled";
  /** The request path, the queue name, or the cron. */
  readonly what: string;
  /** Epoch ms (workerd's clock advances during execution locally, so these bound the invocation). */
  readonly start: number;
  end: number;
  subrequests: number;
  /** Subrequests by binding, method and key shape, e.g. "METADATA.put metadata/N.bins-*.json". */
  readonly ops: Record<string, number>;
  /** The order calls were made in, consecutive calls of one op merged: the invocation's critical path. */
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

const SEQUENCE_CAP = 400;
const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** A key's shape: version numbers and hex (bin suffixes, hashes, ids) elided. */
export const keyShape = (key: unknown) =>
  typeof key === "string" ? key.replace(/[0-9a-f]{4,}/g, "*").replace(/\d+/g, "N") : Array.isArray(key) ? `[${key.length} keys]` : "";

/** One invocation's slots and counts. */
export class Invocation {
  readonly record: InvocationRecord;
  private inFlight = 0;
  private readonly waiters: (() => void)[] = [];
  /** Slots held only by bodies not yet read, oldest first, each with its release. */
  private readonly idleBodies: (() => void)[] = [];
  private outstanding = 0;
  private outstandingSince = 0;

  constructor(id: number, kind: InvocationRecord["kind"], what: string, private readonly o: Required<ModelOptions>) {
    this.record = {
      id, kind, what, start: Date.now(), end: 0, subrequests: 0, ops: {}, sequence: [], maxInFlight: 0,
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

  private track(delta: 1 | -1) {
    if (delta === 1 && this.outstanding++ === 0) this.outstandingSince = Date.now();
    if (delta === -1 && --this.outstanding === 0) this.record.storageMs += Date.now() - this.outstandingSince;
  }

  /**
   * One subrequest: counted, then run in a slot after `latency` ms. With `holdBody`, an R2 object
   * body returned keeps its slot until it is read (arrayBuffer, text, json, blob; `body` counts as
   * read when taken), as the connection stays open on the platform.
   */
  async call<T>(op: string, latency: number, run: () => Promise<T>, holdBody = false): Promise<T> {
    this.count(op);
    this.track(1);
    let result: T;
    try {
      await this.acquire();
      if (latency > 0) await sleep(latency);
      result = await run();
    } catch (e) {
      this.release();
      this.track(-1);
      throw e;
    }
    this.track(-1);
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
const isR2Bucket = (x: any) => ["get", "put", "head", "list", "delete"].every((m) => typeof x[m] === "function");
const isDurableObjectNamespace = (x: any) => typeof x.idFromName === "function" && typeof x.get === "function";
/** Whether `x` has a method of its own or of its prototypes below Object's: a binding, not a var. */
function hasMethods(x: unknown): x is object {
  for (let o = x; typeof o === "object" && o !== null && o !== Object.prototype; o = Object.getPrototypeOf(o)) {
    if (Object.getOwnPropertyNames(o).some((k) => k !== "constructor" && typeof Object.getOwnPropertyDescriptor(o, k)?.value === "function")) return true;
  }
  return false;
}
/** Methods of bindings that return at once and make no subrequest. */
const LOCAL_METHODS = new Set(["idFromName", "idFromString", "newUniqueId", "jurisdiction", "resumeMultipartUpload", "writeDataPoint"]);
/** Properties of a Durable Object stub that are not calls. */
const STUB_FIELDS = new Set(["id", "name", "then", "toJSON", "constructor"]);

/** Every method of `binding` a counted subrequest, except the local ones. */
function wrapMethods<T extends object>(binding: T, name: string, inv: Invocation, latency: number, r2: boolean): T {
  return new Proxy(binding, {
    get(target, prop) {
      const value = Reflect.get(target, prop);
      if (typeof value !== "function" || typeof prop !== "string" || LOCAL_METHODS.has(prop)) {
        return typeof value === "function" ? value.bind(target) : value;
      }
      return (...args: unknown[]) =>
        inv.call(`${name}.${prop}${r2 ? ` ${keyShape(args[0])}` : ""}`, latency, () => Promise.resolve(value.apply(target, args)), r2 && prop === "get");
    },
  });
}

/** A Durable Object stub: fetch and every RPC method are subrequests of the calling invocation. */
function wrapStub<T extends object>(stub: T, name: string, inv: Invocation, latency: number): T {
  return new Proxy(stub, {
    get(target, prop) {
      const value = Reflect.get(target, prop);
      if (typeof prop !== "string" || STUB_FIELDS.has(prop) || typeof value !== "function") return value;
      return (...args: unknown[]) => inv.call(`${name}.stub.${prop}`, latency, () => Promise.resolve(value.apply(target, args)));
    },
  });
}

function wrapNamespace<T extends object>(ns: T, name: string, inv: Invocation, latency: number): T {
  return new Proxy(ns, {
    get(target, prop) {
      const value = Reflect.get(target, prop);
      if (typeof value !== "function") return value;
      if (prop === "get" || prop === "getByName") return (...args: unknown[]) => wrapStub(value.apply(target, args), name, inv, latency);
      return value.bind(target);
    },
  });
}

/**
 * `env` with every binding wrapped for this invocation. A binding is any object with methods (vars
 * are strings or plain JSON): R2 buckets, queues, Durable Object namespaces, and
 * whatever is added later, so new bindings are counted without a change here.
 */
export function wrapBindings<E extends object>(env: E, inv: Invocation, o: Required<ModelOptions>): E {
  const out = { ...env } as Record<string, unknown>;
  for (const [name, value] of Object.entries(env)) {
    if (!hasMethods(value)) continue;
    if (isR2Bucket(value)) out[name] = wrapMethods(value, name, inv, o.latencyMs, true);
    else if (isDurableObjectNamespace(value)) out[name] = wrapNamespace(value, name, inv, o.otherLatencyMs);
    else out[name] = wrapMethods(value, name, inv, o.otherLatencyMs, false);
  }
  return out as E;
}

/** The model for one Worker (isolate): starts invocations and keeps their records for the bench. */
export class ProductionModel {
  readonly options: Required<ModelOptions>;
  private records: InvocationRecord[] = [];
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
    this.records.push(inv.record);
    if (this.records.length > 20_000) this.records.splice(0, this.records.length - 10_000);
    try {
      const result = await run(inv);
      inv.finish();
      return result;
    } catch (e) {
      inv.finish(e);
      throw e;
    }
  }

  wrap<E extends object>(env: E, inv: Invocation): E {
    inv.record.wrapCalls++;
    return wrapBindings(env, inv, this.options);
  }

  /** Finished records (and, with `all`, those still running), then forgets the finished ones when `take`. */
  invocations({ take = false } = {}): InvocationRecord[] {
    const done = this.records.filter((r) => r.end > 0);
    if (take) this.records = this.records.filter((r) => r.end === 0);
    return done;
  }
}
