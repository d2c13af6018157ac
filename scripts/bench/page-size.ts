import { Miniflare } from "miniflare";
import { build } from "esbuild";
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ROOT } from "../lib/local-worker.js";
import { measure } from "./invocations.js";

/**
 * The largest project page (MAX_PAGE_FILES files) as a release edits it, in workerd: ms per
 * release, the workerd process's CPU and peak memory, and the page sizes (second review, finding 12).
 */
export async function benchLargestPage(files: number[], log: (line: string) => void) {
  const dir = mkdtempSync(join(tmpdir(), "tuf-edge-page-"));
  await build({ entryPoints: [`${ROOT}scripts/bench/page-entry.ts`], outfile: join(dir, "page.js"), bundle: true, format: "esm", platform: "browser", target: "es2022", external: ["node:*"], logLevel: "warning" });
  const mf = new Miniflare({ modules: true, script: readFileSync(join(dir, "page.js"), "utf8"), compatibilityDate: "2026-04-20", compatibilityFlags: ["nodejs_compat"] });
  try {
    await mf.ready;
    const rows = [];
    for (const n of files) {
      let body: { files: number; msPerRelease: number; htmlBytes: number; jsonBytes: number } | undefined;
      const cost = await measure(`page of ${n} files`, async () => {
        body = (await (await mf.dispatchFetch(`http://localhost/?files=${n}`)).json()) as typeof body;
      });
      rows.push({ ...body!, invocationCpuMs: Math.round(cost.cpuMs), peakRssMb: Math.round(cost.peakRssMb) });
      log(`page of ${n} files in workerd: ${body!.msPerRelease} ms a release (parse, add, render), JSON ${body!.jsonBytes} B, HTML ${body!.htmlBytes} B; invocation CPU ${Math.round(cost.cpuMs)} ms, workerd peak ${Math.round(cost.peakRssMb)} MB`);
    }
    return rows;
  } finally {
    await mf.dispose();
  }
}
