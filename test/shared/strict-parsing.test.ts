// Metadata a real client would refuse must not parse here either (the fields python-tuf and tuf-js insist on).
import { beforeAll, describe, expect, it } from "vitest";
import { Metadata } from "../../shared/index.js";
import { type Repo, PATHS, expectFieldError, makeRepo, served } from "./fixtures.js";

const HEX64 = "a".repeat(64);

describe("strict parsing", () => {
  let repo: Repo;
  const rootJSON = () => served(repo.root);
  const targetsJSON = () => served(repo.targets);
  const binJSON = () => served([...repo.bins.values()].find((b) => b.signed.targets.has(PATHS[0]!))!);
  /** targets delegating to one named role instead of succinct bins (PEP 480 style). */
  const namedJSON = () => {
    const json = targetsJSON();
    const { keyids } = json.signed.delegations.succinct_roles;
    delete json.signed.delegations.succinct_roles;
    json.signed.delegations.roles = [{ name: "project-a", keyids, threshold: 1, terminating: true, paths: ["packages/*/*"] }];
    return json;
  };

  beforeAll(async () => {
    repo = await makeRepo();
  });

  it("accepts the unmodified files", () => {
    expect(Metadata.fromJSON(rootJSON(), "root").signed.version).toBe(1);
    expect(Metadata.fromJSON(namedJSON(), "targets").signed.delegations?.roles?.[0]?.name).toBe("project-a");
    expect(Metadata.fromJSON(binJSON(), "targets").signed.targets.size).toBeGreaterThan(0);
  });

  describe("root", () => {
    it("refuses roles other than exactly root, targets, snapshot, timestamp", () => {
      const missing = rootJSON();
      delete missing.signed.roles.timestamp;
      expectFieldError(() => Metadata.fromJSON(missing, "root"), "signed.roles");
      const extra = rootJSON();
      extra.signed.roles.mirror = extra.signed.roles.timestamp;
      expectFieldError(() => Metadata.fromJSON(extra, "root"), "signed.roles");
    });

    it("refuses a keyid a role lists but keys lacks", () => {
      const json = rootJSON();
      json.signed.roles.snapshot.keyids.push(HEX64);
      expectFieldError(() => Metadata.fromJSON(json, "root"), "signed.roles.snapshot.keyids");
    });

    it("refuses a key filed under a keyid that is not its own", () => {
      const json = rootJSON();
      json.signed.keys[HEX64] = Object.values(json.signed.keys)[0];
      expectFieldError(() => Metadata.fromJSON(json, "root"), `signed.keys.${HEX64}`);
    });

    it("refuses a threshold below 1 and a repeated keyid", () => {
      const zero = rootJSON();
      zero.signed.roles.root.threshold = 0;
      expectFieldError(() => Metadata.fromJSON(zero, "root"), "signed.roles.root.threshold");
      const twice = rootJSON();
      twice.signed.roles.root.keyids.push(twice.signed.roles.root.keyids[0]);
      expectFieldError(() => Metadata.fromJSON(twice, "root"), "signed.roles.root.keyids");
    });

    it("requires consistent_snapshot", () => {
      const json = rootJSON();
      delete json.signed.consistent_snapshot;
      expectFieldError(() => Metadata.fromJSON(json, "root"), "signed.consistent_snapshot");
    });
  });

  describe("common fields", () => {
    it.each(["2.0.0", "2.0", "0.9.0", "1", "v1.0.31", "1.0.31-rc1", ""])("refuses spec_version %j", (v) => {
      const json = rootJSON();
      json.signed.spec_version = v;
      expectFieldError(() => Metadata.fromJSON(json, "root"), "signed.spec_version");
    });

    it.each(["1.0.31", "1.0.34", "1.0", "1.1.0"])("accepts spec_version %j", (v) => {
      const json = rootJSON();
      json.signed.spec_version = v;
      expect(Metadata.fromJSON(json, "root").signed.specVersion).toBe(v);
    });

    it("refuses the wrong _type, a version of 0 or a float version", () => {
      expectFieldError(() => Metadata.fromJSON(targetsJSON(), "root"), "signed._type");
      for (const version of [0, 1.5, "1"]) {
        const json = targetsJSON();
        json.signed.version = version;
        expectFieldError(() => Metadata.fromJSON(json, "targets"), "signed.version");
      }
    });

    it("refuses an envelope without signatures or signed", () => {
      const json = targetsJSON();
      delete json.signatures;
      expectFieldError(() => Metadata.fromJSON(json, "targets"), "signatures");
      expectFieldError(() => Metadata.fromJSON({ signatures: [] }, "targets"), "signed");
      expectFieldError(() => Metadata.parse("{not json", "targets"), "");
    });
  });

  describe("timestamp and snapshot", () => {
    it("refuses timestamp meta with anything besides snapshot.json", () => {
      const json = served(repo.timestamp);
      json.signed.meta["targets.json"] = { version: 1 };
      expectFieldError(() => Metadata.fromJSON(json, "timestamp"), "signed.meta");
      const renamed = served(repo.timestamp);
      renamed.signed.meta = { "snapshot.JSON": renamed.signed.meta["snapshot.json"] };
      expectFieldError(() => Metadata.fromJSON(renamed, "timestamp"), "signed.meta");
    });

    it("refuses blake2b-256 in meta hashes", () => {
      const json = served(repo.timestamp);
      json.signed.meta["snapshot.json"].hashes["blake2b-256"] = HEX64;
      expectFieldError(() => Metadata.fromJSON(json, "timestamp"), "signed.meta.snapshot.json.hashes.blake2b-256");
    });

    it("refuses a snapshot without targets.json", () => {
      const json = served(repo.snapshot);
      delete json.signed.meta["targets.json"];
      expectFieldError(() => Metadata.fromJSON(json, "snapshot"), "signed.meta");
    });
  });

  describe("targets", () => {
    const path = () => PATHS[0]!;
    const withFile = (change: (file: any) => void) => {
      const json = binJSON();
      change(json.signed.targets[path()]);
      return () => Metadata.fromJSON(json, "targets");
    };

    it("refuses a target with empty or missing hashes", () => {
      expectFieldError(withFile((f) => (f.hashes = {})), `signed.targets.${path()}.hashes`);
      expectFieldError(withFile((f) => delete f.hashes), `signed.targets.${path()}.hashes`);
    });

    it("refuses blake2b-256 and malformed hashes", () => {
      expectFieldError(withFile((f) => (f.hashes["blake2b-256"] = HEX64)), `signed.targets.${path()}.hashes.blake2b-256`);
      expectFieldError(withFile((f) => (f.hashes = { "blake2b-256": HEX64 })), `signed.targets.${path()}.hashes.blake2b-256`);
      expectFieldError(withFile((f) => (f.hashes.sha256 = HEX64.toUpperCase())), `signed.targets.${path()}.hashes.sha256`);
      expectFieldError(withFile((f) => (f.hashes.sha512 = HEX64)), `signed.targets.${path()}.hashes.sha512`);
    });

    it.each(["constructor", "__proto__", "toString", "SHA256"])("refuses the hash algorithm %j", (alg) => {
      const addHash = withFile((f) => Object.defineProperty(f.hashes, alg, { value: HEX64, enumerable: true }));
      const e = expectFieldError(addHash, `signed.targets.${path()}.hashes.${alg}`);
      expect(e.reason).toContain("unsupported hash algorithm");
    });

    it("refuses a missing or negative length", () => {
      expectFieldError(withFile((f) => delete f.length), `signed.targets.${path()}.length`);
      expectFieldError(withFile((f) => (f.length = -1)), `signed.targets.${path()}.length`);
    });

    it("refuses delegations with both or neither of roles and succinct_roles", () => {
      const both = namedJSON();
      both.signed.delegations.succinct_roles = targetsJSON().signed.delegations.succinct_roles;
      expectFieldError(() => Metadata.fromJSON(both, "targets"), "signed.delegations");
      const neither = namedJSON();
      delete neither.signed.delegations.roles;
      expectFieldError(() => Metadata.fromJSON(neither, "targets"), "signed.delegations");
    });

    it("refuses a delegated role with both or neither of paths and path_hash_prefixes", () => {
      const both = namedJSON();
      both.signed.delegations.roles[0].path_hash_prefixes = ["ab"];
      expectFieldError(() => Metadata.fromJSON(both, "targets"), "signed.delegations.roles[0].paths");
      const neither = namedJSON();
      delete neither.signed.delegations.roles[0].paths;
      expectFieldError(() => Metadata.fromJSON(neither, "targets"), "signed.delegations.roles[0].paths");
    });

    it("refuses a delegated role without terminating, or repeated", () => {
      const json = namedJSON();
      delete json.signed.delegations.roles[0].terminating;
      expectFieldError(() => Metadata.fromJSON(json, "targets"), "signed.delegations.roles[0].terminating");
      const twice = namedJSON();
      twice.signed.delegations.roles.push(twice.signed.delegations.roles[0]);
      expectFieldError(() => Metadata.fromJSON(twice, "targets"), "signed.delegations.roles");
    });

    it("refuses a delegated keyid missing from delegations.keys", () => {
      const succinct = targetsJSON();
      succinct.signed.delegations.succinct_roles.keyids.push(HEX64);
      expectFieldError(() => Metadata.fromJSON(succinct, "targets"), "signed.delegations.succinct_roles.keyids");
      const named = namedJSON();
      named.signed.delegations.roles[0].keyids = [HEX64];
      expectFieldError(() => Metadata.fromJSON(named, "targets"), "signed.delegations.project-a.keyids");
    });

    it("refuses a delegation that lists a keyid twice, as tuf-js does", () => {
      const succinct = targetsJSON();
      const { keyids } = succinct.signed.delegations.succinct_roles;
      keyids.push(keyids[0]);
      expectFieldError(() => Metadata.fromJSON(succinct, "targets"), "signed.delegations.succinct_roles.keyids");
      const named = namedJSON();
      named.signed.delegations.roles[0].keyids.push(keyids[0]);
      expectFieldError(() => Metadata.fromJSON(named, "targets"), "signed.delegations.roles[0].keyids");
    });

    it.each([0, 33])("refuses succinct bit_length %i", (bits) => {
      const json = targetsJSON();
      json.signed.delegations.succinct_roles.bit_length = bits;
      expectFieldError(() => Metadata.fromJSON(json, "targets"), "signed.delegations.succinct_roles.bit_length");
    });
  });
});
