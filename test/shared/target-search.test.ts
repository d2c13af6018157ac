// Where a target is found (spec §5.6.7), as python-tuf searches: the same rules for our client and the Worker.
import { describe, expect, it } from "vitest";
import { DelegatedRole, Delegations, SuccinctRoles, TargetFile, Targets, binFor, sha256Hex } from "../../shared/index.js";
import { MAX_DELEGATIONS, rolesForTarget, searchTarget } from "../../shared/target-search.js";
import { NOW } from "./fixtures.js";

const file = new TargetFile(1, { sha256: "00".repeat(32) });
const role = (name: string, paths: string[], terminating = false) => new DelegatedRole(name, [], 1, terminating, paths);
const delegating = (roles: DelegatedRole[], listed: string[] = []) =>
  new Targets({ version: 1, expires: NOW, targets: new Map(listed.map((p) => [p, file])), delegations: new Delegations({}, roles) });

/** Runs the search over `roles` by name, returning what it found and the roles it loaded, in order. */
async function search(path: string, roles: Record<string, Targets>) {
  const loaded: string[] = [];
  const found = await searchTarget(path, async (name, delegator) => {
    loaded.push(`${delegator}>${name}`);
    return roles[name] ?? null;
  });
  return { found, loaded };
}

describe("rolesForTarget (python-tuf's Delegations.get_roles_for_target)", () => {
  it("with succinct bins: the one bin of the path, terminating", () => {
    const bins = new Delegations({}, undefined, new SuccinctRoles([], 1, 4, "bins"));
    expect(rolesForTarget(bins, "a/b.whl")).toEqual([{ name: binFor("a/b.whl", 4), terminating: true }]);
  });

  it("with named roles: those whose paths or hash prefixes match, in their order", () => {
    const prefix = sha256Hex("pkgs/x.whl").slice(0, 2);
    const byHash = new DelegatedRole("by-hash", [], 1, false, undefined, [prefix]);
    const delegations = new Delegations({}, [role("other", ["docs/*"]), role("b", ["pkgs/*"], true), byHash, role("a", ["*/x.whl"])]);
    expect(rolesForTarget(delegations, "pkgs/x.whl")).toEqual([
      { name: "b", terminating: true },
      { name: "by-hash", terminating: false },
      { name: "a", terminating: false },
    ]);
  });
});

describe("searchTarget (pre-order depth-first, python-tuf's _preorder_depth_first_walk)", () => {
  it("finds the entry in targets itself first", async () => {
    const { found, loaded } = await search("p/x.whl", { targets: delegating([role("a", ["p/*"])], ["p/x.whl"]) });
    expect(found).toEqual({ role: "targets", file });
    expect(loaded).toEqual(["root>targets"]);
  });

  it("descends depth first, in delegation order, each role once", async () => {
    const roles = {
      targets: delegating([role("a", ["p/*"]), role("b", ["p/*"])]),
      a: delegating([role("a1", ["p/*"]), role("b", ["p/*"])]),
      a1: delegating([]),
      b: delegating([], ["p/x.whl"]),
    };
    const { found, loaded } = await search("p/x.whl", roles);
    expect(found?.role).toBe("b");
    expect(loaded).toEqual(["root>targets", "targets>a", "a>a1", "a>b"]);
  });

  it("a terminating delegation ends the search: later roles are not visited", async () => {
    const roles = {
      targets: delegating([role("a", ["p/*"]), role("b", ["p/*"])]),
      a: delegating([role("a1", ["p/*"], true), role("a2", ["p/*"])]),
      a1: delegating([]),
      b: delegating([], ["p/x.whl"]),
    };
    const { found, loaded } = await search("p/x.whl", roles);
    expect(found).toBeNull();
    expect(loaded).toEqual(["root>targets", "targets>a", "a>a1"]);
  });

  it(`visits at most ${MAX_DELEGATIONS} roles`, async () => {
    const roles: Record<string, Targets> = { targets: delegating([role("r0", ["p/*"])]) };
    for (let i = 0; i < 40; i++) roles[`r${i}`] = delegating([role(`r${i + 1}`, ["p/*"])], i === 35 ? ["p/x.whl"] : []);
    const { found, loaded } = await search("p/x.whl", roles);
    expect(found).toBeNull();
    expect(loaded).toHaveLength(MAX_DELEGATIONS);
  });
});
