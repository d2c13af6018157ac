// claimed's parts (shared/projects/claimed.ts): bounded, and every claim's files and pages reach
// exactly its part, then its delegation, as tuf-js walks them.
import { Metadata as TufMetadata, MetadataKind } from "@tufjs/models";
import { beforeAll, describe, expect, test } from "vitest";
import { Metadata, type Key, type Targets } from "../../shared/index.js";
import { type Claim, CLAIMED, canonicalSpelling, claimRoleName, fold, matchesAny, partName, partPatterns, planClaimed, prefixesOfPart } from "../../shared/projects/index.js";
import { newSigner } from "./fixtures.js";

let key: Key;
beforeAll(async () => {
  key = (await newSigner()).key;
});

/** Deterministic project names crowding on common starts (`py…`, `django-…`), as PyPI's do. */
function names(count: number): string[] {
  const starts = ["py", "py", "py", "django-", "a", "b", "c", "flask-", "x", "z9", "types-"];
  // A multiplicative hash scatters the tails; the counter keeps them unique.
  return Array.from({ length: count }, (_, i) => `${starts[i % starts.length]}${(Math.imul(i + 1, 2654435761) >>> 0).toString(36)}${i.toString(36)}`);
}

/** The tuf-js view of a role we built (served bytes, unsigned is fine for matching). */
const tuf = (t: Targets) => TufMetadata.fromJSON(MetadataKind.Targets, JSON.parse(new Metadata(t).toString())).signed;

describe("claimed splits into bounded parts", () => {
  const claimsOf = (list: string[]): Claim[] => list.map((project) => ({ project, keys: [key], threshold: 1 }));

  test("few claims: one part, claimed-all, covering every claimable path", () => {
    const plan = planClaimed(claimsOf(["demo", "zeta"]), { offline: [key], threshold: 1 }, 1, Date.UTC(2030, 0, 1));
    expect([...plan.parts.keys()]).toEqual(["claimed-all"]);
    // No claim signs its pages: the part covers file names only, and pages stay with the bins.
    expect(plan.claimed.delegations!.roles!.map((r) => r.paths)).toEqual([["packages/*/*", "packages/*/*/*/*"]]);
    const withPages = planClaimed([...claimsOf(["demo"]), { ...claimsOf(["zeta"])[0]!, pages: true }], { offline: [key], threshold: 1 }, 1, Date.UTC(2030, 0, 1));
    expect(withPages.claimed.delegations!.roles!.map((r) => r.paths)).toEqual([partPatterns("")]);
  });

  test("3,000 claims at most 200 a part; each claim's files and page reach its part and then its delegation in tuf-js", () => {
    const list = names(3000);
    const claims = claimsOf(list).map((c, i) => (i % 50 === 0 ? { ...c, spellings: [c.project.toUpperCase()], pages: true } : c));
    const plan = planClaimed(claims, { offline: [key], threshold: 1 }, 1, Date.UTC(2030, 0, 1), { maxPerPart: 200 });
    const sizes = [...plan.parts.values()].map((p) => p.delegations!.roles!.length);
    expect(Math.max(...sizes)).toBeLessThanOrEqual(200);
    // At least 3,000/200 parts; neighbouring small groups are packed, so not one part per prefix.
    expect(plan.parts.size).toBeGreaterThanOrEqual(15);
    expect(plan.parts.size).toBeLessThan(40);
    expect(sizes.reduce((a, b) => a + b)).toBe(3000); // no spelling folds apart here: each claim in one part
    // Crowded starts split deeper: `py` does not fit one part.
    expect([...plan.parts.keys()].some((n) => n.startsWith(`${CLAIMED}-py`) && n.length > `${CLAIMED}-py`.length)).toBe(true);

    const claimed = tuf(plan.claimed);
    const parts = new Map([...plan.parts].map(([n, p]) => [n, tuf(p)]));
    for (const claim of claims.filter((_, i) => i % 7 === 0)) {
      const files = [
        `packages/ab/cd/0123/${canonicalSpelling(claim.project)}-1.0-py3-none-any.whl`,
        `packages/x/${canonicalSpelling(claim.project)}-1.0.tar.gz`,
        ...(claim.spellings ?? []).map((s) => `packages/ab/cd/0123/${s}-0.1.tar.gz`),
        ...(claim.pages ? [`simple/${claim.project}/vnd.pypi.simple.v1.json`] : []),
      ];
      for (const path of files) {
        const reached = claimed.delegations!.rolesForTarget(path);
        const partNames = [...reached].map((r) => r.role);
        expect([path, partNames.length]).toEqual([path, 1]);
        const inPart = [...parts.get(partNames[0]!)!.delegations!.rolesForTarget(path)];
        expect([path, inPart]).toEqual([path, [{ role: claimRoleName(claim), terminating: true }]]);
      }
    }
  });

  test("prefixesOfPart reads a part's patterns back: a file name folds to one of its prefixes exactly when the part's globs match it", () => {
    const list = names(3000);
    const plan = planClaimed(claimsOf(list), { offline: [key], threshold: 1 }, 1, Date.UTC(2030, 0, 1), { maxPerPart: 200 });
    const parts = plan.claimed.delegations!.roles!;
    const candidates = [...list.slice(0, 400).map((p) => `${canonicalSpelling(p)}-1.0.tar.gz`), "Django-1.0.tar.gz", "py-1.0.tar.gz", "PY_x-2.whl", "zz", "a.b-1.0.zip", "0-1.tar.gz"];
    for (const file of candidates) {
      for (const dir of ["packages/x", "packages/ab/cd/ef"]) {
        const path = `${dir}/${file}`;
        for (const part of parts) {
          const byPrefix = prefixesOfPart(part.paths!).some((p) => fold(file).startsWith(p));
          expect([path, part.name, byPrefix]).toEqual([path, part.name, matchesAny(part.paths!, path)]);
        }
      }
    }
  });

  test("folded prefixes: case and -_. are one, so legacy spellings share the canonical part", () => {
    expect(fold("Zope.Interface-")).toBe("zope_interface_");
    expect(partName("py_")).toBe("claimed-py_");
    expect(partPatterns("py_")).toEqual(["packages/*/[pP][yY][-_.]*", "packages/*/*/*/[pP][yY][-_.]*", "simple/py/*", "simple/py-*/*"]);
  });
});
