// A repository with 10,000 claimed projects (issue 21, part 4), served to tuf-js from memory: each
// claim has its own maintainer key, claimed splits into parts of at most 1,000 claims, and every
// project role is listed in the snapshot (spec 1.0.34). tuf-js resolves claimed projects' files
// through claimed → one part → the project's role, and an unclaimed one through unclaimed → a bin.
// The sizes are printed (the bench, scripts/bench/project-roles.ts, reports them at PyPI's 16,384
// bins); the bounds asserted are the clients' own download limits.
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { Updater } from "tuf-js";
import { afterAll, expect, test } from "vitest";
import { MAX_LENGTH, findTargetInfo, refresh } from "../../shared/client.js";
import {
  Metadata, MetaFile, Role, Root, Snapshot, TargetFile, Targets, Timestamp, allBinNames, binFor, ed25519Signer, randomSeed, sha256Hex, utf8,
  type Signed, type Signer,
} from "../../shared/index.js";
import {
  CLAIMED, type Claim, RECENTLY_CLAIMED, UNCLAIMED, canonicalSpelling, claimRoleName, claimsRole, layoutDelegations, planClaimed, unclaimedRole,
} from "../../shared/projects/index.js";
import { MemoryFetcher } from "../support/project-repo.js";

const CLAIMS = 10_000;
const BITS = 10;
const DAY = 86_400_000;
const BASE = "http://repo.test/";
const dirs: string[] = [];
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

const sign = async <T extends Signed>(s: T, ...signers: Signer[]) => new Metadata(s).sign(signers);
const fileOf = (path: string) => {
  const bytes = utf8(`bytes of ${path}`);
  return { bytes, file: new TargetFile(bytes.length, { sha256: sha256Hex(bytes) }) };
};
/** Names with PyPI's crowding: many share `py`, `django-`, `types-`. */
const names = Array.from({ length: CLAIMS }, (_, i) => [`py${i}`, `django-x${i}`, `types-t${i}`, `lib${i}`, `${String.fromCharCode(97 + (i % 26))}proj${i}`][i % 5]!);

test(`${CLAIMS.toLocaleString("en")} claimed projects: tuf-js resolves claimed files through claimed → part → project, within the clients' bounds`, async () => {
  const now = Date.now();
  const [rootKey, offline, online] = await Promise.all([0, 1, 2].map(() => ed25519Signer(randomSeed())));
  const maintainers = await Promise.all(names.map(() => ed25519Signer(randomSeed())));
  const claims: Claim[] = names.map((project, i) => ({ project, keys: [maintainers[i]!.key], threshold: 1 }));
  const year = now + 365 * DAY;
  const root = await sign(new Root({
    version: 1, expires: year, keys: Object.fromEntries([rootKey!, offline!, online!].map((s) => [s.key.keyid, s.key])),
    roles: { root: new Role([rootKey!.key.keyid], 1), targets: new Role([offline!.key.keyid], 1), snapshot: new Role([online!.key.keyid], 1), timestamp: new Role([online!.key.keyid], 1) },
  }), rootKey!);
  const roles = new Map<string, Metadata<Targets>>();
  roles.set("targets", await sign(new Targets({ version: 1, expires: year, delegations: layoutDelegations({ offline: [offline!.key], offlineThreshold: 1, online: [online!.key] }) }), offline!));
  const plan = planClaimed(claims, { offline: [offline!.key], threshold: 1 }, 1, year);
  roles.set(CLAIMED, await sign(plan.claimed, offline!));
  for (const [name, part] of plan.parts) roles.set(name, await sign(part, offline!));
  roles.set(RECENTLY_CLAIMED, await sign(claimsRole([], 1, now + DAY), online!));
  roles.set(UNCLAIMED, await sign(unclaimedRole([online!.key], BITS, 1, year), offline!));
  const plain = fileOf("packages/ab/cd/ef/plain-1.0.tar.gz");
  for (const bin of allBinNames(BITS)) {
    const targets = binFor("packages/ab/cd/ef/plain-1.0.tar.gz", BITS) === bin ? new Map([["packages/ab/cd/ef/plain-1.0.tar.gz", plain.file]]) : new Map();
    roles.set(bin, await sign(new Targets({ version: 1, expires: now + DAY, targets }), online!));
  }
  // Every project role is in the snapshot; the sampled ones are served with a file each.
  const sampled = [0, 4_999, 9_999];
  const targetBytes = new Map<string, Uint8Array>([["packages/ab/cd/ef/plain-1.0.tar.gz", plain.bytes]]);
  const meta = new Map([...roles].map(([name, m]) => [`${name}.json`, new MetaFile(m.signed.version)]));
  for (const claim of claims) meta.set(`${claimRoleName(claim)}.json`, new MetaFile(1));
  for (const i of sampled) {
    const path = `packages/ab/cd/ef/${canonicalSpelling(names[i]!)}-1.0-py3-none-any.whl`;
    const { bytes, file } = fileOf(path);
    targetBytes.set(path, bytes);
    roles.set(claimRoleName(claims[i]!), await sign(new Targets({ version: 1, expires: year, targets: new Map([[path, file]]) }), maintainers[i]!));
  }
  const snapshot = await sign(new Snapshot({ version: 1, expires: now + DAY, meta }), online!);
  const snapshotBytes = snapshot.toBytes();
  const timestamp = await sign(new Timestamp({ version: 1, expires: now + DAY, snapshotMeta: new MetaFile(1, snapshotBytes.length, { sha256: sha256Hex(snapshotBytes) }) }), online!);
  const files = new Map<string, Uint8Array>([
    ["metadata/1.root.json", root.toBytes()], ["metadata/1.snapshot.json", snapshotBytes], ["metadata/timestamp.json", timestamp.toBytes()],
    ...[...roles].map(([name, m]) => [`metadata/${m.signed.version}.${name}.json`, m.toBytes()] as [string, Uint8Array]),
  ]);
  for (const [path, bytes] of targetBytes) {
    const dir = path.slice(0, path.lastIndexOf("/"));
    files.set(`targets/${dir}/${sha256Hex(bytes)}.${path.slice(dir.length + 1)}`, bytes);
  }

  /**
   * A new installer looking one file up: what it resolves, and every metadata byte it downloads.
   * tuf-js (`tufJs`) parses the snapshot's meta in quadratic time: 11,000 entries take it about 35 s
   * on this machine (README, "Signing your own project"), so it looks up one file; the spec's own
   * client (shared/client.ts) looks up the rest.
   */
  async function install(path: string, tufJs: boolean) {
    if (!tufJs) {
      const fetched: string[] = [];
      const get = async (name: string) => (fetched.push(`metadata/${name}`), files.get(`metadata/${name}`) ?? null);
      const trusted = await refresh(files.get("metadata/1.root.json")!, get, Date.now());
      const found = await findTargetInfo(trusted, get, path);
      return { sha256: found?.file.hashes.sha256 ?? null, ...downloaded(fetched) };
    }
    const t0 = performance.now();
    const dir = mkdtempSync(join(tmpdir(), "tuf-edge-10k-"));
    dirs.push(dir);
    writeFileSync(join(dir, "root.json"), files.get("metadata/1.root.json")!);
    const fetcher = new MemoryFetcher(files, BASE);
    const updater = new Updater({ metadataBaseUrl: `${BASE}metadata`, targetBaseUrl: `${BASE}targets`, metadataDir: dir, targetDir: dir, fetcher });
    await updater.refresh();
    const info = await updater.getTargetInfo(path);
    tufJsMs = Math.round(performance.now() - t0);
    return { sha256: info?.hashes.sha256 ?? null, ...downloaded(fetcher.requested) };
  }
  let tufJsMs = 0;
  const downloaded = (requested: string[]) => {
    const fetched = requested.filter((n) => n.startsWith("metadata/") && files.has(n));
    return {
      fetched: fetched.map((n) => n.replace(/^metadata\/(\d+\.)?/, "")),
      bytes: fetched.reduce((n, name) => n + files.get(name)!.length, 0),
      gzip: fetched.reduce((n, name) => n + gzipSync(files.get(name)!).length, 0),
    };
  };

  const sizes = {
    claimed: files.get("metadata/1.claimed.json")!.length,
    parts: plan.parts.size,
    largestPart: Math.max(...[...plan.parts.keys()].map((n) => files.get(`metadata/1.${n}.json`)!.length)),
    snapshot: snapshotBytes.length,
    snapshotProjectEntries: claims.length,
  };
  for (const i of sampled) {
    const path = `packages/ab/cd/ef/${canonicalSpelling(names[i]!)}-1.0-py3-none-any.whl`;
    const got = await install(path, i === 0);
    expect(got.sha256).toBe(sha256Hex(targetBytes.get(path)!));
    // Exactly one part of claimed, then the project's role, and no bin.
    expect(got.fetched.filter((n) => n.startsWith("claimed-"))).toHaveLength(1);
    expect(got.fetched).toContain(`${claimRoleName(claims[i]!)}.json`);
    expect(got.fetched.some((n) => n.startsWith("bins-"))).toBe(false);
    // tuf-js walks only what the look-up needs: claimed, the part, the role (the terminating claim ends it there).
    const walked = got.fetched.filter((n) => !["root.json", "timestamp.json", "snapshot.json", "targets.json"].includes(n));
    if (i === 0) expect(walked).toEqual(["claimed.json", expect.stringMatching(/^claimed-/), `${claimRoleName(claims[i]!)}.json`]);
    if (i === 0) Object.assign(sizes, { newInstallerClaimed: got.bytes, newInstallerClaimedGzip: got.gzip });
  }
  const unclaimed = await install("packages/ab/cd/ef/plain-1.0.tar.gz", false);
  expect(unclaimed.sha256).toBe(sha256Hex(plain.bytes));
  expect(unclaimed.fetched).toContain("unclaimed.json");
  Object.assign(sizes, { newInstallerUnclaimed: unclaimed.bytes });
  console.log(JSON.stringify({ claims: CLAIMS, bins: 2 ** BITS, ...sizes, tufJsLookupMs: tufJsMs }));
  // Within what clients accept: a targets role of 5,000,000 bytes; a snapshot whose length the timestamp states.
  expect(sizes.largestPart).toBeLessThan(MAX_LENGTH.targets);
  expect(sizes.claimed).toBeLessThan(MAX_LENGTH.targets);
  for (const part of plan.parts.values()) expect(part.delegations!.roles!.length).toBeLessThanOrEqual(1000);
}, 300_000);
