/**
 * Benchmark-only Worker: the largest page a project may have, edited as a release edits it (parse
 * the signed JSON page, add one dist, render both pages), inside workerd. GET /?files=N answers
 * the ms per release (five in a row) and the page sizes.
 */
import { type PageFile, addDist, fileUrl, parseJsonPage, renderPages, withFiles } from "../../shared/simple/index.js";

const name = (i: number) => `big-0.${i}-cp312-cp312-manylinux_2_17_x86_64.manylinux2014_x86_64.whl`;

export default {
  async fetch(request: Request): Promise<Response> {
    const n = Number(new URL(request.url).searchParams.get("files") ?? "10000");
    // n - 1 files signed, and the release that makes n.
    const files: PageFile[] = Array.from({ length: n - 1 }, (_, i) => ({
      filename: name(i),
      url: fileUrl(`packages/ab/cd/${"e".repeat(60)}/${name(i)}`),
      hashes: { sha256: i.toString(16).padStart(64, "0") },
      size: 123456,
      uploadTime: "2026-11-29T00:00:00.000000Z",
      coreMetadata: { sha256: "f".repeat(64) },
      requiresPython: ">=3.9",
    }));
    const page = renderPages(withFiles(null, "big", files, [])!);
    // workerd's clock moves only across I/O: time the loop between two waits.
    await scheduler.wait(1);
    const t0 = Date.now();
    for (let i = 0; i < 5; i++) {
      const dist = { hashes: { sha256: "a".repeat(64) }, size: 1, uploadTime: "2026-12-04T00:00:00Z" };
      renderPages(addDist(parseJsonPage(page.json), "big", `packages/x/big-9.${i}.tar.gz`, dist));
    }
    await scheduler.wait(1);
    const msPerRelease = Math.max(0, Date.now() - t0 - 1) / 5;
    return Response.json({ files: n, msPerRelease, htmlBytes: page.html.length, jsonBytes: page.json.length });
  },
};
