// Claim patterns (shared/projects/patterns.ts): on file names, per TUF's per-segment globs, checked
// against tuf-js's matcher; claims that would cover another project's files refused.
import { DelegatedRole as TufDelegatedRole } from "@tufjs/models/dist/role.js";
import { describe, expect, test } from "vitest";
import {
  PUSH_WINDOW_SECONDS, ProjectRefusal, checkClaimCoversOnlyItsOwn, checkPushSignature, legacySpellings, parsePushAuthorization, pushAuthorization, checkNoOverlap, claimPatterns, claimsCovering, filenameSpelling, isClaimableShape,
  partPatterns, patternWithin, patternsOverlap, subPatterns,
} from "../../shared/projects/index.js";
import { ed25519Signer, globMatches, randomSeed, utf8 } from "../../shared/index.js";

const refusal = (fn: () => unknown): ProjectRefusal => {
  try {
    fn();
  } catch (e) {
    if (e instanceof ProjectRefusal) return e;
    throw e;
  }
  throw new Error("not refused");
};

const PYPI = "packages/ab/cd/0123456789";
const DEMO = [
  `${PYPI}/demo-1.0.tar.gz`,
  `${PYPI}/demo-1.0-py3-none-any.whl`,
  `${PYPI}/demo-1.0-py3-none-any.whl.metadata`,
  `${PYPI}/demo-1.0.tar.gz.provenance`,
  "packages/demo/demo-0.1-py3-none-any.whl",
  "packages/source/d/demo/demo-0.9.tar.gz",
];
const NOT_DEMO = [
  `${PYPI}/demo_x-1.0-py3-none-any.whl`, // demo-x's wheel
  `${PYPI}/demox-1.0.tar.gz`,
  `${PYPI}/Demo-1.0.tar.gz`, // a legacy spelling, not claimed unless listed
  "packages/ab/cd/demo-1.0.tar.gz", // a depth the claim does not cover
  "simple/demo/vnd.pypi.simple.v1.json", // pages stay the index's unless the project signs them
  "demo-1.0.tar.gz",
];

describe("a project's patterns", () => {
  test("cover its files at every shape, its .metadata and .provenance; nothing of other projects", () => {
    const patterns = claimPatterns({ project: "demo" });
    expect(patterns).toEqual(["packages/*/demo-*", "packages/*/*/*/demo-*"]);
    for (const path of DEMO) expect([path, patterns.some((p) => globMatches(p, path))]).toEqual([path, true]);
    for (const path of NOT_DEMO) expect([path, patterns.some((p) => globMatches(p, path))]).toEqual([path, false]);
  });

  test("use the normalized name with _ (wheel and PEP 625 sdist names), legacy spellings when listed, pages when signed", () => {
    expect(claimPatterns({ project: "Zope.Interface", spellings: ["zope.interface"], pages: true })).toEqual([
      "packages/*/zope_interface-*", "packages/*/*/*/zope_interface-*",
      "packages/*/zope.interface-*", "packages/*/*/*/zope.interface-*",
      "simple/zope-interface/*",
    ]);
    expect(refusal(() => claimPatterns({ project: "django", spellings: ["Flask"] })).reason).toBe("malformed");
    expect(refusal(() => claimPatterns({ project: "demo/*" })).reason).toBe("malformed");
  });

  test("match in tuf-js exactly as in our matcher (minimatch per segment), char classes included", () => {
    const patterns = [...claimPatterns({ project: "demo", spellings: ["Demo"], pages: true }), ...partPatterns("de_"), ...partPatterns("d"), ...partPatterns("")];
    const paths = [...DEMO, ...NOT_DEMO, `${PYPI}/DE.mo-1.tar.gz`, `${PYPI}/de_x-1.whl`, "simple/de/x", "simple/de-x/x", "simple/dex/x"];
    for (const pattern of patterns) {
      const theirs = new TufDelegatedRole({ name: "r", keyIDs: [], threshold: 1, terminating: true, paths: [pattern] });
      for (const path of paths) expect([pattern, path, globMatches(pattern, path)]).toEqual([pattern, path, theirs.isDelegatedPath(path)]);
    }
    // Where clients differ among themselves: minimatch's `*` skips a leading dot, fnmatch's (python-tuf)
    // and ours do not. No dist file name starts with a dot (parseDistFilename), so no claim depends on it.
    const star = new TufDelegatedRole({ name: "r", keyIDs: [], threshold: 1, terminating: true, paths: ["packages/*"] });
    expect([star.isDelegatedPath("packages/.x"), globMatches("packages/*", "packages/.x")]).toEqual([false, true]);
  });

  test("legacy spellings: what a claim must list to cover the project's old files", () => {
    const published = [`${PYPI}/Django-1.0.tar.gz`, `${PYPI}/django-2.0.tar.gz`, `${PYPI}/Django-1.0-py2-none-any.whl.metadata`, `${PYPI}/django_x-1.0.tar.gz`, "simple/django/x"];
    expect(legacySpellings("django", published)).toEqual(["Django"]);
    expect(legacySpellings("zope.interface", [`${PYPI}/zope.interface-4.0.zip`, `${PYPI}/zope_interface-5.0.tar.gz`])).toEqual(["zope.interface"]);
    const claim = { project: "django", spellings: legacySpellings("django", published) };
    expect(() => checkClaimCoversOnlyItsOwn(claim, published)).not.toThrow();
    expect(published.filter((p) => claimPatterns(claim).some((g) => globMatches(g, p)))).toEqual(published.slice(0, 3));
  });

  test("file names: the spelling a dist file uses", () => {
    expect(filenameSpelling("Django-1.0.tar.gz")).toBe("Django");
    expect(filenameSpelling("zope.interface-4.0.zip")).toBe("zope.interface");
    expect(filenameSpelling("foo-bar-1.0.tar.gz")).toBe("foo-bar");
    expect(filenameSpelling("demo_x-1.0-py3-none-any.whl")).toBe("demo_x");
    expect(filenameSpelling("README")).toBeNull();
  });
});

describe("claims that would take another project's files are refused", () => {
  test("a legacy sdist of demo-bar starts with demo-: claiming demo is refused, naming the file", () => {
    const published = [...DEMO, `${PYPI}/demo-bar-1.0.tar.gz`];
    const r = refusal(() => checkClaimCoversOnlyItsOwn({ project: "demo" }, published));
    expect(r.reason).toBe("covers-other-project");
    expect(r.subject).toBe(`${PYPI}/demo-bar-1.0.tar.gz`);
    expect(r.message).toMatch(/a file of demo-bar/);
    expect(() => checkClaimCoversOnlyItsOwn({ project: "demo" }, DEMO)).not.toThrow();
    expect(() => checkClaimCoversOnlyItsOwn({ project: "demo", spellings: ["Demo"] }, [...DEMO, `${PYPI}/Demo-0.1.tar.gz`])).not.toThrow();
  });

  test("a later upload under a claim's pattern is found (the index refuses it for an unclaimed project)", () => {
    const claims = [{ project: "demo" }, { project: "zeta" }];
    expect(claimsCovering(`${PYPI}/demo-bar-2.0.tar.gz`, claims).map((c) => c.project)).toEqual(["demo"]);
    expect(claimsCovering(`${PYPI}/demo_bar-2.0.tar.gz`, claims)).toEqual([]);
  });

  test("overlapping claims: a namespace and a project under it; not two distinct projects", () => {
    expect(refusal(() => checkNoOverlap({ project: "azure-storage" }, [{ project: "azure", namespace: true }])).reason).toBe("overlaps-claim");
    expect(() => checkNoOverlap({ project: "demo" }, [{ project: "demo-x" }, { project: "demox" }])).not.toThrow();
    expect(() => checkNoOverlap({ project: "azure" }, [{ project: "azure", namespace: true }])).not.toThrow();
  });
});

describe("PEP 752 namespaces", () => {
  test("azure covers every azure-* project's files (normalized names), not azure's own", () => {
    const patterns = claimPatterns({ project: "azure", namespace: true, pages: true });
    expect(patterns).toEqual(["packages/*/azure_*", "packages/*/*/*/azure_*", "simple/azure-*/*"]);
    const hit = (p: string) => patterns.some((g) => globMatches(g, p));
    expect(hit(`${PYPI}/azure_storage_blob-12.0-py3-none-any.whl`)).toBe(true);
    expect(hit("simple/azure-storage-blob/vnd.pypi.simple.v1.json")).toBe(true);
    expect(hit(`${PYPI}/azure-1.0.tar.gz`)).toBe(false);
    expect(hit("simple/azure/vnd.pypi.simple.v1.json")).toBe(false);
    // A legacy sdist spelled with hyphens is covered only when listed, and must be under the namespace.
    expect(hit(`${PYPI}/azure-storage-0.1.tar.gz`)).toBe(false);
    expect(claimPatterns({ project: "azure", namespace: true, spellings: ["azure-storage"] })).toContain("packages/*/*/*/azure-storage-*");
    expect(refusal(() => claimPatterns({ project: "azure", namespace: true, spellings: ["azure"] })).reason).toBe("malformed");
  });
});

describe("sub-delegations (the friend who builds the Windows wheels)", () => {
  const demo = claimPatterns({ project: "demo", pages: true });

  test("narrow a file name glob to the parent's patterns", () => {
    expect(subPatterns(demo, "*-win*.whl")).toEqual(["packages/*/demo-*-win*.whl", "packages/*/*/*/demo-*-win*.whl"]);
    expect(subPatterns(demo, "demo-1.0-*")).toEqual(["packages/*/demo-1.0-*", "packages/*/*/*/demo-1.0-*"]);
    const win = subPatterns(demo, "*-win*.whl");
    expect(win.some((p) => globMatches(p, `${PYPI}/demo-1.0-cp312-cp312-win_amd64.whl`))).toBe(true);
    expect(win.some((p) => globMatches(p, `${PYPI}/demo-1.0-cp312-cp312-manylinux_2_17_x86_64.whl`))).toBe(false);
  });

  test("are refused outside the parent, or with characters clients read differently", () => {
    expect(refusal(() => subPatterns(demo, "other-*.whl")).reason).toBe("outside-parent");
    expect(refusal(() => subPatterns(demo, "x/demo-*")).reason).toBe("malformed");
    expect(refusal(() => subPatterns(demo, "*-{win,mac}*.whl")).reason).toBe("malformed");
    expect(refusal(() => subPatterns(demo, "*-!(win)*.whl")).reason).toBe("malformed");
  });

  test("within and overlap, conservatively", () => {
    expect(patternWithin("packages/*/demo-*-win*.whl", "packages/*/demo-*")).toBe(true);
    expect(patternWithin("packages/*/*-win*.whl", "packages/*/demo-*")).toBe(false);
    expect(patternWithin("packages/*/*/*/demo-*", "packages/*/demo-*")).toBe(false);
    expect(patternWithin("packages/x/demo-1", "packages/*/demo-*")).toBe(true);
    expect(patternWithin("simple/demo/*", "simple/demo/*")).toBe(true);
    expect(patternsOverlap("packages/*/demo-*", "packages/*/demo_x-*")).toBe(false);
    expect(patternsOverlap("packages/*/azure_*", "packages/*/azure_storage-*")).toBe(true);
    expect(patternsOverlap("packages/*/[dD]*", "packages/*/zeta-*")).toBe(true); // a class: unsure, so true
  });
});

test("claimable shapes: the depths claims cover", () => {
  expect(isClaimableShape(`${PYPI}/demo-1.0.tar.gz`)).toBe(true);
  expect(isClaimableShape("packages/demo/demo-1.0.tar.gz")).toBe(true);
  expect(isClaimableShape("packages/ab/cd/demo-1.0.tar.gz")).toBe(false);
  expect(isClaimableShape("demo-1.0.tar.gz")).toBe(false);
});

describe("the push request's authentication (a maintainer's key, no index token)", () => {
  test("accepted for the project's key, the body and the time it signed; refused otherwise, naming why", async () => {
    const alice = await ed25519Signer(randomSeed());
    const stranger = await ed25519Signer(randomSeed());
    const keys = { [alice.key.keyid]: alice.key };
    const body = utf8('{"role":"project-demo"}');
    const now = Date.UTC(2026, 5, 1);
    const header = await pushAuthorization(alice, "demo", body, now);
    const auth = parsePushAuthorization(header, keys, now + 1000);
    expect(() => checkPushSignature(auth, "demo", body)).not.toThrow();
    expect(() => checkPushSignature(auth, "demo", utf8('{"role":"project-other"}'))).toThrow(/does not verify/);
    expect(() => checkPushSignature(auth, "other", body)).toThrow(/does not verify/);
    const reason = (fn: () => unknown) => refusal(fn).reason;
    expect(reason(() => parsePushAuthorization(header, keys, now + (PUSH_WINDOW_SECONDS + 1) * 1000))).toBe("expired");
    const strangers = await pushAuthorization(stranger, "demo", body, now);
    expect(reason(() => parsePushAuthorization(strangers, keys, now))).toBe("threshold");
    expect(reason(() => parsePushAuthorization("Bearer secret", keys, now))).toBe("malformed");
    expect(reason(() => parsePushAuthorization(null, keys, now))).toBe("malformed");
  });
});
