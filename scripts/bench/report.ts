import { median } from "./publish.js";

type Results = Record<string, any>;

const table = (head: string[], rows: (string | number)[][]) =>
  [`| ${head.join(" | ")} |`, `| ${head.map(() => "---").join(" | ")} |`, ...rows.map((r) => `| ${r.join(" | ")} |`)].join("\n");
const n = (x: number, digits = 0) => x.toLocaleString("en-US", { maximumFractionDigits: digits, minimumFractionDigits: digits });
const kb = (bytes: number) => `${n(bytes / 1000, 1)} KB`;
const spread = (xs: number[]) => (xs.length > 1 ? `${n(Math.min(...xs))}–${n(Math.max(...xs))}` : "one run");

function publishRows(label: string, p: Results) {
  return [
    [`${label}: bootstrap of ${n(p.bins)} bins`, `${n(p.bootstrapSeconds, 1)} s`, ""],
    [`${label}: import of ${n(p.seed)} targets`, `${n(p.importTargetsPerSecond)} targets/s`, `${n(p.importSeconds, 1)} s`],
    [
      `${label}: sustained publish, webhook → visible (${n(p.sustained.targets)} targets, ${p.sustained.perRequest}/request, concurrency ${p.sustained.concurrency})`,
      `${n(p.sustained.medianTargetsPerSecond)} targets/s`,
      spread(p.sustained.runs),
    ],
    [
      `${label}: latency 202 → published at ${p.latency.offeredTargetsPerSecond} targets/s offered`,
      `p50 ${n(p.latency.p50)} ms, p99 ${n(p.latency.p99)} ms`,
      `${p.latency.samples} uploads`,
    ],
    ...(p.render
      ? [[
          `${label}: SIMPLE_PAGES=render, releases of new projects (dist + both pages re-rendered; ${n(p.render.releases)} releases, ${p.render.perRequest}/request)`,
          `${n(p.render.releasesPerSecond)} releases/s`,
          "one run",
        ]]
      : []),
  ];
}

function readRows(runs: Results[]) {
  const keys = [...new Set(runs.flatMap((r) => r.measurements.map((m: Results) => `${m.file}\t${m.server}`)))] as string[];
  return keys.map((key) => {
    const ms = runs.map((r) => r.measurements.find((m: Results) => `${m.file}\t${m.server}` === key)).filter(Boolean);
    const rps = ms.map((m: Results) => m.requestsPerSecond);
    const [file, server] = key.split("\t");
    return [file!, server!, n(ms[0].bodyBytes), n(median(rps)), spread(rps), n(median(ms.map((m: Results) => m.p50Ms)), 2), n(median(ms.map((m: Results) => m.p99Ms)), 2)];
  });
}

/** Rows of `key.path | value` for a nested result; arrays of objects are left to results.json. */
const flat = (o: Results, prefix = ""): [string, string][] =>
  Object.entries(o).flatMap(([k, v]): [string, string][] => {
    if (Array.isArray(v)) return v.some((x) => typeof x === "object") ? [] : [[`${prefix}${k}`, v.map(String).join(", ")]];
    if (v && typeof v === "object") return flat(v, `${prefix}${k}.`);
    return [[`${prefix}${k}`, typeof v === "number" ? n(v, Number.isInteger(v) ? 0 : 2) : String(v)]];
  });

const sequence = (c: Results) =>
  Object.entries(c.ops as Record<string, Results>).map(([op, o]) => `${op} ×${o.calls} (${n(o.rounds, 1)} rounds)`).join(" → ");

const loadAverage = (l: Results) =>
  Array.isArray(l) ? l.map((x: number) => x.toFixed(2)).join(" ")
  : l ? `${l.before.map((x: number) => x.toFixed(2)).join(" ")} before, ${l.after.map((x: number) => x.toFixed(2)).join(" ")} after` : "?";

/** The production-model section: its figures, then what each phase's invocations did. */
export function formatProduction(p: Results): string {
  const phaseRows = Object.entries(p.phases as Record<string, Results>).map(([phase, s]) => [
    phase, n(s.consumerRuns), `${n(s.subrequestsPerConsumerRun.median)} / ${n(s.subrequestsPerConsumerRun.max)}`,
    `${n(s.cpuMsPerConsumerRun.median)} / ${n(s.cpuMsPerConsumerRun.max)}`, `${n(s.wallMsPerConsumerRun.median)} / ${n(s.wallMsPerConsumerRun.max)}`,
    s.typical ? `${n(s.typical.rounds, 1)} (${n(s.typical.storageMs)} ms)` : "",
  ]);
  const typical = Object.entries(p.phases as Record<string, Results>).filter(([, s]) => s.typical).map(([phase, s]) =>
    `- ${phase}, the consumer run of median subrequests (${s.typical.what}, ${n(s.typical.subrequests)} subrequests, ${n(s.typical.wallMs)} ms): ${sequence(s.typical)}`);
  const big = p.largestInvocation;
  return [
    `## The production model (${n(p.model.latencyMsPerR2Call)} ms per R2 call, ${p.model.maxInFlight} subrequests in flight per invocation; ${p.generated ?? ""}, load average ${loadAverage(p.loadAverage)})`,
    "",
    table(["measure", "value"], [
      [`bootstrap of ${n(p.bins)} bins`, `${n(p.bootstrapSeconds, 1)} s`],
      [`import of ${n(p.seed)} targets`, `${n(p.importTargetsPerSecond)} targets/s`],
      ["sustained publish (plain targets, SIMPLE_PAGES=index)", `${n(p.publishTargetsPerSecond)} targets/s`],
      [`accepted → visible at ${p.publish.latency.offeredTargetsPerSecond} targets/s offered`, `p50 ${n(p.p50Ms)} ms, p99 ${n(p.p99Ms)} ms (${p.publish.latency.samples} uploads)`],
      [`full re-sign of ${n(p.bins)} bins`, `${n(p.resignSeconds, 1)} s`],
      ["render-mode releases of new projects", `${n(p.releasesPerSecond, 1)} releases/s`],
      ["largest invocation: subrequests (of 10,000)", `${n(big.subrequests)}: ${big.bySubrequests.what}`],
      ["largest invocation: CPU ms (of 30,000; the whole workerd process, an upper bound)", `${n(big.cpuMs)}: ${big.byCpu.what}`],
    ]),
    "",
    "Per phase, the queue consumer's runs (median / max); rounds = time with a storage call outstanding ÷ the latency, the storage critical path. Then the median run's calls, by op in the order first called, with the rounds during which calls of that op were outstanding:",
    "",
    table(["phase", "consumer runs", "subrequests", "CPU ms", "wall ms", "rounds of a typical run"], phaseRows),
    "",
    ...typical,
    "",
  ].join("\n");
}

/** The publish core (real publishUploads over an in-memory bucket, no R2) run inside workerd. */
export function formatCoreWorkerd(c: Results): string {
  return [
    `## The publish core inside workerd (${n(2 ** c.bits)} bins, ${n(c.seed)} targets seeded; batches of ${n(c.batchSize)} uploads of one target)`,
    "",
    `The real publishUploads() over an in-memory bucket (no R2), run in workerd and timed with its clock.${c.loadAverage ? ` ${c.generated}, load average ${loadAverage(c.loadAverage)}.` : ""}`,
    "",
    table(["measure", "value"], [
      ["targets/s (median of the batches)", n(c.targetsPerSecond)],
      ["ms per bin rewrite (median)", n(c.msPerBin, 3)],
      ["batches: bins / ms", c.runs.map((r: Results) => `${n(r.bins)} / ${n(r.ms)}`).join(", ")],
      ...(c.resign ? [[`full re-sign of ${n(c.resign.bins)} bins`, `${n(c.resign.seconds, 1)} s (${n(c.resign.msPerBin, 3)} ms per bin)`]] : []),
    ]),
  ].join("\n");
}

/** The markdown report of one `npm run bench` run. */
export function formatReport(r: Results): string {
  const m = r.machine;
  return [
    `# tuf-edge benchmark (${r.mode}, ${r.generated})`,
    "",
    `Machine: ${m.cpu}, ${m.cores} cores, ${m.memoryGiB} GiB, ${m.kernel}, Node ${m.node}; ` +
      `${Object.entries(m.versions).map(([k, v]) => `${k} ${v}`).join(", ")}. The Worker runs in workerd through Miniflare with local R2 and Queues; ` +
      `the load comes from the same machine. Medians, with the spread over runs. Total time ${n(r.seconds)} s.`,
    "",
    "## Publish and import",
    "",
    table(["what", "median", "spread / detail"], [
      ...publishRows("local R2", r.publish),
      // Results written before the production model replaced the 30 ms-only row.
      ...(r.publishSlowR2 ? publishRows("R2 + 30 ms per call, no in-flight limit", r.publishSlowR2) : []),
    ]),
    "",
    ...(r.productionModel ? [formatProduction(r.productionModel)] : []),
    ...(r.productionModelMemoryR2 ? ["### The same, with METADATA in the Worker's memory (`--production --memory-r2`)", "", formatProduction(r.productionModelMemoryR2)] : []),
    ...(r.coreWorkerd ? [formatCoreWorkerd(r.coreWorkerd), ""] : []),
    "## Read path",
    "",
    `${r.readPath[0].tool}; concurrency ${r.readPath[0].concurrency}; ${r.readPath.length} run(s). worker = the Worker (local R2); static = node:http serving the same files, pre-gzipped, from disk.`,
    "",
    table(["file", "server", "body bytes", "req/s", "req/s spread", "p50 ms", "p99 ms"], readRows(r.readPath)),
    "",
    "## Bytes a new installer downloads to verify one package (timestamp + snapshot + one bin)",
    "",
    table(
      ["targets", "targets/bin", "raw", "gzip", "of which snapshot (gzip)"],
      r.installer.sizes.map((s: Results) => [n(s.targets), n(s.targetsPerBin), kb(s.raw.total), kb(s.gzip.total), kb(s.gzip.snapshot)]),
    ),
    "",
    `PEP 458 (2019): ${n(r.installer.pep458_2019.targets)} targets, ~${r.installer.pep458_2019.targetsPerBin} per bin, ~${r.installer.pep458_2019.binKB} KB per bin uncompressed.`,
    "",
    "## Renewal",
    "",
    table(["measure", "value"], flat(r.renewal)),
    "",
    "## Largest invocations (CPU and peak memory of the whole workerd process, which also runs the local R2 and queue simulators: upper bounds)",
    "",
    table(["invocation", "wall ms", "CPU ms", "peak RSS MB"], r.invocations.map((i: Results) => [i.what, n(i.wallMs), n(i.cpuMs), n(i.peakRssMb)])),
    "",
  ].join("\n");
}
