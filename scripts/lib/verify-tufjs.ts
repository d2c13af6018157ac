import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Updater } from "tuf-js";
import { Metadata, type SuccinctRoles, binIndex, binName } from "../../shared/index.js";
import { CLAIMED, RECENTLY_CLAIMED, UNCLAIMED, isProjectLayout } from "../../shared/projects/index.js";
import { CliError } from "./errors.js";
import { type RoleState, type VerifyOptions, type VerifyReport, VerifyFailed, chooseBins, forEachLimit, stateOf } from "./verify.js";

/**
 * A full client refresh with tuf-js (spec §5: root chain, timestamp, snapshot, targets), then every
 * chosen bin: tuf-js loads and verifies a bin when asked for a path in it, so we ask for a probe path
 * that hashes into each. The versions and expiries reported are read from the files tuf-js
 * verified and persisted in its metadata directory.
 */
export async function verifyWithTufJs(o: VerifyOptions): Promise<VerifyReport> {
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
    let succinct = targets.delegations?.succinctRoles;
    if (isProjectLayout(targets)) {
      // PEP 480's layout: a path no claim covers leads tuf-js through claimed, recently-claimed and unclaimed.
      await tufJs("unclaimed", () => updater.getTargetInfo("tuf-edge-probe"));
      for (const role of [CLAIMED, RECENTLY_CLAIMED, UNCLAIMED]) {
        const loaded = Metadata.parse(await read(role).catch(() => { throw new VerifyFailed(`tuf-js did not load ${role}`); }), "targets").signed;
        roles.push(stateOf(role, loaded));
        if (role === UNCLAIMED) succinct = loaded.delegations?.succinctRoles;
      }
    }
    if (!succinct) return { trustedRootVersion, roles, bins: [], binCount: 0, bytes: 0, wireBytes: 0 };

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
    return { trustedRootVersion, roles, bins, binCount: succinct.numberOfBins, bytes: 0, wireBytes: 0 };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}


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

