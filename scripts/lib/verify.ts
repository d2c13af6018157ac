import { setMaxListeners } from "node:events";
import { BodyTooLarge, readBounded } from "../../shared/bounded-body.js";
import { FieldError, Metadata, type TrustedMetadata, VerificationError, binName, binsDelegator, refresh, targetsMaxLength } from "../../shared/index.js";
import { CLAIMED } from "../../shared/projects/layout.js";
import { CliError } from "./errors.js";
import { type Fetch, httpGet } from "./http-transport.js";

/**
 * The transport: any fetch-compatible function (global fetch, or a delta-update fetch that
 * answers with the same bytes). Only GETs of URL/metadata/<name> go through it.
 */

export interface RoleState {
  readonly name: string;
  readonly version: number;
  readonly expires: number;
}

export interface VerifyReport {
  /** The root version the refresh started from, and the top-level roles as the client accepted them. */
  readonly trustedRootVersion: number;
  readonly roles: readonly RoleState[];
  /** The bins loaded and verified, and how many the targets role delegates to. */
  readonly bins: readonly RoleState[];
  readonly binCount: number;
  /** Bytes of metadata the transport answered with (after any content decoding). */
  readonly bytes: number;
  /** Bytes of those answers as they crossed the wire (gzip; through a transport, its Content-Length). */
  readonly wireBytes: number;
}

export interface VerifyOptions {
  readonly url: string;
  readonly trustedRoot: Uint8Array;
  /** Which bins to walk: all, or a random sample of this size (always with the first and last). */
  readonly bins: "all" | number;
  readonly fetch?: Fetch;
  readonly concurrency?: number;
  readonly onProgress?: (done: number, total: number) => void;
  readonly now?: number;
  /** The whole run's limit (default 15 minutes). */
  readonly timeoutMs?: number;
}

/** A refresh a real client would refuse. */
export class VerifyFailed extends CliError {}

/** The whole refresh must finish in this time: one timer, not one per file (16,384 timers cost). */
const TIMEOUT_MS = 15 * 60_000;

/**
 * GET URL/metadata/<name>; null on 404, a failure on anything else or on an answer longer than
 * `maxLength` (shared/client.ts bounds each role). Through `transport` when given, else straight over
 * node:http (no Response object per file: it is the hot path).
 */
export function metadataFetcher(url: string, transport?: Fetch, timeoutMs = TIMEOUT_MS) {
  let bytes = 0;
  let wireBytes = 0;
  const signal = AbortSignal.timeout(timeoutMs);
  setMaxListeners(0, signal); // one listener per request in flight
  const fetchOne = async (target: string, maxLength: number): Promise<{ status: number; wire: number | null; body: () => Promise<Uint8Array> }> => {
    if (!transport) {
      const answer = await httpGet(target, signal, maxLength);
      return { status: answer.status, wire: answer.wireLength, body: async () => answer.body };
    }
    const response = await transport(target, { signal });
    if (response.status === 404) await response.body?.cancel();
    const declared = response.headers.get("Content-Length");
    return { status: response.status, wire: declared === null ? null : Number(declared), body: () => readBounded(response, maxLength, target) };
  };
  const failure = (target: string, e: unknown): Error => {
    if (signal.aborted) return new CliError(`timed out after ${Math.round(timeoutMs / 1000)} s (the whole run's limit), at ${target}`);
    if (e instanceof BodyTooLarge) return new VerifyFailed(`${target} is longer than ${e.maxLength} bytes, the most a client downloads of it`);
    if (e instanceof CliError) return e;
    const cause = e as { cause?: { code?: string }; code?: string };
    return new CliError(`cannot reach ${target}: ${cause.cause?.code ?? cause.code ?? (e as Error).message}`);
  };
  const get = async (name: string, maxLength: number): Promise<Uint8Array | null> => {
    const target = `${url}/metadata/${name}`;
    let answer;
    try {
      answer = await fetchOne(target, maxLength);
    } catch (e) {
      throw failure(target, e);
    }
    if (answer.status === 404) return null;
    if (answer.status < 200 || answer.status > 299) throw new VerifyFailed(`${target} answered HTTP ${answer.status}`);
    let body: Uint8Array;
    try {
      body = await answer.body();
    } catch (e) {
      throw failure(target, e);
    }
    bytes += body.length;
    wireBytes += answer.wire ?? body.length;
    return body;
  };
  return { get, bytes: () => bytes, wireBytes: () => wireBytes };
}

function refused(step: string, e: unknown): unknown {
  if (e instanceof VerificationError || e instanceof FieldError) return new VerifyFailed(`${step}: ${e.message}`);
  return e;
}

/**
 * A client refresh by the spec's rules (§5.3–§5.7, shared/client.ts): root chain from the trusted
 * root, timestamp, snapshot, targets, then the chosen bins, each fetched by its consistent-snapshot
 * name and checked for signatures, threshold, version and expiry. Linear in the number of bins.
 */
export async function verifyRepository(o: VerifyOptions): Promise<VerifyReport> {
  const now = o.now ?? Date.now();
  const fetcher = metadataFetcher(o.url, o.fetch, o.timeoutMs);
  const trustedRootVersion = Metadata.parse(o.trustedRoot, "root").signed.version;
  let trusted: TrustedMetadata;
  try {
    trusted = await refresh(o.trustedRoot, fetcher.get, now);
  } catch (e) {
    throw refused("refresh", e);
  }
  const targets = trusted.targets.get("targets")!.signed;
  const roles = [
    stateOf("root", trusted.root.signed),
    stateOf("timestamp", trusted.timestamp!.signed),
    stateOf("snapshot", trusted.snapshot!.signed),
    stateOf("targets", targets),
    // PEP 480's layout: claimed, recently-claimed and unclaimed, loaded and checked by refresh.
    ...[...trusted.targets].filter(([name]) => name !== "targets").map(([name, m]) => stateOf(name, m.signed)),
  ];
  // claimed's parts (offline, renewed at claims ceremonies): each checked as a client would reach it.
  for (const part of trusted.targets.get(CLAIMED)?.signed.delegations?.roles ?? []) {
    const version = trusted.snapshot!.signed.meta.get(`${part.name}.json`)?.version;
    if (version === undefined) throw new VerifyFailed(`snapshot does not list ${part.name}.json`);
    const bytes = await fetcher.get(`${version}.${part.name}.json`, targetsMaxLength(trusted, part.name));
    if (!bytes) throw new VerifyFailed(`${version}.${part.name}.json, listed in the snapshot, does not exist`);
    try {
      roles.push(stateOf(part.name, trusted.updateTargets(part.name, bytes, CLAIMED).signed));
    } catch (e) {
      throw refused(part.name, e);
    }
  }
  const delegator = binsDelegator(trusted);
  const succinct = trusted.targets.get(delegator)!.signed.delegations?.succinctRoles;
  if (!succinct) return { trustedRootVersion, roles, bins: [], binCount: 0, bytes: fetcher.bytes(), wireBytes: fetcher.wireBytes() };

  const indices = chooseBins(succinct.numberOfBins, o.bins);
  const bins: RoleState[] = [];
  await forEachLimit(indices, o.concurrency ?? 16, async (index) => {
    const name = binName(index, succinct.bitLength, succinct.namePrefix);
    const version = trusted.snapshot!.signed.meta.get(`${name}.json`)?.version;
    if (version === undefined) throw new VerifyFailed(`snapshot does not list ${name}.json`);
    const bytes = await fetcher.get(`${version}.${name}.json`, targetsMaxLength(trusted, name));
    if (!bytes) throw new VerifyFailed(`${version}.${name}.json, listed in the snapshot, does not exist`);
    try {
      bins.push(stateOf(name, trusted.updateTargets(name, bytes, delegator).signed));
    } catch (e) {
      throw refused(name, e);
    }
    trusted.targets.delete(name); // checked; keep memory flat however many bins there are
    o.onProgress?.(bins.length, indices.length);
  });
  bins.sort((a, b) => a.name.localeCompare(b.name));
  return { trustedRootVersion, roles, bins, binCount: succinct.numberOfBins, bytes: fetcher.bytes(), wireBytes: fetcher.wireBytes() };
}

export const stateOf = (name: string, s: { version: number; expires: number }): RoleState => ({ name, version: s.version, expires: s.expires });

/** Bin numbers to walk: all of them, or a sample that always holds the first and the last. */
export function chooseBins(count: number, bins: "all" | number): number[] {
  if (bins === "all" || bins >= count) return Array.from({ length: count }, (_, i) => i);
  const chosen = new Set([0, count - 1]);
  while (chosen.size < Math.min(bins, count)) chosen.add(Math.floor(Math.random() * count));
  return [...chosen].sort((a, b) => a - b);
}

/** Runs `run` over `items`, `limit` at a time; after a failure starts no more, lets the running ones settle, rethrows. */
export async function forEachLimit<T>(items: readonly T[], limit: number, run: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  let failed = false;
  const worker = async () => {
    while (!failed && next < items.length) {
      await run(items[next++]!).catch((e: unknown) => {
        failed = true;
        throw e;
      });
    }
  };
  const results = await Promise.allSettled(Array.from({ length: Math.min(limit, items.length) }, worker));
  const rejected = results.find((r): r is PromiseRejectedResult => r.status === "rejected");
  if (rejected) throw rejected.reason;
}
