import { execFile } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, expect, test } from "vitest";
import { ROOT } from "../../scripts/lib/local-worker.js";

// `npm run bench -- --quick` completes and writes well-formed results. No speed is asserted: the
// numbers belong in the report, not in a test.

const out = mkdtempSync(join(tmpdir(), "tuf-edge-bench-"));
afterAll(() => rmSync(out, { recursive: true, force: true }));

/** A measurement: a finite number above 0 (expect.any(Number) would pass 0 and NaN, a bench that measured nothing). */
const positive = expect.toSatisfy((v: unknown) => typeof v === "number" && Number.isFinite(v) && v > 0, "a finite number above 0");

test("bench --quick writes results.json and results.md", { timeout: 300_000 }, async () => {
  await promisify(execFile)(process.execPath, ["scripts/bin.mjs", "bench", "--quick", "--out", out], { cwd: ROOT, maxBuffer: 64 * 1024 * 1024 });
  const results = JSON.parse(readFileSync(join(out, "results.json"), "utf8"));
  expect(results).toMatchObject({
    mode: "quick",
    machine: { cores: positive, node: process.version },
    publish: { bins: 256, importTargetsPerSecond: positive, sustained: { medianTargetsPerSecond: positive }, latency: { p50: positive, p99: positive } },
    productionModel: {
      bins: 256, seed: 500, publishTargetsPerSecond: positive, p50Ms: positive, p99Ms: positive, resignSeconds: positive,
      importTargetsPerSecond: positive, releasesPerSecond: positive, bootstrapSeconds: positive,
      model: { latencyMsPerR2Call: 30, maxInFlight: 6 },
      largestInvocation: { subrequests: positive, cpuMs: positive },
    },
    coreWorkerd: { runtime: "workerd", targetsPerSecond: positive, msPerBin: positive, resign: { seconds: positive } },
    installer: { sizes: [{ targets: 100_000, gzip: { total: positive } }] },
    renewal: { bins: 256 },
    delta: { timestampGzip: positive, refresh: [{ targets: 100_000, gzip: positive, dcz: positive }] },
  });
  for (const t of results.delta.readPath) expect(t).toMatchObject({ requestsPerSecond: positive, bodyBytes: positive });
  for (const m of results.readPath[0].measurements) expect(m).toMatchObject({ requestsPerSecond: positive, p99Ms: positive, errors: 0 });
  // The model held every invocation to 6 subrequests in flight, and every phase ran the consumer.
  expect(Object.keys(results.productionModel.phases)).toEqual(["bootstrap", "import", "sustained", "latency", "resign", "render"]);
  for (const [phase, p] of Object.entries(results.productionModel.phases) as [string, any][]) {
    expect(p.consumerRuns, phase).toBeGreaterThan(0);
    expect(p.largest.maxInFlight, phase).toBeLessThanOrEqual(6);
    expect(p.subrequestsPerConsumerRun.median, phase).toBeGreaterThan(0);
  }
  expect(results.invocations.map((i: { what: string }) => i.what)).toContain("cron run");
  for (const i of results.invocations) expect(i).toMatchObject({ wallMs: positive, cpuMs: expect.any(Number), peakRssMb: positive });
  const md = readFileSync(join(out, "results.md"), "utf8");
  expect(md).toMatch(/^# tuf-edge benchmark \(quick/);
  for (const section of ["## Publish and import", "## The production model", "## The publish core inside workerd", "## Read path", "## Bytes a new installer downloads", "## Renewal", "## Largest invocations", "## Delta updates"]) {
    expect(md).toContain(section);
  }
});
