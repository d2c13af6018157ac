/**
 * The production model's view of a Worker's bindings (see production-model.ts): which objects in
 * env are bindings, and which of their calls are subrequests of the invocation.
 */
/** What wrapping needs of an invocation: its slots (production-model.ts, Invocation.call). */
interface Invocation {
  call<T>(op: string, latency: number, run: () => Promise<T>, holdBody?: boolean): Promise<T>;
}

/** The latencies the wrapped calls take (production-model.ts, ModelOptions). */
interface Latencies {
  readonly latencyMs: number;
  readonly otherLatencyMs: number;
}

/** A key's shape: version numbers, bin suffixes, hashes and ids elided; package paths as one. */
export function keyShape(key: unknown): string {
  if (Array.isArray(key)) return `[${key.length} keys]`;
  if (typeof key !== "string") return "";
  if (key.startsWith("packages/")) return "packages/*";
  return key.replace(/bins-[0-9a-f]+/g, "bins-*").replace(/[0-9a-f]{8,}/g, "*").replace(/\d+/g, "N");
}

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
export function wrapBindings<E extends object>(env: E, inv: Invocation, o: Latencies): E {
  const out = { ...env } as Record<string, unknown>;
  for (const [name, value] of Object.entries(env)) {
    if (!hasMethods(value)) continue;
    if (isR2Bucket(value)) out[name] = wrapMethods(value, name, inv, o.latencyMs, true);
    else if (isDurableObjectNamespace(value)) out[name] = wrapNamespace(value, name, inv, o.otherLatencyMs);
    else out[name] = wrapMethods(value, name, inv, o.otherLatencyMs, false);
  }
  return out as E;
}
