import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Updater } from "tuf-js";
import { Metadata, type SuccinctRoles, binIndex, binName } from "../../shared/index.js";
import { CliError } from "./errors.js";

export interface RoleState {
  readonly name: string;
  readonly version: number;
  readonly expires: number;
}

export interface VerifyReport {
  /** The root version the refresh started from, and the top-level roles as tuf-js accepted them. */
  readonly trustedRootVersion: number;
  readonly roles: readonly RoleState[];
  /** The bins tuf-js loaded and verified, and how many the targets role delegates to. */
  readonly bins: readonly RoleState[];
  readonly binCount: number;
}

export interface VerifyOptions {
  readonly url: string;
  readonly trustedRoot: Uint8Array;
  /** Which bins to walk: all, or a random sample of this size (always with the first and last). */
  readonly bins: "all" | number;
  readonly concurrency?: number;
  readonly onProgress?: (done: number, total: number) => void;
}

/** A tuf-js failure: the update a real client would refuse. */
export class VerifyFailed extends CliError {}

/**
 * A full client refresh with tuf-js (spec §5: root chain, timestamp, snapshot, targets), then every
 * chosen bin: tuf-js loads and verifies a bin when asked for a path in it, so we ask for a probe path
 * that hashes into each. The versions and expiries reported are read from the files tuf-js
 * verified and persisted in its metadata directory.
 */
export async function verifyRepository(o: VerifyOptions): Promise<VerifyReport> {
  const dir = await mkdtemp(join(tmpdir(), "tuf-edge-verify-"));
  try {
    await writeFile(join(dir, "root.json"), o.trustedRoot);
    const trustedRootVersion = Metadata.parse(o.trustedRoot, "root").signed.version;
    const updater = await tufJs("loading the trusted root", () =>
      new Updater({
        metadataDir: dir,
        metadataBaseUrl: `${o.url}/metadata`,
        targetBaseUrl: `${o.url}/targets`,
        config: { userAgent: "tuf-edge-verify" },
      }),
    );
    await tufJs("refresh", () => updater.refresh());
    const read = async (role: string) => readFile(join(dir, `${role}.json`));
    const root = Metadata.parse(await read("root"), "root").signed;
    const targets = Metadata.parse(await read("targets"), "targets").signed;
    const roles = [
      { name: "root", version: root.version, expires: root.expires },
      stateOf("timestamp", Metadata.parse(await read("timestamp"), "timestamp").signed),
      stateOf("snapshot", Metadata.parse(await read("snapshot"), "snapshot").signed),
      stateOf("targets", targets),
    ];
    const succinct = targets.delegations?.succinctRoles;
    if (!succinct) return { trustedRootVersion, roles, bins: [], binCount: 0 };

    const indices = chooseBins(succinct.numberOfBins, o.bins);
    const probes = probePaths(succinct, indices);
    const bins: RoleState[] = [];
    let done = 0;
    await forEachLimit([...probes], o.concurrency ?? 8, async ([index, path]) => {
      const name = binName(index, succinct.bitLength, succinct.namePrefix);
      await tufJs(name, () => updater.getTargetInfo(path));
      const bytes = await read(name).catch(() => {
        throw new VerifyFailed(`tuf-js did not load ${name} for ${path}`);
      });
      bins.push(stateOf(name, Metadata.parse(bytes, "targets").signed));
      o.onProgress?.(++done, probes.size);
    });
    bins.sort((a, b) => a.name.localeCompare(b.name));
    return { trustedRootVersion, roles, bins, binCount: succinct.numberOfBins };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

const stateOf = (name: string, s: { version: number; expires: number }): RoleState => ({ name, version: s.version, expires: s.expires });

async function tufJs<T>(step: string, run: () => T | Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (e) {
    if (e instanceof CliError) throw e;
    const err = e as Error & { statusCode?: number };
    const status = err.statusCode ? ` (HTTP ${err.statusCode})` : "";
    // tuf-js's error classes do not set `name`; their constructor names say what failed.
    throw new VerifyFailed(`tuf-js ${step} failed: ${err.constructor?.name ?? err.name}: ${err.message}${status}`);
  }
}

/** Bin numbers to walk: all of them, or a sample that always holds the first and the last. */
export function chooseBins(count: number, bins: "all" | number): number[] {
  if (bins === "all" || bins >= count) return Array.from({ length: count }, (_, i) => i);
  const chosen = new Set([0, count - 1]);
  while (chosen.size < Math.min(bins, count)) chosen.add(Math.floor(Math.random() * count));
  return [...chosen].sort((a, b) => a - b);
}

/** For each wanted bin, a path that hashes into it (TAP 15: the first bit_length bits of sha256). */
export function probePaths(bins: SuccinctRoles, wanted: readonly number[]): Map<number, string> {
  const missing = new Set(wanted);
  const found = new Map<number, string>();
  const limit = 64 * bins.numberOfBins + 100_000;
  for (let i = 0; missing.size > 0; i++) {
    if (i > limit) throw new CliError(`could not find probe paths for ${missing.size} bins`);
    const path = `tuf-edge-verify/probe-${i}`;
    const index = binIndex(path, bins.bitLength);
    if (missing.delete(index)) found.set(index, path);
  }
  return found;
}

/** Runs `run` over `items`, `limit` at a time; after a failure starts no more, lets the running ones settle, rethrows. */
async function forEachLimit<T>(items: readonly T[], limit: number, run: (item: T) => Promise<void>): Promise<void> {
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
