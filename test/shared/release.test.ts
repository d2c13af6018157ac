// The second review's pure rules: file names bound to one path and one set of bytes
// (shared/simple/release.ts), the page bounds, serial jumps (shared/mutable.ts), and a release's
// page entries counted in its bin's bound (worker/publish/decide.ts with PageEdits).
// Guards README invariants 8, 9 and 14.
import { describe, expect, it } from "vitest";
import { MAX_BIN_BYTES } from "../../shared/bins.js";
import { MAX_SERIAL_STEP, decideAdd, decideRemove, entryFor } from "../../shared/mutable.js";
import {
  MAX_PAGE_FILES, MAX_URL, PageRefusal, type ProjectPage, addDist, fileUrl, pageTargetPaths, parseJsonPage, removeDist, renderPages,
  setCoreMetadata, withFiles,
} from "../../shared/simple/index.js";
import { decideUploads, type PathView, type Upload } from "../../worker/publish/decide.js";
import { PageEdits } from "../../worker/publish/pages.js";

const H = (c: string) => c.repeat(64);
const dist = (sha = H("a"), size = 10) => ({ hashes: { sha256: sha }, size, uploadTime: "2026-01-02T03:04:05Z" });
const W = "demo-1.0-py3-none-any.whl";

describe("a file name is bound to one path and one set of bytes", () => {
  const page = addDist(null, "demo", `packages/a/${W}`, dist());

  it("the same file at the same path is no change; other bytes or another path are refused with the reason", () => {
    expect(addDist(page, "demo", `packages/a/${W}`, dist())).toBe(page);
    expect(() => addDist(page, "demo", `packages/a/${W}`, dist(H("b")))).toThrow(/already listed by demo with other bytes/);
    expect(() => addDist(page, "demo", `elsewhere/${W}`, dist())).toThrow(/already listed by demo at another path \(\.\.\/\.\.\/targets\/packages\/a\//);
  });

  it("a removal changes the page only for the path it lists, and the name is remembered through a render", () => {
    expect(removeDist(page, "demo", `elsewhere/${W}`)).toBe(page);
    const removed = removeDist(page, "demo", `packages/a/${W}`)!;
    expect(removed.files).toEqual([]);
    const parsed = parseJsonPage(renderPages(removed).json);
    expect(parsed.removed).toEqual([W]);
    expect(() => addDist(parsed, "demo", `packages/b/${W}`, dist())).toThrow(PageRefusal);
    expect(() => addDist(parsed, "demo", `packages/a/${W}`, dist())).toThrow(/never used again/);
  });

  it("a .metadata belongs to the dist at its own path only", () => {
    expect(setCoreMetadata(page, "demo", `packages/a/${W}`, H("c"))!.files[0]!.coreMetadata).toEqual({ sha256: H("c") });
    expect(() => setCoreMetadata(page, "demo", `elsewhere/${W}`, H("c"))).toThrow(/its \.metadata belongs beside it/);
    expect(setCoreMetadata(page, "demo", "packages/a/demo-2.0.tar.gz", H("c"))).toBe(page);
  });

  it("a page URL fits every target path (1,024 bytes, each percent-encoded)", () => {
    const path = `${"é".repeat(490)}/${W}`;
    expect(fileUrl(path).length).toBeLessThanOrEqual(MAX_URL);
    expect(addDist(null, "demo", path, dist()).files[0]!.url).toBe(fileUrl(path));
  });

  it(`a page lists at most ${MAX_PAGE_FILES} files`, () => {
    const full: ProjectPage = {
      name: "demo",
      versions: [],
      files: Array.from({ length: MAX_PAGE_FILES }, (_, i) => ({ ...dist(), filename: `demo-${i}.tar.gz`, url: fileUrl(`p/demo-${i}.tar.gz`) })),
    };
    expect(() => addDist(full, "demo", "p/demo-99999.tar.gz", dist())).toThrow(/past the bound of 10000/);
    expect(withFiles(full, "demo", [], ["demo-0.tar.gz"])!.files).toHaveLength(MAX_PAGE_FILES - 1);
  });
});

describe("serial jumps", () => {
  const file = (serial: number) => entryFor(1, { sha256: H("a") }, undefined, serial);
  it(`a serial more than ${MAX_SERIAL_STEP} past the path's is refused, for adds and removals`, () => {
    expect(decideAdd(null, null, file(MAX_SERIAL_STEP), MAX_SERIAL_STEP).outcome).toBe("published");
    expect(decideAdd(null, null, file(2 ** 53 - 1), 2 ** 53 - 1)).toMatchObject({ outcome: "rejected", reason: expect.stringMatching(/jumps more than/) });
    expect(decideAdd(file(5), null, file(MAX_SERIAL_STEP + 6), MAX_SERIAL_STEP + 6).outcome).toBe("rejected");
    expect(decideRemove(file(5), null, 2 ** 53 - 1).outcome).toBe("rejected");
    expect(decideRemove(null, { serial: 7 }, MAX_SERIAL_STEP + 7).outcome).toBe("published");
  });
});

describe("a release's page entries count in the bin bound", () => {
  const path = `packages/a/${W}`;
  const pages = pageTargetPaths("demo");
  const view = new Map<string, PathView>([
    [path, { bin: "bins-0", current: null, removed: null }],
    [`${path}.metadata`, { bin: "bins-0", current: null, removed: null }],
    [`${path}.provenance`, { bin: "bins-0", current: null, removed: null }],
    [pages.html, { bin: "bins-1", current: null, removed: null }],
    [pages.json, { bin: "bins-1", current: null, removed: null }],
  ]);
  const upload: Upload = { id: "u", targets: [{ path, length: 10, hashes: { sha256: H("a") } }], remove: [] };
  const decide = (pageBinBytes: number) =>
    decideUploads({
      uploads: [upload],
      view,
      binBytes: new Map([["bins-0", 0], ["bins-1", pageBinBytes]]),
      refused: new Map(),
      consequences: new PageEdits(new Map([["demo", null]]), view, () => true, Date.parse("2026-01-01T00:00:00Z")),
    }).decisions.get("u")!;

  it("a new project's pages that would push their bin past the bound refuse the release", () => {
    expect(decide(MAX_BIN_BYTES - 1000).state).toBe("published");
    expect(decide(MAX_BIN_BYTES - 100)).toMatchObject({ state: "rejected", rejected: [{ path, reason: expect.stringMatching(/page would grow bins-1/) }] });
  });

  it("an unreadable signed page refuses that project's uploads alone", () => {
    const other: Upload = { id: "v", targets: [{ path: "packages/b/other-1.0.tar.gz", length: 1, hashes: { sha256: H("b") } }], remove: [] };
    const wide = new Map([...view, ["packages/b/other-1.0.tar.gz", { bin: "bins-2", current: null, removed: null }], ...Object.values(pageTargetPaths("other")).map((p) => [p, { bin: "bins-3", current: null, removed: null }] as const), ["packages/b/other-1.0.tar.gz.metadata", { bin: "bins-2", current: null, removed: null }], ["packages/b/other-1.0.tar.gz.provenance", { bin: "bins-2", current: null, removed: null }]]);
    const { decisions } = decideUploads({
      uploads: [upload, other],
      view: wide,
      binBytes: new Map(),
      refused: new Map(),
      consequences: new PageEdits(new Map([["demo", new Error("bytes lost")], ["other", null]]), wide, () => true, 0),
    });
    expect(decisions.get("u")).toMatchObject({ state: "rejected", rejected: [{ reason: expect.stringMatching(/signed page of demo cannot be read \(bytes lost\)/) }] });
    expect(decisions.get("v")!.state).toBe("published");
  });
});
