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
    table(["what", "median", "spread / detail"], [...publishRows("local R2", r.publish), ...publishRows("R2 + 30 ms per call", r.publishSlowR2)]),
    "",
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
