import { createHash, randomBytes } from "node:crypto";
import { gzipSync } from "node:zlib";
import { allBinNames, binName } from "../../shared/bins.js";
import { type Signer, ed25519Signer, randomSeed } from "../../shared/keys.js";
import { Metadata } from "../../shared/metadata/metadata.js";
import { Role, Root } from "../../shared/metadata/root.js";
import { Delegations, SuccinctRoles, Targets } from "../../shared/metadata/targets.js";
import { formatExpires } from "../../shared/time.js";
import { buildSnapshot, buildTimestamp, signBody, signFile, snapshotMetaOf } from "../../worker/publish/plan.js";
import { notesToCustom } from "../../worker/storage/repository.js";
import { type MetadataStore, metadataKey } from "../../worker/storage/metadata-store.js";

/**
 * A repository of `count` targets in 2^bits bins, written straight into a store as signed bins (not
 * through the publish path, which is what the core bench then measures). Entries are encoded
 * directly as canonical JSON: synthetic paths and hashes are plain ASCII.
 */
export interface SeededRepository {
  readonly online: Signer;
  readonly bits: number;
  readonly targets: number;
}

const DAY = 86_400_000;

/** A synthetic PyPI-like target path (the layout of files.pythonhosted.org) and its sha256. */
export function syntheticTargets(count: number, salt: string) {
  // In chunks: workerd's getRandomValues (behind randomBytes there) takes at most 64 KiB a call.
  const chunks: string[] = [];
  for (let left = count * 60; left > 0; left -= 60_000) chunks.push(randomBytes(Math.min(left, 60_000)).toString("hex"));
  const random = chunks.join("");
  return Array.from({ length: count }, (_, i) => {
    const h = random.slice(i * 120, i * 120 + 120);
    return {
      path: `packages/${h.slice(0, 2)}/${h.slice(2, 4)}/${h.slice(4, 60)}/${salt}pkg${i}-1.0-py3-none-any.whl`,
      length: 1000 + i,
      hashes: { sha256: h.slice(56, 120) },
    };
  });
}

const binIndexOf = (path: string, bits: number) => createHash("sha256").update(path).digest().readUInt32BE(0) >>> (32 - bits);

async function pool<T>(items: readonly T[], limit: number, fn: (item: T) => Promise<void>) {
  let next = 0;
  await Promise.all(Array.from({ length: limit }, async () => {
    while (next < items.length) await fn(items[next++]!);
  }));
}

export async function seedRepository(store: MetadataStore, bits: number, count: number, now: number): Promise<SeededRepository> {
  const [root, targetsKey, online] = await Promise.all([0, 1, 2].map(() => ed25519Signer(randomSeed())));
  const year = now + 365 * DAY;
  const keys = Object.fromEntries([root!, targetsKey!, online!].map((s) => [s.key.keyid, s.key]));
  const role = (s: Signer) => new Role([s.key.keyid], 1);
  const rootMd = await new Metadata(new Root({
    version: 1, expires: year, keys,
    roles: { root: role(root!), targets: role(targetsKey!), snapshot: role(online!), timestamp: role(online!) },
  })).sign([root!]);
  await store.create("1.root.json", rootMd.toBytes());
  const succinct = new SuccinctRoles([online!.key.keyid], 1, bits, "bins");
  const targetsMd = await new Metadata(new Targets({
    version: 1, expires: year, delegations: new Delegations({ [online!.key.keyid]: online!.key }, undefined, succinct),
  })).sign([targetsKey!]);
  await store.create("1.targets.json", targetsMd.toBytes());

  const byBin: string[][] = Array.from({ length: 2 ** bits }, () => []);
  for (const t of syntheticTargets(count, "seed-")) {
    // Synthetic paths are printable ASCII: JSON.stringify is their canonical form.
    byBin[binIndexOf(t.path, bits)]!.push(`${JSON.stringify(t.path)}:{"hashes":{"sha256":"${t.hashes.sha256}"},"length":${t.length}}`);
  }
  const expires = formatExpires(now + DAY);
  await pool(byBin.map((entries, i) => [i, entries] as const), 32, async ([i, entries]) => {
    entries.sort(); // entries start with the quoted path, and '"' sorts below every path character used here
    const body = `{"_type":"targets","expires":"${expires}","spec_version":"1.0.31","targets":{${entries.join(",")}},"version":1}`;
    const bytes = await signBody(body, [online!]);
    // Stored as MetadataStore.create stores it (gzip, length and sha256 alongside), by Node's zlib for speed.
    await store.bucket.put(metadataKey(`1.${binName(i, bits)}.json`), gzipSync(bytes, { level: 1 }), {
      httpMetadata: { contentType: "application/json", contentEncoding: "gzip" },
      customMetadata: { length: String(bytes.length), sha256: createHash("sha256").update(bytes).digest("hex") },
    });
  });

  const roles: [string, number][] = [["targets", 1], ...allBinNames(bits).map((n) => [n, 1] as [string, number])];
  const snapshotBytes = await signFile(buildSnapshot(null, { version: 1, expires: now + DAY, roles }), [online!]);
  await store.create("1.snapshot.json", snapshotBytes);
  const timestamp = buildTimestamp(null, { version: 1, expires: now + DAY, snapshotMeta: snapshotMetaOf(1, snapshotBytes) });
  await store.swapTimestamp(await signFile(timestamp, [online!]), null, notesToCustom({ rootVersion: 1, renewCursor: 0 }));
  return { online: online!, bits, targets: count };
}
