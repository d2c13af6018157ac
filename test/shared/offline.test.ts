// The checks on offline-signed metadata before the Worker publishes it (invariant 7), as pure functions:
// the door runs them without any key; checkOnlineKeys is the writer's, with the key ids it holds.
import { beforeAll, describe, expect, it } from "vitest";
import { Role, Root } from "../../shared/index.js";
import { checkOnlineKeys, verifyBootstrap, verifyNextRoot } from "../../shared/offline.js";
import { NOW, type Repo, expectFieldError, expectVerificationError, makeRepo, makeRoot, makeTargets, newSigner, sign } from "./fixtures.js";

let repo: Repo;
beforeAll(async () => {
  repo = await makeRepo();
});

const json = (md: { toJSON(): unknown }) => JSON.parse(JSON.stringify(md.toJSON()));

describe("verifyBootstrap", () => {
  it("accepts root v1 signed by its threshold and targets delegating to succinct bins", () => {
    const { root, bins } = verifyBootstrap(json(repo.root), json(repo.targets), NOW);
    expect(root.signed.version).toBe(1);
    expect(bins.numberOfBins).toBe(16);
  });

  it("refuses a root whose targets role lists an online key, naming the field", async () => {
    const r = makeRoot(repo.keys);
    const mixed = new Root({ ...r, roles: { ...r.roles, targets: new Role([repo.keys.targets.key.keyid, repo.keys.online.key.keyid], 1) } });
    const signed = await sign(mixed, ...repo.keys.root);
    expectFieldError(() => verifyBootstrap(json(signed), json(repo.targets), NOW), "root.signed.roles.targets.keyids");
  });

  // Key separation (invariant 7) for each offline role and each online source of a key: a key that
  // signs timestamp, snapshot or the succinct bins (each its own key here) must sign neither root
  // nor targets. The same layout without the shared key is accepted, so the overlap is the reason.
  describe.each(["root", "targets"] as const)("key separation: the offline role %s", (offline) => {
    it.each(["timestamp", "snapshot", "bins"] as const)("refuses a key that also signs %s, naming the field", async (source) => {
      const [timestampKey, snapshotKey, binsKey] = await Promise.all([newSigner(), newSigner(), newSigner()]);
      const online = { timestamp: timestampKey, snapshot: snapshotKey, bins: binsKey };
      const build = async (shared: boolean) => {
        const r = makeRoot(repo.keys);
        const role = r.roles[offline];
        const keys = { ...r.keys, ...Object.fromEntries(Object.values(online).map((k) => [k.key.keyid, k.key])) };
        const roles = {
          ...r.roles,
          timestamp: new Role([timestampKey.key.keyid], 1),
          snapshot: new Role([snapshotKey.key.keyid], 1),
          [offline]: new Role(shared ? [...role.keyids, online[source].key.keyid] : [...role.keyids], role.threshold),
        };
        const root = await sign(new Root({ ...r, keys, roles }), ...repo.keys.root);
        const targets = await sign(makeTargets([binsKey]), repo.keys.targets);
        return () => verifyBootstrap(json(root), json(targets), NOW);
      };
      expect((await build(false))().bins.numberOfBins).toBe(16);
      const e = expectFieldError(await build(true), `root.signed.roles.${offline}.keyids`);
      expect(e.message).toContain(online[source].key.keyid);
    });
  });

  it("refuses an expired root", async () => {
    const expired = await sign(makeRoot(repo.keys, 1, NOW - 1000), ...repo.keys.root);
    expectVerificationError(() => verifyBootstrap(json(expired), json(repo.targets), NOW), "expired");
  });
});

describe("verifyNextRoot: the client's chain rule", () => {
  it("refuses N+2 after N", async () => {
    const skipped = await sign(makeRoot(repo.keys, 3), ...repo.keys.root);
    expectVerificationError(() => verifyNextRoot(json(skipped), repo.root.signed, NOW), "version");
  });

  it("accepts N+1 signed by both thresholds", async () => {
    const next = await sign(makeRoot(repo.keys, 2), ...repo.keys.root);
    expect(verifyNextRoot(json(next), repo.root.signed, NOW).signed.version).toBe(2);
  });
});

describe("checkOnlineKeys: the writer's half", () => {
  const bins = () => repo.targets.signed.delegations!.succinctRoles!;

  it("passes with the key the online roles name, and with a second one beside it (ONLINE_KEY_NEXT)", async () => {
    checkOnlineKeys(repo.root.signed, { bins: bins() }, [repo.keys.online.key.keyid]);
    checkOnlineKeys(repo.root.signed, { bins: bins() }, [repo.keys.online.key.keyid, (await newSigner()).key.keyid]);
  });

  it("refuses when the writer holds none of them, naming the role", async () => {
    const other = (await newSigner()).key.keyid;
    const e = expectFieldError(() => checkOnlineKeys(repo.root.signed, { bins: bins() }, [other]), "root.signed.roles.timestamp.keyids");
    expect(e.message).toContain(other);
  });
});
