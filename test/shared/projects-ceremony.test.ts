// What the Worker checks of a PEP 480 targets ceremony before any job runs (shared/projects/ceremony.ts
// through shared/offline.ts verifyTargets; invariants 11 and 30): the layout's order, each submitted
// role's signatures and version, parts and claims well formed, claims' roles published, and key
// separation down to every claim.
import { beforeAll, describe, expect, test } from "vitest";
import { FieldError } from "../../shared/errors.js";
import { Metadata, Role, Root, type Signed, type Signer, Targets, DelegatedRole, Delegations } from "../../shared/index.js";
import { verifyTargets } from "../../shared/offline.js";
import {
  CLAIMED, type Claim, UNCLAIMED, claimDelegation, layoutDelegations, migrateToProjectLayout, planClaimed, unclaimedRole,
} from "../../shared/projects/index.js";
import { DAY, type ProjectKeys, projectKeys } from "../support/project-repo.js";

let k: ProjectKeys;
let root: Root;
const now = Date.now();
const year = now + 365 * DAY;
const sign = async <T extends Signed>(s: T, ...signers: Signer[]) => (await new Metadata(s).sign(signers)).toJSON();
const published = (versions: Record<string, number> = {}, roles: Record<string, Targets> = {}) => ({
  version: (name: string) => versions[name],
  role: (name: "claimed" | "unclaimed") => roles[name],
});
const fieldOf = (f: () => unknown) => {
  try {
    f();
  } catch (e) {
    if (e instanceof FieldError) return e.message.startsWith(e.field) ? e.message : `${e.field}: ${e.message}`;
    throw e;
  }
  return "accepted";
};

beforeAll(async () => {
  k = await projectKeys();
  root = new Root({
    version: 1, expires: year, keys: Object.fromEntries([k.root, k.offline, k.online].map((s) => [s.key.keyid, s.key])),
    roles: { root: new Role([k.root.key.keyid], 1), targets: new Role([k.offline.key.keyid], 1), snapshot: new Role([k.online.key.keyid], 1), timestamp: new Role([k.online.key.keyid], 1) },
  });
});

describe("the move and later ceremonies", () => {
  const move = () => migrateToProjectLayout(unclaimedRole([k.online.key], 4, 3, year), { offline: [k.offline.key], offlineThreshold: 1, online: [k.online.key] }, { offline: year, online: now + DAY });

  test("the move: targets with claimed and unclaimed v1 is accepted; the bins come from unclaimed", async () => {
    const m = move();
    const checked = verifyTargets(await sign(m.targets, k.offline), root, now, {
      roles: { claimed: await sign(m.roles.get(CLAIMED)!, k.offline), unclaimed: await sign(m.roles.get(UNCLAIMED)!, k.offline) }, published: published(),
    });
    expect(checked.bins.numberOfBins).toBe(16);
    expect(checked.online.recentlyClaimed?.keyids).toEqual([k.online.key.keyid]);
  });

  test("refused, naming the field", async () => {
    const m = move();
    const targets = await sign(m.targets, k.offline);
    const claimed = await sign(m.roles.get(CLAIMED)!, k.offline);
    const unclaimed = await sign(m.roles.get(UNCLAIMED)!, k.offline);
    const check = (roles: Record<string, unknown>, t: unknown = targets, p = published()) => fieldOf(() => verifyTargets(t, root, now, { roles, published: p }));
    expect(check({ claimed })).toMatch(/^roles\.unclaimed: .*not published yet/);
    expect(check({ claimed, unclaimed: await sign(m.roles.get(UNCLAIMED)!, k.online) })).toMatch(/^roles\.unclaimed: /);
    expect(check({ claimed, unclaimed, other: claimed })).toMatch(/^roles\.other: /);
    expect(check({ claimed, unclaimed }, targets, published({ claimed: 1 }))).toMatch(/^roles\.claimed\.signed\.version: must be greater/);
    // The layout's order is what clients search: claimed first, or recently-claimed could shadow a claim.
    const reordered = new Targets({ version: 4, expires: year, delegations: new Delegations(m.targets.delegations!.keys, [...m.targets.delegations!.roles!].reverse()) });
    expect(check({ claimed, unclaimed }, await sign(reordered, k.offline))).not.toBe("accepted");
    // Key separation: claimed signed by the online key (targets delegating it so).
    const onlineClaimed = new Targets({ version: 4, expires: year, delegations: layoutDelegations({ offline: [k.online.key], offlineThreshold: 1, online: [k.online.key] }) });
    expect(check({ claimed: await sign(m.roles.get(CLAIMED)!, k.online), unclaimed: await sign(m.roles.get(UNCLAIMED)!, k.online) }, await sign(onlineClaimed, k.offline))).toMatch(/must not list an online key/);
  });

  test("a claims ceremony: parts of terminating claims whose roles are published, none signed by an online key", async () => {
    const m = move();
    const targets = await sign(m.targets, k.offline);
    const unclaimed = m.roles.get(UNCLAIMED)!;
    const demo: Claim = { project: "demo", keys: [k.alice.key], threshold: 1 };
    const ceremony = async (claims: Claim[], edit: (part: Targets) => Targets = (p) => p) => {
      const plan = planClaimed(claims, { offline: [k.offline.key], threshold: 1 }, 2, year);
      const roles: Record<string, unknown> = { claimed: await sign(plan.claimed, k.offline) };
      for (const [name, part] of plan.parts) roles[name] = await sign(edit(part), k.offline);
      return fieldOf(() => verifyTargets(targets, root, now, { roles, published: published({ claimed: 1, unclaimed: 1, "recently-claimed": 3, "project-demo": 1 }, { unclaimed }) }));
    };
    expect(await ceremony([demo])).toBe("accepted");
    expect(await ceremony([demo, { project: "zeta", keys: [k.bob.key], threshold: 1 }])).toMatch(/project-zeta has no published role/);
    expect(await ceremony([{ ...demo, keys: [k.online.key] }])).toMatch(/the online key cannot sign for a claimed project/);
    const loose = (p: Targets) => new Targets({ version: p.version, expires: p.expires, delegations: new Delegations(p.delegations!.keys, p.delegations!.roles!.map((r) => new DelegatedRole(r.name, r.keyids, r.threshold, false, r.paths))) });
    expect(await ceremony([demo], loose)).toMatch(/a claim is terminating/);
    const misnamed = (p: Targets) => new Targets({ version: p.version, expires: p.expires, delegations: new Delegations(p.delegations!.keys, [new DelegatedRole("bins-0", [k.alice.key.keyid], 1, true, claimDelegation(demo).paths)]) });
    expect(await ceremony([demo], misnamed)).toMatch(/not a claim's role name/);
  });
});
