import { execFileSync } from "node:child_process";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { cpus, totalmem } from "node:os";
import { join } from "node:path";
import type { Command } from "../cli.js";
import { parseOptions, parsePositiveInt } from "../lib/args.js";
import { UsageError } from "../lib/errors.js";
import { ROOT, bundleWorker, startLocalWorker } from "../lib/local-worker.js";
import { installerBytes, PEP458_2019 } from "../bench/installer-bytes.js";
import { benchDelta, formatDelta } from "../bench/delta.js";
import { benchInvocations } from "../bench/invocations.js";
import { benchPublish } from "../bench/publish.js";
import { benchReadPath, formatReadPath } from "../bench/read-path.js";
import { formatReport } from "../bench/report.js";

const usage = `Usage: tuf-edge bench [--quick] [--delta] [--out DIR]   (npm run bench)
       tuf-edge bench --core [--full]                  (npm run bench -- --core)
       tuf-edge bench --verify [--bits 14]

Sets up local repositories in workerd (Miniflare, local R2 and Queues), seeds them, measures, and
writes DIR/results.json and DIR/results.md (default DIR: bench/). Measures: publish throughput and
latency (also with 30 ms injected per R2 call), import, the read path beside a static file server,
the bytes a new installer downloads, one cron run and a full re-sign, and the CPU time and memory
of the largest invocations. Medians over repeated runs; the machine is noisy.

Options:
  --core      only the publish core in Node over an in-memory bucket (scripts/bench/core.ts): prints
              targets/s, ms per bin rewrite and phase timings, then one JSON line (about 35 s)
  --full      with --core: also render-mode releases and a full re-sign of every bin (about 55 s)
  --verify    only \`tuf-edge verify\` at 2^bits bins (default 14): three runs against a static file
              server (wall and client CPU seconds), then against the Worker in workerd as \`npm start\`
              runs it, without a cache and twice with --cache (the second on deltas, after a cron
              run and five commits): wall, CPU, bytes on the wire. JSON on stdout; at 14 bits (or
              with --out) also into DIR/results.json (\`verifyWorker\`) and DIR/results.md
  --quick     small sizes, one run each: a smoke check in about two minutes
  --delta     only the delta-update bytes, CPU and read path (DIR/delta.json, DIR/delta.md)
  --out DIR   where to write results (default bench/)
  -h, --help  show this help`;

const versionOf = (pkg: string) => JSON.parse(readFileSync(join(ROOT, "node_modules", pkg, "package.json"), "utf8")).version as string;

function machine() {
  return {
    cpu: cpus()[0]?.model ?? "unknown",
    cores: cpus().length,
    memoryGiB: Math.round(totalmem() / 2 ** 30),
    node: process.version,
    kernel: execFileSync("uname", ["-sr"], { encoding: "utf8" }).trim(),
    versions: Object.fromEntries(["workerd", "miniflare", "wrangler", "tuf-js", "hono"].map((p) => [p, versionOf(p)])),
  };
}

const VERIFY_SECTION = /<!-- verify-worker -->[\s\S]*<!-- \/verify-worker -->\n?/;

/**
 * Puts a --verify run into DIR/results.json (key `verifyWorker`, beside the last full run's figures)
 * and its table into DIR/results.md, replacing the previous --verify run's.
 */
function recordVerify(out: string, results: Record<string, unknown>, table: string): void {
  mkdirSync(out, { recursive: true });
  const jsonFile = join(out, "results.json");
  let previous: Record<string, unknown> = {};
  try {
    previous = JSON.parse(readFileSync(jsonFile, "utf8"));
  } catch {
    // no full run recorded yet
  }
  writeFileSync(jsonFile, `${JSON.stringify({ ...previous, verifyRun: { generated: results.generated, machine: results.machine, verify: results.verify }, verifyWorker: results.verifyWorker }, null, 2)}\n`);
  const mdFile = join(out, "results.md");
  let md = "";
  try {
    md = readFileSync(mdFile, "utf8");
  } catch {
    // none yet
  }
  const section = `<!-- verify-worker -->\n${table}\n(\`npm run bench -- --verify\`, ${String(results.generated)})\n<!-- /verify-worker -->\n`;
  writeFileSync(mdFile, VERIFY_SECTION.test(md) ? md.replace(VERIFY_SECTION, section) : `${md.trimEnd()}\n\n${section}`);
}

const command: Command = {
  usage,
  async run(args, io) {
    const { values } = parseOptions(
      args,
      { quick: { type: "boolean" }, delta: { type: "boolean" }, out: { type: "string" }, core: { type: "boolean" }, full: { type: "boolean" }, verify: { type: "boolean" }, bits: { type: "string" } },
      usage,
    );
    if (values.verify) {
      const bits = parsePositiveInt(values.bits, "--bits") ?? 14;
      const { benchVerify } = await import("../bench/verify.js");
      const result = await benchVerify({ bits, log: (line) => io.err(line) });
      const { benchVerifyWorker, formatVerifyWorker } = await import("../bench/verify-worker.js");
      const worker = await benchVerifyWorker({ bits, log: (line) => io.err(line) });
      if (values.out !== undefined || bits === 14) recordVerify(values.out ?? join(ROOT, "bench"), { generated: new Date().toISOString(), machine: machine(), verify: result, verifyWorker: worker }, formatVerifyWorker(worker));
      io.out(JSON.stringify({ generated: new Date().toISOString(), machine: machine(), verify: result, verifyWorker: worker }));
      return;
    }
    const full = values.full === true;
    if (full && !values.core) throw new UsageError("--full goes with --core");
    if (values.core) {
      const { benchCore } = await import("../bench/core.js");
      const { store: _store, online: _online, ...results } = await benchCore({ log: (line) => io.err(line), releases: full, resign: full });
      io.out(JSON.stringify(results));
      return;
    }
    const quick = values.quick === true;
    const out = values.out ?? join(ROOT, "bench");
    const log = (line: string) => io.err(line);
    const started = Date.now();
    const deltaOptions = { sizes: quick ? [100_000] : undefined, seconds: quick ? 1 : 3, log };
    if (values.delta) {
      await bundleWorker();
      const delta = await benchDelta(deltaOptions);
      mkdirSync(out, { recursive: true });
      writeFileSync(join(out, "delta.json"), `${JSON.stringify({ generated: new Date().toISOString(), machine: machine(), delta }, null, 2)}\n`);
      writeFileSync(join(out, "delta.md"), formatDelta(delta));
      io.out(formatDelta(delta));
      return;
    }
    const bits = quick ? 8 : 14;
    await bundleWorker({ index: join(ROOT, "worker/index.ts"), "slow-r2": join(ROOT, "scripts/bench/slow-r2-worker.ts") });

    log(`== publish (${2 ** bits} bins)`);
    const publish = await benchPublish({
      bits, seed: quick ? 2_000 : 1_000_000, requests: quick ? 20 : 200, targetsPerRequest: quick ? 10 : 100, concurrency: 8,
      repeats: quick ? 1 : 3, paceTargetsPerSecond: 50, paceSeconds: quick ? 3 : 30, renderRequests: quick ? 2 : 20,
      // Plain targets, as a PEP 458 index publishes its files (the index renders its own pages);
      // then renderRequests releases with SIMPLE_PAGES=render, tuf-edge rendering the pages.
      vars: { SIMPLE_PAGES: "index" }, log,
    });
    log("== publish with 30 ms per R2 call");
    const publishSlowR2 = await benchPublish({
      bits, seed: quick ? 500 : 100_000, requests: quick ? 10 : 100, targetsPerRequest: quick ? 10 : 100, concurrency: 8,
      repeats: 1, paceTargetsPerSecond: 50, paceSeconds: quick ? 3 : 20, entry: "slow-r2", vars: { R2_DELAY_MS: "30", SIMPLE_PAGES: "index" }, log,
    });
    log("== read path");
    const readRuns = [];
    for (let i = 0; i < (quick ? 1 : 3); i++) {
      readRuns.push(await benchReadPath({ bits, requests: quick ? 300 : 5000, seconds: quick ? 1 : 5, warmup: quick ? 50 : 500, log }));
    }
    log(formatReadPath(readRuns[0]!));
    log("== bytes a new installer downloads");
    const installer = [];
    for (const n of quick ? [100_000] : [100_000, 1_000_000, 10_000_000]) installer.push(await installerBytes(n));
    log("== renewal: one cron run, and a full re-sign");
    const { benchRenewal } = await import("../bench/renewal.js");
    const renewal = await benchRenewal({ bits, log, steadyRuns: quick ? 2 : 5 });
    log("== delta updates");
    const delta = await benchDelta(deltaOptions);
    log("== the largest invocations");
    const w = await startLocalWorker({ queueConsumer: false });
    let invocations;
    try {
      invocations = await benchInvocations(w, bits);
    } finally {
      await w.close();
    }

    const results = {
      generated: new Date().toISOString(),
      mode: quick ? "quick" : "full",
      seconds: Math.round((Date.now() - started) / 1000),
      machine: machine(),
      publish,
      publishSlowR2,
      readPath: readRuns,
      installer: { pep458_2019: PEP458_2019, sizes: installer },
      renewal,
      invocations,
      delta,
    };
    mkdirSync(out, { recursive: true });
    writeFileSync(join(out, "results.json"), `${JSON.stringify(results, null, 2)}\n`);
    writeFileSync(join(out, "results.md"), `${formatReport(results)}\n${formatDelta(delta)}`);
    io.out(`wrote ${join(out, "results.json")} and results.md in ${results.seconds} s`);
  },
};
export default command;
