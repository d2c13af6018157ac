/**
 * Test-only Worker entry: the real Worker (createWorker) with a clock the test sets and an R2
 * METADATA bucket whose writes can be made to fail. Controlled through /__test/* routes; never
 * deployed (wrangler.toml's main is worker/index.ts).
 */
import { createWorker } from "../../worker/index.js";
import { createBinShard } from "../../worker/publish/bin-shards.js";
import type { Env } from "../../worker/env.js";

let offsetMs = 0;
/** Writes (put, delete) counted from the moment faults were armed. */
let writes = 0;
/** Fail the writes whose 1-based number is in this set; name filter optional. */
let failing = new Set<number>();
let failingKeys: RegExp | null = null;
/** Whether a failing write lands in R2 before the error (a crash after the write) or not at all. */
let landed = false;
let failures = 0;
let log: string[] = [];
/** Whether UPLOADS.send fails (the queue unavailable). */
let queueDown = false;

/** Runs `write` unless it is one of the writes chosen to fail. */
async function checkWrite<T>(key: string | string[], write: () => Promise<T>): Promise<T> {
  const name = Array.isArray(key) ? key.join(",") : key;
  if (failingKeys && !failingKeys.test(name)) return write();
  writes++;
  log.push(name);
  if (!failing.has(writes)) return write();
  failures++;
  if (landed) await write();
  throw new Error(`injected R2 write failure #${writes} (${name})`);
}

function faulty(bucket: R2Bucket): R2Bucket {
  return new Proxy(bucket, {
    get(target, prop) {
      if (prop === "put") {
        return (key: string, ...rest: unknown[]) =>
          checkWrite(key, () => (target.put as (...a: unknown[]) => Promise<unknown>)(key, ...rest));
      }
      if (prop === "delete") {
        return (key: string | string[]) => checkWrite(key, () => target.delete(key));
      }
      const value = Reflect.get(target, prop);
      return typeof value === "function" ? value.bind(target) : value;
    },
  });
}

const wrapEnv = (env: Env): Env => ({
  ...env,
  METADATA: faulty(env.METADATA),
  UPLOADS: queueDown ? { ...env.UPLOADS, send: () => Promise.reject(new Error("injected queue failure")) } : env.UPLOADS,
});

const worker = createWorker({ clock: () => Date.now() + offsetMs, wrapEnv });

/** The writer's shards write through the same faulty bucket: a crash at each write includes theirs. */
export const BinShard = createBinShard(wrapEnv);

async function control(request: Request): Promise<Response> {
  const url = new URL(request.url);
  const body = request.method === "POST" ? ((await request.json()) as Record<string, unknown>) : {};
  if (url.pathname === "/__test/clock") {
    if (typeof body.offsetMs === "number") offsetMs = body.offsetMs;
    return Response.json({ offsetMs, now: Date.now() + offsetMs });
  }
  if (url.pathname === "/__test/faults") {
    if (Array.isArray(body.fail)) {
      failing = new Set(body.fail as number[]);
      failingKeys = typeof body.keys === "string" ? new RegExp(body.keys) : null;
      landed = body.landed === true;
      queueDown = body.queueDown === true;
      writes = 0;
      failures = 0;
      log = [];
    }
    return Response.json({ writes, failures, log });
  }
  return Response.json({ error: "unknown test control" }, { status: 404 });
}

export default {
  ...worker,
  fetch(request: Request, env: Env, ctx: ExecutionContext) {
    if (new URL(request.url).pathname.startsWith("/__test/")) return control(request);
    return worker.fetch(request, env, ctx);
  },
};
