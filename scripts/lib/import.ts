import { existsSync } from "node:fs";
import { mkdir, rm } from "node:fs/promises";
import { resolve } from "node:path";
import { CliError } from "./errors.js";
import { request } from "./http.js";
import type { Io } from "./io.js";
import { type ListingIdentity, listingIdentity, partitionCount, partitionFile, partitionListing, sameListing } from "./import/listing.js";
import { DEFAULT_LIMITS, planRequests } from "./import/plan.js";
import { type ImportSummary, progressReporter } from "./import/report.js";
import { sendRequests } from "./import/send.js";
import { type ImportState, type RequestState, StateWriter, readState } from "./import/state.js";

export { ListingError, parseListingLine, partitionCount, partitionListing, targetJson } from "./import/listing.js";
export { DEFAULT_LIMITS, planRequests } from "./import/plan.js";
export { type ImportSummary, summaryLines } from "./import/report.js";
export type { ImportState, RequestState } from "./import/state.js";

/**
 * `tuf-edge import`: back-signing a JSON-lines listing through POST /v1/admin/import.
 *   pass 1  stream the listing, validate each line, append it to the partition of its bin;
 *   pass 2  one partition at a time, group by bin and write request bodies of whole bins;
 *   pass 3  POST them, a few in flight, and wait until each is published.
 * The state file records each step, so a rerun after an interruption resumes where it stopped.
 */
export interface ImportOptions {
  readonly listing: string;
  /** The Worker's base URL, without a trailing slash. */
  readonly url: string;
  readonly token: string;
  /** Default `<listing>.import-state.json`. */
  readonly stateFile?: string;
  readonly chunkBins?: number;
  readonly maxRequestBytes?: number;
  readonly concurrency?: number;
  /** Partition files of pass 1 (default: partitionCount). */
  readonly partitions?: number;
  /** Send at most this many requests, then stop (complete: false). */
  readonly maxRequests?: number;
  readonly signal?: AbortSignal;
  /** Called after a POST was accepted, before it is recorded (tests interrupt here). */
  readonly onPosted?: (r: RequestState) => void;
}

export const DEFAULT_CONCURRENCY = 4;

type Progress = ReturnType<typeof progressReporter>;

async function repositoryBitLength(url: string): Promise<number> {
  const answer = await request(`${url}/v1/status`);
  const body = answer.body as { published?: boolean; roles?: { bins?: { bitLength?: number } } } | null;
  if (!answer.ok) throw new CliError(`${answer.url} answered HTTP ${answer.status}`);
  if (!body?.published) throw new CliError(`no repository is published at ${url} yet; bootstrap it first`);
  const bits = body.roles?.bins?.bitLength;
  if (typeof bits !== "number") throw new CliError(`${answer.url} does not tell the bins' bit length`);
  return bits;
}

/**
 * Checks the admin token before the listing is read: an empty import is refused with 400 when the
 * token is right (nothing is queued), 401 when it is wrong.
 */
async function checkToken(url: string, token: string): Promise<void> {
  const answer = await request(`${url}/v1/admin/import`, {
    method: "POST",
    body: '{"targets":[]}',
    headers: { "content-type": "application/json", authorization: `Bearer ${token}` },
  });
  if (answer.status === 400) return;
  const error = (answer.body as { error?: unknown } | null)?.error;
  throw new CliError(`${answer.url} answered HTTP ${answer.status}${typeof error === "string" ? `: ${error}` : ""}`);
}

/** The state to resume from, or null to start over (none, another listing, or its files are gone). */
async function resumable(stateFile: string, identity: ListingIdentity, url: string, bitLength: number, io: Io) {
  const state = await readState(stateFile);
  if (!state) return null;
  if (!(sameListing(state.listing, identity) && state.url === url && state.bitLength === bitLength)) {
    io.err(`${stateFile} is for another listing, repository or bin count: starting over`);
    await rm(state.workDir, { recursive: true, force: true });
    return null;
  }
  if (state.phase === "sending" && !existsSync(state.workDir)) {
    io.err(`${state.workDir} (the planned requests) is gone: starting over`);
    return null;
  }
  return state.phase === "sending" || state.phase === "done" ? state : null;
}

/** Passes 1 and 2. A listing that fails validation leaves nothing behind: nothing was sent. */
async function prepare(o: ImportOptions, state: ImportState, writer: StateWriter, progress: Progress) {
  const { workDir } = state;
  await rm(workDir, { recursive: true, force: true });
  await mkdir(workDir, { recursive: true });
  await writer.save(state);
  const mib = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(0)} MiB`;
  try {
    let t0 = performance.now();
    const parted = await partitionListing(o.listing, workDir, {
      bitLength: state.bitLength,
      partitions: state.partitions,
      onProgress: (p) => progress("pass 1/3 reading", p.bytes, p.totalBytes, t0, `${p.lines.toLocaleString("en")} lines, ${mib(p.bytes)} of ${mib(p.totalBytes)}`),
    });
    if (parted.targets === 0) throw new CliError(`${o.listing} lists no targets`);
    const partitionMs = performance.now() - t0;
    state.lines = parted.lines;
    state.phase = "planning";
    await writer.save(state);

    t0 = performance.now();
    const plan = await planRequests(workDir, state.partitions, state.limits, (done) =>
      progress("pass 2/3 grouping by bin", done, state.partitions, t0, `partition ${done} of ${state.partitions}`),
    );
    for (let p = 0; p < state.partitions; p++) await rm(partitionFile(workDir, p), { force: true });
    Object.assign(state, { targets: plan.targets, duplicates: plan.duplicates, splitBins: plan.splitBins, phase: "sending" });
    state.requests = plan.requests.map((r) => ({ ...r }));
    await writer.save(state);
    return { partitionMs, planMs: performance.now() - t0, maxLinesHeld: plan.maxLinesHeld };
  } catch (e) {
    // An invalid listing, or an interruption before anything was sent: nothing to resume.
    await writer.settled();
    await rm(workDir, { recursive: true, force: true });
    await rm(writer.file, { force: true });
    throw e;
  }
}

/** Pass 3: sends what is not done yet, recording each step; returns the targets done in this run. */
async function publish(o: ImportOptions, state: ImportState, writer: StateWriter, progress: Progress): Promise<number> {
  const total = state.requests.reduce((n, r) => n + r.targets, 0);
  const done = new Set(state.requests.filter((r) => r.done));
  const inFlight = new Set<RequestState>();
  let targetsDone = [...done].reduce((n, r) => n + r.targets, 0);
  const atStart = targetsDone;
  const t0 = performance.now();
  const report = (force = false) =>
    progress("pass 3/3 publishing", targetsDone, total, t0, `${targetsDone.toLocaleString("en")} of ${total.toLocaleString("en")} targets, ${inFlight.size} requests in flight`, force);
  report(true);
  await sendRequests(state.requests, {
    url: o.url,
    token: o.token,
    workDir: state.workDir,
    concurrency: o.concurrency ?? DEFAULT_CONCURRENCY,
    maxRequests: o.maxRequests,
    signal: o.signal,
    onPosted: o.onPosted,
    onChange: async (r) => {
      if (r.done && !done.has(r)) {
        done.add(r);
        targetsDone += r.targets;
      }
      if (r.id && !r.done && !r.failed) inFlight.add(r);
      else inFlight.delete(r);
      report();
      await writer.save(state);
    },
  });
  report(true);
  if (state.requests.every((r) => r.done)) {
    state.phase = "done";
    await rm(state.workDir, { recursive: true, force: true });
    await writer.save(state);
  }
  return targetsDone - atStart;
}

export async function runImport(o: ImportOptions, io: Io): Promise<ImportSummary> {
  const started = performance.now();
  const stateFile = resolve(o.stateFile ?? `${o.listing}.import-state.json`);
  const writer = new StateWriter(stateFile);
  const progress = progressReporter(io);
  const identity = await listingIdentity(o.listing).catch((e: NodeJS.ErrnoException) => {
    throw new CliError(`cannot read the listing ${o.listing}: ${e.code ?? e.message}`);
  });
  const bitLength = await repositoryBitLength(o.url);
  await checkToken(o.url, o.token);

  const phasesMs = { partition: 0, plan: 0, send: 0 };
  let maxLinesHeld: number | undefined;
  let targetsThisRun = 0;
  let state = await resumable(stateFile, identity, o.url, bitLength, io);
  const resumed = state !== null;
  try {
    if (state?.phase === "done") io.err(`${o.listing} was imported already (${stateFile}); delete that file to import it again`);
    if (state && ((o.chunkBins ?? state.limits.chunkBins) !== state.limits.chunkBins || (o.maxRequestBytes ?? state.limits.maxRequestBytes) !== state.limits.maxRequestBytes)) {
      io.err(`resuming with the requests planned by the first run (--chunk-bins ${state.limits.chunkBins}); the new limits are not used`);
    }
    if (!state) {
      state = {
        format: "tuf-edge-import/1",
        listing: { path: resolve(o.listing), ...identity },
        url: o.url,
        bitLength,
        partitions: o.partitions ?? partitionCount(bitLength, identity.size),
        limits: { chunkBins: o.chunkBins ?? DEFAULT_LIMITS.chunkBins, maxRequestBytes: o.maxRequestBytes ?? DEFAULT_LIMITS.maxRequestBytes },
        workDir: `${stateFile.replace(/\.json$/, "")}.work`,
        phase: "partitioning",
        requests: [],
      };
      ({ partitionMs: phasesMs.partition, planMs: phasesMs.plan, maxLinesHeld } = await prepare(o, state, writer, progress));
    }
    const t0 = performance.now();
    if (state.phase === "sending") targetsThisRun = await publish(o, state, writer, progress);
    phasesMs.send = performance.now() - t0;
  } finally {
    io.progress("");
  }

  const done = state.requests.filter((r) => r.done);
  const sent = done.reduce((n, r) => n + r.targets, 0);
  const rejected = done.reduce((n, r) => n + (r.rejected ?? 0), 0);
  const elapsedMs = performance.now() - started;
  return {
    complete: state.phase === "done",
    resumed,
    stateFile,
    lines: state.lines ?? 0,
    targets: state.targets ?? 0,
    duplicates: state.duplicates ?? 0,
    requests: state.requests.length,
    requestsDone: done.length,
    failed: state.requests.filter((r) => r.failed && !r.done).map((r) => ({ file: r.file, reason: r.failed! })),
    sent,
    published: sent - rejected,
    rejected,
    reasons: done.flatMap((r) => r.reasons ?? []).slice(0, 10),
    splitBins: state.splitBins ?? 0,
    maxLinesHeld,
    elapsedMs,
    phasesMs,
    targetsPerSecond: targetsThisRun / (elapsedMs / 1000),
  };
}
