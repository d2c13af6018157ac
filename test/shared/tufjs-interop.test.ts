// What we sign must be what tuf-js (@tufjs/models, the model library of the npm TUF client) accepts.
import { Metadata as TufMetadata, MetadataKind } from "@tufjs/models";
import { beforeAll, describe, expect, it } from "vitest";
import { Metadata, allBinNames, binFor, binNumber, binName } from "../../shared/index.js";
import { type Repo, PATHS, makeRepo, makeTargets, served, sign } from "./fixtures.js";

const tufRoot = (md: Metadata) => TufMetadata.fromJSON(MetadataKind.Root, served(md));
const tufTargets = (md: Metadata) => TufMetadata.fromJSON(MetadataKind.Targets, served(md));

describe("@tufjs/models accepts our metadata", () => {
  let repo: Repo;
  beforeAll(async () => {
    repo = await makeRepo();
  });

  it("parses every file and verifies it against its delegator", () => {
    const root = tufRoot(repo.root);
    root.verifyDelegate("root", root);
    root.verifyDelegate("timestamp", TufMetadata.fromJSON(MetadataKind.Timestamp, served(repo.timestamp)));
    root.verifyDelegate("snapshot", TufMetadata.fromJSON(MetadataKind.Snapshot, served(repo.snapshot)));
    const targets = tufTargets(repo.targets);
    root.verifyDelegate("targets", targets);
    expect(repo.bins.size).toBe(16);
    for (const [name, bin] of repo.bins) targets.verifyDelegate(name, tufTargets(bin));
  });

  it("reads the fields we wrote", () => {
    const targets = tufTargets(repo.targets).signed;
    expect(targets.delegations?.succinctRoles?.bitLength).toBe(4);
    const snapshot = TufMetadata.fromJSON(MetadataKind.Snapshot, served(repo.snapshot)).signed;
    expect(Object.keys(snapshot.meta)).toHaveLength(17);
    const ts = TufMetadata.fromJSON(MetadataKind.Timestamp, served(repo.timestamp)).signed;
    expect(ts.snapshotMeta.length).toBe(repo.snapshot.toBytes().length);
    const path = PATHS[0]!;
    const bin = tufTargets(repo.bins.get(binFor(path, 4))!).signed;
    expect(bin.targets[path]?.hashes.sha256).toBe(repo.bins.get(binFor(path, 4))!.signed.targets.get(path)!.hashes.sha256);
  });

  it("refuses a field changed after signing", () => {
    const root = tufRoot(repo.root);
    const ts = served(repo.timestamp);
    ts.signed.version = 2;
    expect(() => root.verifyDelegate("timestamp", TufMetadata.fromJSON(MetadataKind.Timestamp, ts))).toThrow(/signed by 0\/1 keys/);
    const ours = Metadata.fromJSON(ts, "timestamp");
    expect(() => ours.verifyDelegate("timestamp", repo.root.signed.roles.timestamp, repo.root.signed.keys)).toThrow(/0 valid/);
    const path = PATHS[0]!;
    const bin = served(repo.bins.get(binFor(path, 4))!);
    bin.signed.targets[path].length += 1;
    const tampered = TufMetadata.fromJSON(MetadataKind.Targets, bin);
    expect(() => tufTargets(repo.targets).verifyDelegate(binFor(path, 4), tampered)).toThrow(/signed by 0\/1 keys/);
  });

  it("refuses a root below its threshold, as we do", async () => {
    const once = await sign(repo.root.signed, repo.keys.root[0]!);
    const root = tufRoot(once);
    expect(() => root.verifyDelegate("root", root)).toThrow(/signed by 1\/2 keys/);
    expect(() => once.verifyDelegate("root", once.signed.roles.root, once.signed.keys)).toThrow(/1 valid signatures of the 2 required/);
  });

  it("refuses a bin signed by a key the delegation does not list", async () => {
    const name = "bins-3";
    const forged = await sign(repo.bins.get(name)!.signed, repo.keys.targets);
    expect(() => tufTargets(repo.targets).verifyDelegate(name, tufTargets(forged))).toThrow(/signed by 0\/1 keys/);
  });
});

/** Deterministic pseudo-random paths (mulberry32), mixing ASCII, Latin-1, Greek and CJK. */
function randomPaths(count: number, seed: number): string[] {
  const next = () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 2 ** 32;
  };
  const alphabet = "abcdefghijklmnopqrstuvwxyz0123456789-_.~+ üéßλΩ中文字";
  return Array.from({ length: count }, () => {
    const segments = Array.from({ length: 1 + Math.floor(next() * 4) }, () =>
      Array.from({ length: 1 + Math.floor(next() * 20) }, () => alphabet[Math.floor(next() * alphabet.length)]).join(""),
    );
    return segments.join("/");
  });
}

describe("succinct bins agree with tuf-js", () => {
  let repo: Repo;
  beforeAll(async () => {
    repo = await makeRepo();
  });

  const succinctOf = async (bitLength: number) => {
    const targets = await sign(makeTargets([repo.keys.online], bitLength), repo.keys.targets);
    expect(targets.signed.delegations!.succinctRoles!.bitLength).toBe(bitLength);
    return tufTargets(targets).signed.delegations!.succinctRoles!;
  };

  it.each([1, 8, 14, 31, 32])("binFor gives tuf-js's getRoleForTarget for 1,000 paths at bit length %i", async (bitLength) => {
    const succinct = await succinctOf(bitLength);
    const paths = randomPaths(1000, bitLength);
    expect(paths.map((p) => binFor(p, bitLength))).toEqual(paths.map((p) => succinct.getRoleForTarget(p)));
  });

  it.each([
    [1, ["bins-0", "bins-1"]],
    [8, ["bins-00", "bins-01", "bins-fe", "bins-ff"]],
    [14, ["bins-0000", "bins-0001", "bins-3ffe", "bins-3fff"]],
  ])("names the bins of bit length %i like tuf-js", async (bitLength, ends) => {
    const names = allBinNames(bitLength);
    expect(names).toEqual([...(await succinctOf(bitLength)).getRoles()]);
    expect(names).toHaveLength(2 ** bitLength);
    expect(names.slice(0, 2)).toEqual(ends.slice(0, 2));
    expect(names.slice(-2)).toEqual(ends.slice(-2));
  });

  it("pads the names of 31- and 32-bit bins to 8 hex digits", async () => {
    expect(binName(0, 31)).toBe("bins-00000000");
    expect(binName(2 ** 31 - 1, 31)).toBe("bins-7fffffff");
    expect(binName(2 ** 32 - 1, 32)).toBe("bins-ffffffff");
    expect((await succinctOf(32)).getRoles().next().value).toBe(binName(0, 32));
    expect(binNumber("bins-ffffffff", 32)).toBe(2 ** 32 - 1);
    expect(binNumber("bins-80000000", 31)).toBe(-1);
  });

  it("recognises bin names as tuf-js does", async () => {
    const succinct = await succinctOf(14);
    for (const name of ["bins-0000", "bins-3fff", "bins-4000", "bins-000", "bins-00000", "bin-0000", "bins-00g0", "xbins-0000"]) {
      expect(binNumber(name, 14) >= 0, name).toBe(succinct.isDelegatedRole(name));
    }
    // tuf-js also takes upper-case hex; we never publish it, so we do not take it either.
    expect(binNumber("bins-3FFF", 14)).toBe(-1);
  });
});
