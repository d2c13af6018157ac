import { randomBytes } from "node:crypto";
import { gzipSync } from "node:zlib";
import { allBinNames } from "../../shared/bins.js";
import { ed25519Signer, randomSeed } from "../../shared/keys.js";
import { MetaFile, TargetFile } from "../../shared/metadata/files.js";
import { Snapshot } from "../../shared/metadata/snapshot.js";
import { Targets } from "../../shared/metadata/targets.js";
import { Timestamp } from "../../shared/metadata/timestamp.js";
import { sha256Hex } from "../../shared/encoding.js";
import { signFile } from "../../worker/publish/commit.js";

/** PEP 458's figures (November 2019): 2,273,539 targets in 16,384 bins, ~139 targets and ~54 KB per bin. */
export const PEP458_2019 = { targets: 2_273_539, bins: 16_384, targetsPerBin: 139, binKB: 54 };

export interface InstallerBytes {
  readonly targets: number;
  readonly targetsPerBin: number;
  readonly raw: { timestamp: number; snapshot: number; bin: number; total: number };
  readonly gzip: { timestamp: number; snapshot: number; bin: number; total: number };
}

/** A PyPI-like target entry: blake2b-style directory layout, a wheel name, a length, a sha256. */
function target(i: number): [string, TargetFile] {
  const h = randomBytes(32).toString("hex");
  const path = `packages/${h.slice(0, 2)}/${h.slice(2, 4)}/${h.slice(4, 60)}/project${i}-${1 + (i % 40)}.${i % 10}.0-py3-none-any.whl`;
  return [path, new TargetFile(1000 + Math.floor(Math.random() * 5_000_000), { sha256: randomBytes(32).toString("hex") })];
}

/**
 * What a new installer downloads to verify one package, from metadata generated and signed for
 * real: timestamp, the 16,384-bin snapshot (bin versions as after months of renewals and uploads),
 * and one bin holding targets/16,384 entries (a sample bin stands for all of them).
 */
export async function installerBytes(totalTargets: number, bits = 14): Promise<InstallerBytes> {
  const signer = await ed25519Signer(randomSeed());
  const expires = Date.now() + 86_400_000;
  const perBin = Math.max(1, Math.round(totalTargets / 2 ** bits));
  const bin = await signFile(new Targets({ version: 731, expires, targets: new Map(Array.from({ length: perBin }, (_, i) => target(i))) }), [signer]);
  const meta = new Map([["targets.json", new MetaFile(3)]]);
  // Bins are re-signed twice a day and on every upload: after a year, versions in the hundreds to thousands.
  for (const name of allBinNames(bits)) meta.set(`${name}.json`, new MetaFile(730 + Math.floor(Math.random() * 1500)));
  const snapshot = await signFile(new Snapshot({ version: 1_000_000, expires, meta }), [signer]);
  const timestamp = await signFile(
    new Timestamp({ version: 1_000_100, expires, snapshotMeta: new MetaFile(1_000_000, snapshot.length, { sha256: sha256Hex(snapshot) }) }),
    [signer],
  );
  const sizes = (f: (b: Uint8Array) => number) => {
    const s = { timestamp: f(timestamp), snapshot: f(snapshot), bin: f(bin) };
    return { ...s, total: s.timestamp + s.snapshot + s.bin };
  };
  return { targets: totalTargets, targetsPerBin: perBin, raw: sizes((b) => b.length), gzip: sizes((b) => gzipSync(b).length) };
}

