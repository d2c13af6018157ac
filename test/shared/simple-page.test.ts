// Project pages: building them from files, rendering (PEP 503 HTML, PEP 691/700 JSON), parsing back.
import { describe, expect, it } from "vitest";
import { fromUtf8 } from "../../shared/encoding.js";
import {
  type PageFile,
  type ProjectPage,
  fileUrl,
  parseJsonPage,
  renderPages,
  withCoreMetadata,
  withFiles,
} from "../../shared/simple/index.js";
import { utf8 } from "../../shared/encoding.js";
import { expectFieldError } from "./fixtures.js";
import { shuffled } from "../support/random.js";

const H = (c: string) => c.repeat(64);
const file = (filename: string, over: Partial<PageFile> = {}): PageFile => ({
  filename,
  url: fileUrl(`packages/x/${filename}`),
  hashes: { sha256: H("a") },
  size: 100,
  uploadTime: "2026-01-02T03:04:05.123456Z",
  ...over,
});

const demo = (): ProjectPage =>
  withFiles(null, "Demo", [
    file("demo-1.0.tar.gz"),
    file("demo-1.0-py3-none-any.whl", { coreMetadata: { sha256: H("b") }, requiresPython: ">=3.8" }),
    file("demo-0.9.tar.gz", { yanked: "broken <b>build</b>" }),
    file("demo-1.1rc1.tar.gz", { yanked: true }),
  ], [])!;

describe("withFiles", () => {
  it("derives versions from the files, in version order, and sorts files by name", () => {
    const page = demo();
    expect(page.name).toBe("demo");
    expect(page.files.map((f) => f.filename)).toEqual(["demo-0.9.tar.gz", "demo-1.0-py3-none-any.whl", "demo-1.0.tar.gz", "demo-1.1rc1.tar.gz"]);
    expect(page.versions).toEqual(["0.9", "1.0", "1.1rc1"]);
  });

  it("replaces a file added under a listed name, removes files, and returns null when none is left", () => {
    const page = demo();
    const replaced = withFiles(page, "demo", [file("demo-1.0.tar.gz", { size: 7 })], [])!;
    expect(replaced.files.find((f) => f.filename === "demo-1.0.tar.gz")!.size).toBe(7);
    expect(replaced.files).toHaveLength(4);
    const fewer = withFiles(page, "demo", [], ["demo-0.9.tar.gz", "demo-1.1rc1.tar.gz", "not-listed.tar.gz"])!;
    expect(fewer.versions).toEqual(["1.0"]);
    expect(withFiles(fewer, "demo", [], ["demo-1.0.tar.gz", "demo-1.0-py3-none-any.whl"])).toBeNull();
    expect(withFiles(null, "demo", [], [])).toBeNull();
  });

  it("attaches core metadata to a listed distribution (PEP 658), and leaves the page when it is not listed", () => {
    const page = demo();
    const attached = withCoreMetadata(page, "demo-1.0.tar.gz", H("c"));
    expect(attached.files.find((f) => f.filename === "demo-1.0.tar.gz")!.coreMetadata).toEqual({ sha256: H("c") });
    expect(withCoreMetadata(page, "demo-9.0.tar.gz", H("c"))).toBe(page);
    const viaAdd = withFiles(page, "demo", [file("demo-1.0.tar.gz", { coreMetadata: { sha256: H("c") } })], [])!;
    expect(renderPages(viaAdd)).toEqual(renderPages(attached));
    expectFieldError(() => withCoreMetadata(page, "demo-1.0.tar.gz", "xyz"), "sha256");
  });

  it.each([
    ["another project's file", file("other-1.0.tar.gz"), "add[0].filename"],
    ["a file that names no project", file("setup.py"), "add[0].filename"],
    ["a path as filename", file("x/demo-1.0.tar.gz"), "add[0].filename"],
    ["an uppercase hash", file("demo-1.0.tar.gz", { hashes: { sha256: "A".repeat(64) } }), "add[0].hashes.sha256"],
    ["a negative size", file("demo-1.0.tar.gz", { size: -1 }), "add[0].size"],
    ["a fractional size", file("demo-1.0.tar.gz", { size: 1.5 }), "add[0].size"],
    ["a local upload time", file("demo-1.0.tar.gz", { uploadTime: "2026-01-02T03:04:05+01:00" }), "add[0].upload-time"],
    ["a javascript: URL", file("demo-1.0.tar.gz", { url: "javascript:alert(1)" }), "add[0].url"],
    ["a URL with a space", file("demo-1.0.tar.gz", { url: "../a b" }), "add[0].url"],
    ["a control character in requires-python", file("demo-1.0.tar.gz", { requiresPython: ">=3\u0000" }), "add[0].requires-python"],
    ["a bad core-metadata hash", file("demo-1.0.tar.gz", { coreMetadata: { sha256: "00" } }), "add[0].core-metadata.sha256"],
    ["yanked as a number", file("demo-1.0.tar.gz", { yanked: 1 as unknown as boolean }), "add[0].yanked"],
  ])("refuses %s", (_, bad, field) => {
    expectFieldError(() => withFiles(null, "demo", [bad], []), field);
  });

  it("refuses a page of another project and an invalid project name", () => {
    expectFieldError(() => withFiles(demo(), "other", [], []), "name");
    expectFieldError(() => withFiles(null, "<x>", [], []), "name");
  });
});

describe("renderPages", () => {
  it("renders PEP 691 JSON v1.1 with PEP 700 fields and PEP 714 metadata keys", () => {
    const json = JSON.parse(fromUtf8(renderPages(demo()).json));
    expect(json.meta).toEqual({ "api-version": "1.3" });
    expect(json.name).toBe("demo");
    expect(json.versions).toEqual(["0.9", "1.0", "1.1rc1"]);
    expect(json.files[1]).toEqual({
      filename: "demo-1.0-py3-none-any.whl",
      url: "../../targets/packages/x/demo-1.0-py3-none-any.whl",
      hashes: { sha256: H("a") },
      size: 100,
      "upload-time": "2026-01-02T03:04:05.123456Z",
      "core-metadata": { sha256: H("b") },
      "data-dist-info-metadata": { sha256: H("b") },
      "requires-python": ">=3.8",
    });
    expect(json.files[0].yanked).toBe("broken <b>build</b>");
    expect(json.files[2]).not.toHaveProperty("yanked");
    expect(json.files[3].yanked).toBe(true);
  });

  it("renders PEP 503 HTML with the repository version, hashes in the fragment and every data attribute", () => {
    const html = fromUtf8(renderPages(demo()).html);
    expect(html).toContain('<meta name="pypi:repository-version" content="1.3">');
    expect(html).toContain(
      `<a href="../../targets/packages/x/demo-1.0-py3-none-any.whl#sha256=${H("a")}" data-requires-python="&gt;=3.8" ` +
        `data-core-metadata="sha256=${H("b")}" data-dist-info-metadata="sha256=${H("b")}">demo-1.0-py3-none-any.whl</a><br />`,
    );
    expect(html).toContain('data-yanked="broken &lt;b&gt;build&lt;/b&gt;">demo-0.9.tar.gz</a>');
    expect(html).toContain('data-yanked="">demo-1.1rc1.tar.gz</a>');
    expect(html).not.toMatch(/demo-1\.0\.tar\.gz"[^>]*data-yanked/);
  });

  it("escapes everything an uploader chooses, so no markup comes through", () => {
    // Names that a page parsed from another index may carry (withFiles refuses them for new files).
    const hostile: ProjectPage = {
      name: "demo",
      versions: ['1"><script>alert(1)</script>'],
      files: [
        file(`demo-1.0.tar.gz"><img src=x onerror=alert(1)>`, {
          url: `../../targets/a'b"c<d>&e`,
          requiresPython: `"><script>x</script>`,
          yanked: `'"<>&`,
        }),
      ],
    };
    const html = fromUtf8(renderPages(hostile).html);
    expect(html).not.toMatch(/<script|<img|onerror=alert\(1\)>/);
    expect(html).toContain("demo-1.0.tar.gz&quot;&gt;&lt;img src=x onerror=alert(1)&gt;</a>");
    expect(html).toContain(`href="../../targets/a&#39;b&quot;c&lt;d&gt;&amp;e#sha256=`);
    expect(html).toContain(`data-yanked="&#39;&quot;&lt;&gt;&amp;"`);
    const json = JSON.parse(fromUtf8(renderPages(hostile).json));
    expect(json.files[0].filename).toBe(hostile.files[0]!.filename);
  });

  it("is a pure function of the file set: shuffled input gives the same bytes", () => {
    const files = demo().files;
    const reference = renderPages(withFiles(null, "demo", files, [])!);
    for (let seed = 1; seed <= 20; seed++) {
      const page = withFiles(null, "DEMO", shuffled(files, seed), [])!;
      expect(renderPages(page)).toEqual(reference);
      expect(renderPages({ ...page, files: [...page.files].reverse(), versions: [...page.versions].reverse() })).toEqual(reference);
    }
  });

  it("percent-encodes each segment of the target path in the URL", () => {
    expect(fileUrl("packages/a b/ü#?.whl")).toBe("../../targets/packages/a%20b/%C3%BC%23%3F.whl");
  });
});

describe("parseJsonPage", () => {
  it("reads back what renderPages wrote (round trip), and re-renders the same bytes", () => {
    const page = demo();
    const bytes = renderPages(page);
    const parsed = parseJsonPage(bytes.json);
    expect(parsed).toEqual(page);
    expect(renderPages(parsed)).toEqual(bytes);
  });

  it("reads a PyPI page: extra keys ignored, yanked false, requires-python null, core-metadata false", () => {
    const pypi = {
      meta: { "api-version": "1.3", _last_serial: 123 },
      name: "demo",
      "project-status": { status: "active" },
      files: [
        {
          filename: "demo-1.0.tar.gz",
          url: "https://files.pythonhosted.org/packages/ab/cd/demo-1.0.tar.gz",
          hashes: { sha256: H("d"), blake2b_256: "00" },
          "requires-python": null,
          "core-metadata": false,
          "data-dist-info-metadata": false,
          size: 5,
          "upload-time": "2020-01-01T00:00:00.000000Z",
          yanked: false,
          provenance: null,
        },
      ],
      versions: ["1.0"],
    };
    expect(parseJsonPage(utf8(JSON.stringify(pypi)))).toEqual({
      name: "demo",
      versions: ["1.0"],
      files: [{ filename: "demo-1.0.tar.gz", url: pypi.files[0]!.url, hashes: { sha256: H("d") }, size: 5, uploadTime: "2020-01-01T00:00:00.000000Z" }],
    });
  });

  const page = (over: Record<string, unknown> = {}, fileOver: Record<string, unknown> = {}) =>
    utf8(
      JSON.stringify({
        meta: { "api-version": "1.1" },
        name: "demo",
        files: [{ filename: "demo-1.0.tar.gz", url: "../x", hashes: { sha256: H("a") }, size: 1, "upload-time": "2020-01-01T00:00:00Z", ...fileOver }],
        versions: ["1.0"],
        ...over,
      }),
    );

  it.each([
    ["not JSON", utf8("<html>"), ""],
    ["API version 1.0 (no PEP 700 fields)", page({ meta: { "api-version": "1.0" } }), "meta.api-version"],
    ["API version 2.0", page({ meta: { "api-version": "2.0" } }), "meta.api-version"],
    ["no meta", page({ meta: undefined }), "meta"],
    ["a non-normalized name", page({ name: "Demo" }), "name"],
    ["an invalid name", page({ name: "<x>" }), "name"],
    ["files not an array", page({ files: {} }), "files"],
    ["no versions", page({ versions: undefined }), "versions"],
    ["a missing size", page({}, { size: undefined }), "files[0].size"],
    ["a missing upload-time", page({}, { "upload-time": undefined }), "files[0].upload-time"],
    ["a missing sha256", page({}, { hashes: { md5: "00" } }), "files[0].hashes.sha256"],
    ["core-metadata true (no hash)", page({}, { "core-metadata": true }), "files[0].core-metadata"],
    ["disagreeing metadata hashes", page({}, { "core-metadata": { sha256: H("1") }, "data-dist-info-metadata": { sha256: H("2") } }), "files[0].data-dist-info-metadata"],
    ["a duplicate file", page({ files: [JSON.parse(fromUtf8(page())).files[0], JSON.parse(fromUtf8(page())).files[0]] }), "files[1].filename"],
    ["requires-python a number", page({}, { "requires-python": 3 }), "files[0].requires-python"],
  ])("refuses %s", (_, bytes, field) => {
    expectFieldError(() => parseJsonPage(bytes), field);
  });
});
