/**
 * Test-only Worker entry: the real Worker (createWorker) with a clock the test sets and an R2
 * METADATA bucket whose writes can be made to fail. Controlled through /__test/* routes; never
 * deployed (wrangler.toml's main is worker/index.ts).
 */
import { createWorker } from "../../worker/index.js";
import { createBinShard } from "../../worker/publish/bin-shards.js";
import { createSequencer } from "../../worker/publish/sequencer.js";
import type { Env } from "../../worker/env.js";
import { R2Rules } from "./r2-rules.js";

let offsetMs = 0;
/** The sequencer's retry delays times this (POST /__test/sequencer {retryScale}): 1 as deployed. */
let retryScale = 1;
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
/**
 * R2's production rules (r2-rules.ts) on METADATA, on the Worker's clock: a test that moves the
 * clock ahead has let that much time pass for R2 too. Refusals are listed by /__test/faults.
 */
const rules = new R2Rules(() => Date.now() + offsetMs);

/** Whether a conditional put would be applied: R2 counts only writes that happen (r2-rules.ts). */
async function applies(bucket: R2Bucket, key: string, options: R2PutOptions | undefined): Promise<boolean> {
  const onlyIf = options?.onlyIf as R2Conditional | undefined;
  if (!onlyIf) return true;
  const etag = (await bucket.head(key))?.etag;
  if (onlyIf.etagDoesNotMatch !== undefined && etag !== undefined && (onlyIf.etagDoesNotMatch === "*" || onlyIf.etagDoesNotMatch === etag)) return false;
  if (onlyIf.etagMatches !== undefined && (etag === undefined || (onlyIf.etagMatches !== "*" && onlyIf.etagMatches !== etag))) return false;
  return true;
}

/**
 * R2's clock is the Worker's here: an object's `uploaded` is shifted by the clock offset in force
 * when it was written (by key; objects the test wrote itself are not shifted). Otherwise a Worker
 * whose clock a test moved ahead would compare its own time with R2's real one, and think a second
 * had passed since a write made a moment ago.
 */
const writtenAtOffset = new Map<string, number>();

function onR2Clock<T extends R2Object | null>(object: T): T {
  const shift = object ? (writtenAtOffset.get(object.key) ?? 0) : 0;
  if (!object || shift === 0) return object;
  return new Proxy(object, {
    get(target, prop) {
      if (prop === "uploaded") return new Date(target.uploaded.getTime() + shift);
      const value = Reflect.get(target, prop);
      return typeof value === "function" ? value.bind(target) : value;
    },
  });
}

/** A put under R2's rules: refused as R2 would when it is the key's second write within a second. */
async function rulePut(bucket: R2Bucket, key: string, rest: unknown[]): Promise<unknown> {
  if (await applies(bucket, key, rest[1] as R2PutOptions | undefined)) rules.checkPut(key);
  const result = (await (bucket.put as (...a: unknown[]) => Promise<R2Object | null>)(key, ...rest));
  if (result === null) return result;
  writtenAtOffset.set(key, offsetMs);
  const stamped = onR2Clock(result);
  rules.wrote(key, stamped.uploaded.getTime());
  return stamped;
}

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
        return (key: string, ...rest: unknown[]) => checkWrite(key, () => rulePut(target, key, rest));
      }
      if (prop === "delete") {
        return (key: string | string[]) => {
          rules.checkDelete(key);
          return checkWrite(key, () => target.delete(key));
        };
      }
      if (prop === "get" || prop === "head") {
        return async (key: string, ...rest: unknown[]) => onR2Clock(await (target[prop] as (...a: unknown[]) => Promise<R2Object | null>)(key, ...rest));
      }
      if (prop === "list") {
        return async (options?: R2ListOptions) => {
          const listed = await target.list(options);
          return { ...listed, objects: listed.objects.map(onR2Clock) };
        };
      }
      const value = Reflect.get(target, prop);
      return typeof value === "function" ? value.bind(target) : value;
    },
  });
}

/**
 * Every message the Worker sends to UPLOADS, in order, for a test that runs the consumer itself
 * (startWorker({ queueConsumer: false })): it sees what was queued, and delivers it when it chooses.
 */
let sent: unknown[] = [];

function recorded(queue: Queue): Queue {
  return {
    ...queue,
    send: (body: unknown, options?: QueueSendOptions) => {
      sent.push(body);
      return queue.send(body, options);
    },
    sendBatch: (messages: Iterable<MessageSendRequest>, options?: QueueSendBatchOptions) => {
      const list = [...messages];
      sent.push(...list.map((m) => m.body));
      return queue.sendBatch(list, options);
    },
  } as Queue;
}

const wrapEnv = (env: Env): Env => ({
  ...env,
  METADATA: faulty(env.METADATA),
  UPLOADS: queueDown ? { ...env.UPLOADS, send: () => Promise.reject(new Error("injected queue failure")) } : recorded(env.UPLOADS),
});

const worker = createWorker({ clock: () => Date.now() + offsetMs, wrapEnv });

/** The writer's shards write through the same faulty bucket: a crash at each write includes theirs. */
export const BinShard = createBinShard(wrapEnv);
/** The sequencer too, on the test's clock: its commits write through the faulty bucket. */
export const Sequencer = createSequencer(wrapEnv, () => Date.now() + offsetMs, () => retryScale);

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
    return Response.json({ writes, failures, log, r2RuleViolations: rules.violations });
  }
  if (url.pathname === "/__test/queue") {
    // The messages sent since the last call.
    const taken = sent;
    sent = [];
    return Response.json({ sent: taken });
  }
  if (url.pathname === "/__test/sequencer") {
    if (typeof body.retryScale === "number") retryScale = body.retryScale;
    return Response.json({ retryScale });
  }
  if (url.pathname === "/__test/r2-rules") {
    const violations = [...rules.violations];
    if (body.reset === true) rules.reset();
    return Response.json({ violations });
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
