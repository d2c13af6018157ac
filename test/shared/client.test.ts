// TrustedMetadata decides what a client trusts (spec §5); every refusal here is one a client makes.
import { beforeAll, describe, expect, it } from "vitest";
import { MAX_LENGTH, MAX_ROOT_ROTATIONS, MetaFile, Metadata, Timestamp, TrustedMetadata, binFor, findTargetInfo, refresh, sha256Hex, type Snapshot } from "../../shared/index.js";
import {
  DAY, NOW, PATHS, type Repo, expectVerificationError, makeBin, makeRepo, makeRoot, makeSnapshot, makeTimestamp, newSigners, sign,
} from "./fixtures.js";

let repo: Repo;
beforeAll(async () => {
  repo = await makeRepo();
});

const file = (name: string) => repo.files.get(name)!;
const trust = (now = NOW) => new TrustedMetadata(file("1.root.json"), now);
const allRoles = () => Object.fromEntries([["targets", 1], ...[...repo.bins.keys()].map((b) => [b, 1])]);
const online = <T extends Snapshot | Timestamp>(md: T) => sign(md, repo.keys.online);

/** Timestamp and snapshot loaded from the fixture repository. */
function trustThroughSnapshot(now = NOW): TrustedMetadata {
  const trusted = trust(now);
  trusted.updateTimestamp(file("timestamp.json"));
  trusted.updateSnapshot(file("1.snapshot.json"));
  return trusted;
}

function trustThroughTargets(now = NOW): TrustedMetadata {
  const trusted = trustThroughSnapshot(now);
  trusted.updateTargets("targets", file("1.targets.json"));
  return trusted;
}

describe("a good chain", () => {
  it("verifies root, timestamp, snapshot, targets and bins", async () => {
    const bin = binFor(PATHS[0]!, 4);
    const trusted = await refresh(file("1.root.json"), repo.fetch, NOW, [bin, "bins-0"]);
    expect(trusted.timestamp?.signed.version).toBe(1);
    expect(trusted.snapshot?.signed.meta.size).toBe(17);
    expect([...trusted.targets.keys()].sort()).toEqual(["bins-0", bin, "targets"].sort());
    expect(trusted.targets.get(bin)?.signed.targets.get(PATHS[0]!)?.length).toBeGreaterThan(0);
  });

  it("finds a target's entry, loading and verifying only the bin it is in", async () => {
    const trusted = await refresh(file("1.root.json"), repo.fetch, NOW);
    const found = await findTargetInfo(trusted, repo.fetch, PATHS[0]!);
    expect(found).toEqual({ role: binFor(PATHS[0]!, 4), file: repo.bins.get(binFor(PATHS[0]!, 4))!.signed.targets.get(PATHS[0]!) });
    expect([...trusted.targets.keys()].sort()).toEqual([binFor(PATHS[0]!, 4), "targets"].sort());
    expect(await findTargetInfo(trusted, repo.fetch, "packages/no/such-1.0.tar.gz")).toBeNull();
  });

  it("refuses a trusted root that is not signed by its own threshold", async () => {
    const once = await sign(repo.root.signed, repo.keys.root[0]!);
    expectVerificationError(() => new TrustedMetadata(once.toBytes(), NOW), "threshold");
  });

  it("refuses a missing timestamp, snapshot or bin", async () => {
    const without = (name: string) => async (n: string) => (n === name ? null : file(n) ?? null);
    await expect(refresh(file("1.root.json"), without("timestamp.json"), NOW)).rejects.toMatchObject({ kind: "missing" });
    await expect(refresh(file("1.root.json"), without("1.snapshot.json"), NOW)).rejects.toMatchObject({ kind: "missing" });
    await expect(refresh(file("1.root.json"), repo.fetch, NOW, ["bins-10"])).rejects.toMatchObject({ kind: "missing" });
  });
});

describe("root rotation", () => {
  const rotated = async (version: number, signers: "old" | "new" | "both", expires = NOW + 365 * DAY) => {
    const newRoot = await newSigners(3);
    const root = makeRoot({ ...repo.keys, root: newRoot }, version, expires);
    const old = repo.keys.root.slice(1);
    return sign(root, ...(signers === "new" ? [] : old), ...(signers === "old" ? [] : newRoot.slice(0, 2)));
  };
  const rotatedBytes = { newOnly: "", oldOnly: "", skipped: "", both: "" };
  beforeAll(async () => {
    rotatedBytes.newOnly = (await rotated(2, "new")).toString();
    rotatedBytes.oldOnly = (await rotated(2, "old")).toString();
    rotatedBytes.skipped = (await rotated(3, "both")).toString();
    rotatedBytes.both = (await rotated(2, "both")).toString();
  });

  it("accepts N+1 signed by a threshold of the old and of the new root keys", async () => {
    const trusted = trust();
    trusted.updateRoot((await rotated(2, "both")).toBytes());
    expect(trusted.root.signed.version).toBe(2);
    expect(trusted.updateTimestamp(file("timestamp.json"))).toBe(true);
  });

  it("refuses N+1 signed only by the new keys", () => {
    expectVerificationError(() => trust().updateRoot(rotatedBytes.newOnly), "threshold");
  });

  it("refuses N+1 signed only by the old keys", () => {
    expectVerificationError(() => trust().updateRoot(rotatedBytes.oldOnly), "threshold");
  });

  it("refuses a version other than N+1", async () => {
    expectVerificationError(() => trust().updateRoot(rotatedBytes.skipped), "version");
    const same = await sign(repo.root.signed, ...repo.keys.root);
    expectVerificationError(() => trust().updateRoot(same.toBytes()), "version");
  });

  it("follows N+1.root.json until it is missing, then checks the final root's expiry", async () => {
    const files = new Map(repo.files);
    files.set("2.root.json", (await rotated(2, "both", NOW)).toBytes());
    const fetch = async (name: string) => files.get(name) ?? null;
    await expect(refresh(file("1.root.json"), fetch, NOW)).rejects.toMatchObject({ kind: "expired" });
    expect((await refresh(file("1.root.json"), fetch, NOW - 1)).root.signed.version).toBe(2);
  });

  it("follows at most 256 new roots in one refresh, as python-tuf does (a server cannot keep a client walking)", async () => {
    const files = new Map(repo.files);
    for (let v = 2; v <= 300; v++) files.set(`${v}.root.json`, (await sign(makeRoot(repo.keys, v), ...repo.keys.root)).toBytes());
    const asked: string[] = [];
    const trusted = await refresh(file("1.root.json"), async (name) => (asked.push(name), files.get(name) ?? null), NOW);
    expect(trusted.root.signed.version).toBe(1 + MAX_ROOT_ROTATIONS);
    expect(asked.filter((n) => n.endsWith(".root.json"))).toHaveLength(MAX_ROOT_ROTATIONS);
  });

  it("bounds every download: python-tuf's limits, or the length a trusted role states", async () => {
    const limits = new Map<string, number>();
    await refresh(file("1.root.json"), async (name, maxLength) => (limits.set(name, maxLength), repo.files.get(name) ?? null), NOW, ["bins-3"]);
    expect(Object.fromEntries(limits)).toEqual({
      "2.root.json": MAX_LENGTH.root,
      "timestamp.json": MAX_LENGTH.timestamp,
      "1.snapshot.json": file("1.snapshot.json").length, // timestamp states it
      "1.targets.json": MAX_LENGTH.targets, // the snapshot states versions only
      "1.bins-3.json": MAX_LENGTH.targets,
    });
  });

  it("refuses a new root once timestamp is trusted", async () => {
    const trusted = trust();
    trusted.updateTimestamp(file("timestamp.json"));
    expectVerificationError(() => trusted.updateRoot(rotatedBytes.both), "invalid");
  });
});

describe("timestamp", () => {
  const timestamp = async (version: number, snapshotVersion = 1, expires = NOW + DAY) => {
    const snapshot = await online(makeSnapshot(allRoles(), snapshotVersion));
    return (await online(makeTimestamp(snapshot, version, expires))).toBytes();
  };

  it("refuses a lower version than the trusted one", async () => {
    const trusted = trust();
    expect(trusted.updateTimestamp(await timestamp(2))).toBe(true);
    expectVerificationError(() => trusted.updateTimestamp(file("timestamp.json")), "rollback");
  });

  it("ignores the same version, keeping the trusted one", async () => {
    const trusted = trust();
    trusted.updateTimestamp(file("timestamp.json"));
    const first = trusted.timestamp;
    expect(trusted.updateTimestamp(await timestamp(1, 1, NOW + 2 * DAY))).toBe(false);
    expect(trusted.timestamp).toBe(first);
  });

  it("refuses a snapshot version lower than the trusted timestamp's", async () => {
    const trusted = trust();
    trusted.updateTimestamp(await timestamp(2, 2));
    const rolledBack = await timestamp(3, 1);
    expectVerificationError(() => trusted.updateTimestamp(rolledBack), "rollback");
  });

  it("refuses an expired timestamp, expiring exactly now", async () => {
    const expiredNow = await timestamp(1, 1, NOW);
    expectVerificationError(() => trust().updateTimestamp(expiredNow), "expired");
    expect(trust(NOW - 1).updateTimestamp(expiredNow)).toBe(true);
  });

  it("refuses a timestamp signed by a key other than the timestamp role's", async () => {
    const ts = await sign(repo.timestamp.signed, repo.keys.targets);
    expectVerificationError(() => trust().updateTimestamp(ts.toBytes()), "threshold");
  });
});

describe("snapshot", () => {
  /** Trusts the fixture's snapshot v1, then loads a timestamp v2 that names `next`. */
  const trustedThenTimestampFor = async (next: Metadata<Snapshot>) => {
    const trusted = trustThroughSnapshot();
    trusted.updateTimestamp((await online(makeTimestamp(next, 2))).toBytes());
    return trusted;
  };

  it("refuses bytes whose hash differs from the timestamp's", () => {
    const bytes = new Uint8Array(file("1.snapshot.json"));
    const at = bytes.length - 5; // inside the last signature's hex
    bytes[at] = bytes[at] === 0x30 ? 0x31 : 0x30;
    const trusted = trust();
    trusted.updateTimestamp(file("timestamp.json"));
    expectVerificationError(() => trusted.updateSnapshot(bytes), "hash");
  });

  it("refuses bytes whose length differs from the timestamp's", () => {
    const trusted = trust();
    trusted.updateTimestamp(file("timestamp.json"));
    expectVerificationError(() => trusted.updateSnapshot(new Uint8Array([...file("1.snapshot.json"), 0x20])), "length");
  });

  it("refuses a version other than the timestamp's", async () => {
    const snapshot = await online(makeSnapshot(allRoles(), 2));
    const bytes = snapshot.toBytes();
    const snapshotMeta = new MetaFile(1, bytes.length, { sha256: sha256Hex(bytes) });
    const ts = await online(new Timestamp({ version: 1, expires: NOW + DAY, snapshotMeta }));
    const trusted = trust();
    trusted.updateTimestamp(ts.toBytes());
    expectVerificationError(() => trusted.updateSnapshot(bytes), "version");
  });

  it("refuses a snapshot that drops a role the trusted one listed", async () => {
    const roles = allRoles();
    delete roles["bins-3"];
    const next = await online(makeSnapshot(roles, 2));
    const trusted = await trustedThenTimestampFor(next);
    expect(expectVerificationError(() => trusted.updateSnapshot(next.toBytes()), "missing").message).toContain("bins-3.json");
  });

  it("refuses a role whose version went back", async () => {
    const trusted = trust();
    const first = await online(makeSnapshot({ ...allRoles(), "bins-5": 2 }, 1));
    trusted.updateTimestamp((await online(makeTimestamp(first, 1))).toBytes());
    trusted.updateSnapshot(first.toBytes());
    const next = await online(makeSnapshot(allRoles(), 2));
    trusted.updateTimestamp((await online(makeTimestamp(next, 2))).toBytes());
    expectVerificationError(() => trusted.updateSnapshot(next.toBytes()), "rollback");
  });

  it("accepts a newer snapshot that keeps every role at its version or later", async () => {
    const next = await online(makeSnapshot({ ...allRoles(), "bins-5": 2, "bins-extra": 1 }, 2));
    const trusted = await trustedThenTimestampFor(next);
    expect(trusted.updateSnapshot(next.toBytes()).signed.version).toBe(2);
  });

  it("refuses an expired snapshot", async () => {
    const next = await online(makeSnapshot(allRoles(), 2, NOW));
    const trusted = await trustedThenTimestampFor(next);
    expectVerificationError(() => trusted.updateSnapshot(next.toBytes()), "expired");
  });

  it("refuses a snapshot signed by a key other than the snapshot role's", async () => {
    const next = await sign(makeSnapshot(allRoles(), 2), repo.keys.targets);
    const trusted = await trustedThenTimestampFor(next);
    expectVerificationError(() => trusted.updateSnapshot(next.toBytes()), "threshold");
  });

  it("needs a trusted timestamp first", () => {
    expectVerificationError(() => trust().updateSnapshot(file("1.snapshot.json")), "invalid");
  });
});

describe("targets and bins", () => {
  const bin = () => binFor(PATHS[0]!, 4);
  const binOf = (version = 1, expires = NOW + DAY) => makeBin(PATHS.filter((p) => binFor(p, 4) === bin()), version, expires);

  it("accepts a bin the snapshot lists, signed by the delegated key", () => {
    const trusted = trustThroughTargets();
    expect(trusted.updateTargets(bin(), file(`1.${bin()}.json`)).signed.targets.has(PATHS[0]!)).toBe(true);
  });

  it("refuses an expired bin", async () => {
    const expired = await sign(binOf(1, NOW), repo.keys.online);
    expectVerificationError(() => trustThroughTargets().updateTargets(bin(), expired.toBytes()), "expired");
  });

  it("refuses a bin signed by the wrong key", async () => {
    const forged = await sign(binOf(), repo.keys.targets);
    expectVerificationError(() => trustThroughTargets().updateTargets(bin(), forged.toBytes()), "threshold");
  });

  it("refuses a bin whose version is not the snapshot's", async () => {
    const newer = await sign(binOf(2), repo.keys.online);
    expectVerificationError(() => trustThroughTargets().updateTargets(bin(), newer.toBytes()), "version");
  });

  it("refuses a bin the snapshot does not list", () => {
    expectVerificationError(() => trustThroughTargets().updateTargets("bins-10", file("1.bins-0.json")), "missing");
  });

  it("refuses a bin before targets is trusted", () => {
    expectVerificationError(() => trustThroughSnapshot().updateTargets(bin(), file(`1.${bin()}.json`)), "invalid");
  });

  it("refuses targets signed by the online key", async () => {
    const forged = await sign(repo.targets.signed, repo.keys.online);
    expectVerificationError(() => trustThroughSnapshot().updateTargets("targets", forged.toBytes()), "threshold");
  });
});
