import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { CliError } from "../errors.js";
import { type Answer, printAnswer, request } from "../http.js";
import type { Io } from "../io.js";
import type { RequestState, TargetRejection } from "./state.js";

/** Reasons kept per request in the state file; the server keeps them all (GET /v1/uploads/{id}). */
const KEEP_REASONS = 10;
const POLL_MS = 250;
/** A request may wait behind others in the queue: give up only after this long. */
const PUBLISH_TIMEOUT_MS = 30 * 60_000;
const ATTEMPTS = 4;

export interface SendOptions {
  readonly url: string;
  readonly token: string;
  readonly workDir: string;
  /** Requests posted and not yet published, at most. */
  readonly concurrency: number;
  /** Stop after sending this many requests (debugging, tests): the rest is left for a rerun. */
  readonly maxRequests?: number;
  readonly signal?: AbortSignal;
  /** After a POST is accepted, before its id is recorded (tests interrupt here). */
  readonly onPosted?: (r: RequestState) => void;
  /** After a request changed: its id recorded, or it was published or failed. Saves the state. */
  readonly onChange: (r: RequestState) => Promise<void>;
}

const quiet: Io = { env: {}, out() {}, err() {}, progress() {}, readSecret: () => Promise.reject(new Error("no terminal")) };
/** printAnswer's one-line CliError for a 4xx/5xx, naming the URL and the server's `error`. */
const failUnlessOk = (answer: Answer) => {
  if (!answer.ok) printAnswer(quiet, answer);
};

const uploadState = (url: string, id: string) => request(`${url}/v1/uploads/${encodeURIComponent(id)}`);

const sleep = (ms: number, signal?: AbortSignal) =>
  new Promise<void>((resolve, reject) => {
    const onAbort = () => {
      clearTimeout(t);
      reject(signal!.reason);
    };
    const t = setTimeout(() => {
      signal?.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    signal?.addEventListener("abort", onAbort, { once: true });
  });

/** A network failure or 5xx is retried with back-off; a 4xx is the answer. */
async function withRetries(what: () => Promise<Answer>, signal?: AbortSignal): Promise<Answer> {
  for (let attempt = 1; ; attempt++) {
    signal?.throwIfAborted();
    try {
      const answer = await what();
      if (answer.status < 500 || attempt === ATTEMPTS) return answer;
    } catch (e) {
      if (!(e instanceof CliError) || attempt === ATTEMPTS) throw e;
    }
    await sleep(1000 * 2 ** (attempt - 1), signal);
  }
}

type Outcome = { state: "queued" } | { state: "gone" } | { state: "published"; snapshotVersion: number; rejected: TargetRejection[] } | { state: "failed"; reason: string };

function outcome(answer: Answer): Outcome {
  if (answer.status === 404) return { state: "gone" };
  failUnlessOk(answer);
  const body = answer.body as { state?: string; snapshotVersion?: number; rejected?: TargetRejection[] };
  if (body.state === "queued") return { state: "queued" };
  if (body.state === "published") return { state: "published", snapshotVersion: body.snapshotVersion!, rejected: body.rejected ?? [] };
  const first = body.rejected?.[0];
  return { state: "failed", reason: first ? `${first.path}: ${first.reason}` : `state ${String(body.state)}` };
}

async function waitForPublish(o: SendOptions, id: string): Promise<Outcome> {
  const deadline = Date.now() + PUBLISH_TIMEOUT_MS;
  for (;;) {
    const result = outcome(await withRetries(() => uploadState(o.url, id), o.signal));
    if (result.state !== "queued") return result;
    if (Date.now() > deadline) throw new CliError(`import request ${id} is still queued after ${PUBLISH_TIMEOUT_MS / 60_000} minutes; run again later to resume`);
    await sleep(POLL_MS, o.signal);
  }
}

async function post(o: SendOptions, r: RequestState): Promise<string> {
  const body = await readFile(join(o.workDir, r.file));
  const answer = await withRetries(
    () => request(`${o.url}/v1/admin/import`, { method: "POST", body, headers: { "content-type": "application/json", authorization: `Bearer ${o.token}` } }),
    o.signal,
  );
  failUnlessOk(answer);
  const id = (answer.body as { id?: unknown }).id;
  if (typeof id !== "string") throw new CliError(`${answer.url} answered without an upload id`);
  return id;
}

/** Sends one request (or finds the one sent before) and waits until it is published. */
async function send(o: SendOptions, r: RequestState): Promise<void> {
  let result: Outcome = { state: "gone" };
  if (r.id && !r.failed) result = await waitForPublish(o, r.id);
  if (result.state === "gone" || result.state === "failed") {
    const id = await post(o, r);
    o.onPosted?.(r);
    o.signal?.throwIfAborted();
    r.id = id;
    delete r.failed;
    await o.onChange(r);
    result = await waitForPublish(o, id);
  }
  if (result.state === "published") {
    r.done = true;
    r.snapshotVersion = result.snapshotVersion;
    r.rejected = result.rejected.length;
    r.reasons = result.rejected.slice(0, KEEP_REASONS);
  } else if (result.state === "failed") {
    r.failed = result.reason;
  }
  await o.onChange(r);
}

/**
 * Sends the requests not done yet, `concurrency` at a time, each waiting until it is published.
 * A request POSTed before whose id was recorded is looked up rather than sent again; one whose id
 * was not recorded is sent again, which the server treats as a no-op for targets already published.
 * Returns the number of requests sent or looked up in this run.
 */
export async function sendRequests(requests: RequestState[], o: SendOptions): Promise<number> {
  const todo = requests.filter((r) => !r.done).slice(0, o.maxRequests ?? Infinity);
  let next = 0;
  let stop = false;
  const worker = async () => {
    while (!stop && next < todo.length) {
      const r = todo[next++]!;
      try {
        await send(o, r);
      } catch (e) {
        stop = true;
        throw e;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(o.concurrency, todo.length) }, worker));
  return todo.length;
}
