// Project names, distribution file names and version order of the simple API (PEP 503, 625, 440).
import { describe, expect, it } from "vitest";
import {
  compareVersions,
  metadataFileOf,
  normalizeProject,
  pageTargetPaths,
  parseDistFilename,
  parsePageTargetPath,
} from "../../shared/simple/index.js";

describe("normalizeProject (PEP 503)", () => {
  it.each([
    ["friendly-bard", "friendly-bard"],
    ["Friendly-Bard", "friendly-bard"],
    ["FRIENDLY-BARD", "friendly-bard"],
    ["friendly.bard", "friendly-bard"],
    ["friendly_bard", "friendly-bard"],
    ["friendly--bard", "friendly-bard"],
    ["FrIeNdLy-._.-bArD", "friendly-bard"],
    ["zope.interface", "zope-interface"],
    ["a", "a"],
  ])("%s → %s", (name, normalized) => {
    expect(normalizeProject(name)).toBe(normalized);
    expect(normalizeProject(normalized)).toBe(normalized);
  });
});

describe("parseDistFilename", () => {
  it.each([
    ["demo-1.0-py3-none-any.whl", "demo", "1.0", "wheel"],
    ["Demo_Pkg-2.0.1-py2.py3-none-any.whl", "demo-pkg", "2.0.1", "wheel"],
    ["numpy-2.1.0-cp312-cp312-manylinux_2_17_x86_64.manylinux2014_x86_64.whl", "numpy", "2.1.0", "wheel"],
    ["pkg-1.0-1-py3-none-any.whl", "pkg", "1.0", "wheel"],
    ["pkg-1.0-2abc-py3-none-any.whl", "pkg", "1.0", "wheel"],
    ["pkg-1.0+local.1-py3-none-any.whl", "pkg", "1.0+local.1", "wheel"],
    ["zope.interface-6.0-cp311-cp311-win_amd64.whl", "zope-interface", "6.0", "wheel"],
    ["demo-1.0.tar.gz", "demo", "1.0", "sdist"],
    ["demo_pkg-1.0rc1.tar.gz", "demo-pkg", "1.0rc1", "sdist"],
    ["Demo.Pkg-1.0.zip", "demo-pkg", "1.0", "sdist"],
    ["foo-bar-1.0.tar.gz", "foo-bar", "1.0", "sdist"],
    ["foo-bar-baz-2.0.post1.tar.gz", "foo-bar-baz", "2.0.post1", "sdist"],
    ["foo-1.0-2.tar.gz", "foo", "1.0-2", "sdist"],
    ["py-3parser-1.0.tar.gz", "py-3parser", "1.0", "sdist"],
    ["foo-2.0.x.tar.gz", "foo", "2.0.x", "sdist"],
    ["foo-1!2.0.dev3.tar.gz", "foo", "1!2.0.dev3", "sdist"],
  ])("%s → %s %s (%s)", (filename, project, version, kind) => {
    expect(parseDistFilename(filename)).toEqual({ project, version, kind });
  });

  it.each([
    ["no extension", "demo-1.0"],
    ["another extension", "demo-1.0.tar.bz2"],
    ["a metadata file", "demo-1.0-py3-none-any.whl.metadata"],
    ["a wheel with 4 parts", "demo-1.0-py3-none.whl"],
    ["a wheel with 7 parts", "demo-1.0-1-x-py3-none-any.whl"],
    ["a build tag not starting with a digit", "demo-1.0-x1-py3-none-any.whl"],
    ["a wheel name with a dash escape missing", "-1.0-py3-none-any.whl"],
    ["an empty tag", "demo-1.0--none-any.whl"],
    ["an sdist without version", "demo.tar.gz"],
    ["an sdist without a name", "-1.0.tar.gz"],
    ["an sdist whose version is not version-like", "demo-latest.tar.gz"],
    ["a path", "../demo-1.0.tar.gz"],
    ["a nested path", "x/demo-1.0-py3-none-any.whl"],
    ["HTML in the name", "<script>-1.0.tar.gz"],
    ["HTML in a wheel name", "<b>-1.0-py3-none-any.whl"],
    ["quotes in the version", 'demo-1.0"onload=x-py3-none-any.whl'],
    ["a space", "demo pkg-1.0.tar.gz"],
    ["a newline", "demo\n-1.0.tar.gz"],
    ["non-ASCII", "dëmo-1.0.tar.gz"],
    ["a name ending in a dot", "demo.-1.0.tar.gz"],
    ["an empty string", ""],
  ])("refuses %s", (_, filename) => {
    expect(parseDistFilename(filename)).toBeNull();
  });
});

describe("metadataFileOf (PEP 658)", () => {
  it.each([
    ["packages/a/demo-1.0-py3-none-any.whl.metadata", "packages/a/demo-1.0-py3-none-any.whl"],
    ["demo-1.0.tar.gz.metadata", "demo-1.0.tar.gz"],
    ["demo-1.0.zip.metadata", "demo-1.0.zip"],
    ["demo-1.0-py3-none-any.whl", null],
    ["demo-1.0.metadata", null],
    ["METADATA", null],
    ["demo-1.0.tar.bz2.metadata", null],
  ])("%s → %s", (path, dist) => {
    expect(metadataFileOf(path)).toBe(dist);
  });
});

describe("page target paths (PEP 691 TUF names)", () => {
  it("names the two pages of the normalized project, and reads them back", () => {
    const paths = pageTargetPaths("Demo_Pkg");
    expect(paths).toEqual({ html: "simple/demo-pkg/vnd.pypi.simple.v1.html", json: "simple/demo-pkg/vnd.pypi.simple.v1.json" });
    expect(parsePageTargetPath(paths.html)).toEqual({ project: "demo-pkg", format: "html" });
    expect(parsePageTargetPath(paths.json)).toEqual({ project: "demo-pkg", format: "json" });
  });

  it.each([
    "simple/Demo/vnd.pypi.simple.v1.html",
    "simple/demo/vnd.pypi.simple.latest.json",
    "simple/demo/index.html",
    "simple/a/b/vnd.pypi.simple.v1.json",
    "packages/demo/vnd.pypi.simple.v1.json",
    "simple/<x>/vnd.pypi.simple.v1.json",
  ])("%s is not a page path", (path) => {
    expect(parsePageTargetPath(path)).toBeNull();
  });
});

describe("compareVersions (PEP 440 order)", () => {
  // packaging's own ordering examples, ascending.
  const ordered = [
    "not-a-version",
    "zzz",
    "1.0.dev456",
    "1.0a1",
    "1.0a2.dev456",
    "1.0a12.dev456",
    "1.0a12",
    "1.0b1.dev456",
    "1.0b2",
    "1.0b2.post345.dev456",
    "1.0b2.post345",
    "1.0rc1.dev456",
    "1.0rc1",
    "1.0",
    "1.0+abc.5",
    "1.0+abc.7",
    "1.0+5",
    "1.0.post456.dev34",
    "1.0.post456",
    "1.0.15",
    "1.1.dev1",
    "2.0",
    "10.0",
    "99999999999999999999.0",
    "1!0.1",
  ];

  it("sorts packaging's examples (and huge numbers, epochs, legacy strings) in order", () => {
    const shuffled = [...ordered].reverse();
    expect(shuffled.sort(compareVersions)).toEqual(ordered);
  });

  it("breaks ties between equal versions lexically, so the order is total", () => {
    expect(["1.0.0", "1.0", "v1.0", "1.0.0.0"].sort(compareVersions)).toEqual(["1.0", "1.0.0", "1.0.0.0", "v1.0"]);
    expect(compareVersions("1.0", "1.0")).toBe(0);
    expect(compareVersions("1.0-1", "1.0.post1")).toBeLessThan(0);
  });
});
