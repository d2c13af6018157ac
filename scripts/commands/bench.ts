import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { cpus, loadavg, totalmem } from "node:os";
import { join } from "node:path";
import type { Command } from "../cli.js";
import { parseOptions, parsePositiveInt } from "../lib/args.js";
import { UsageError } from "../lib/errors.js";
import { ROOT, bundleWorker, startLocalWorker } from "../lib/local-worker.js";
import { installerBytes, PEP458_2019 } from "../bench/installer-bytes.js";
import { benchDelta, formatDelta } from "../bench/delta.js";
import { benchCoreInWorkerd } from "../bench/core-workerd.js";
import { benchInvocations } from "../bench/invocations.js";
import { benchPublish } from "../bench/publish.js";
import { benchReadPath, formatReadPath } from "../bench/read-path.js";
import { formatProduction, formatReport } from "../bench/report.js";

const usage = `Usage: tuf-edge bench [--quick] [--full] [--delta] [--out DIR]   (npm run bench)
       tuf-edge bench --production [--memory-r2] [--quick] [--full] [--out DIR]
       tuf-edge bench --core [--full] [--workerd]       (npm run bench -- --core)
       tuf-edge bench --verify [--bits 14]
       tuf-edge bench --projects [--out DIR]

Sets up local repositories in workerd (Miniflare, local R2 and Queues), seeds them, measures, and
writes DIR/results.json and DIR/results.md (default DIR: bench/). Measures: publish throughput and
latency, import, the read path beside a static file server,
the bytes a new installer downloads, one cron run and a full re-sign, and the CPU time and memory
of the largest invocations; then bootstrap, import, publish, latency, re-sign and render-mode
releases again in the production model (30 ms per R2 call, 6 subrequests in flight per invocation:
scripts/bench/production-model.ts), at 100,000 targets seeded (1,000,000 with --full). Medians over
repeated runs; the machine is noisy.

Options:
  --core      only the publish core in Node over an in-memory bucket (scripts/bench/core.ts): prints
              targets/s, ms per bin rewrite and phase timings, then one JSON line (about 35 s)
  --workerd   with --core: run it inside workerd (scripts/bench/core-worker.ts), the production runtime,
              and record it as coreWorkerd in DIR/results.json
  --full      with --core: also render-mode releases and a full re-sign of every bin (about 55 s);
              otherwise: the production model seeded with 1,000,000 targets instead of 100,000
  --production  only the production-model rows (about 15 minutes at 16,384 bins): writes
              DIR/production.json, and updates productionModel in DIR/results.json if it exists
  --memory-r2 with --production: METADATA in the Worker's memory instead of Miniflare's R2
              simulator, whose CPU shares the Worker's core here (still 30 ms a call, 6 in flight):
              DIR/production-memory-r2.json and productionModelMemoryR2
  --verify    only \`tuf-edge verify\` at 2^bits bins (default 14): three runs against a static file
              server (wall and client CPU seconds), then against the Worker in workerd as \`npm start\`
              runs it, without a cache and twice with --cache (the second on deltas, after a cron
              run and five commits): wall, CPU, bytes on the wire. JSON on stdout; at 14 bits (or
              with --out) also into DIR/results.json (\`verifyWorker\`) and DIR/results.md
  --projects  only PEP 480's sizes at 10,000 and 100,000 claimed projects (16,384 bins: claimed and
              its parts, the snapshot, what a new installer downloads) and tuf-js's time to verify a
              project role signed by 1, 3 and 5 keys (scripts/bench/project-roles.ts, about 2
              minutes): DIR/project-roles.json and \`projectRoles\` in DIR/results.json
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
      { workerd: { type: "boolean" }, quick: { type: "boolean" }, production: { type: "boolean" }, delta: { type: "boolean" }, out: { type: "string" }, core: { type: "boolean" }, full: { type: "boolean" }, verify: { type: "boolean" }, bits: { type: "string" }, "memory-r2": { type: "boolean" }, projects: { type: "boolean" } },
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
    if (values.core && values.workerd) {
      const coreWorkerd = await benchCoreInWorkerd({ releases: false, resign: full });
      const resultsFile = join(values.out ?? join(ROOT, "bench"), "results.json");
      if (existsSync(resultsFile)) {
        const results = JSON.parse(readFileSync(resultsFile, "utf8"));
        results.coreWorkerd = { generated: new Date().toISOString(), loadAverage: loadavg(), ...coreWorkerd };
        writeFileSync(resultsFile, `${JSON.stringify(results, null, 2)}\n`);
      }
      io.out(JSON.stringify(coreWorkerd));
      return;
    }
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
    if (values.projects) {
      log("== PEP 480 at 10,000 and 100,000 claimed projects (scripts/bench/project-roles.ts)");
      const stdout = execFileSync(process.execPath, ["--import", "tsx", join(ROOT, "scripts/bench/project-roles.ts")], { cwd: ROOT, maxBuffer: 64 * 2 ** 20, encoding: "utf8" });
      // Claims and pushes through the running Worker, locally and in the production model.
      await bundleWorker({ index: join(ROOT, "worker/index.ts"), "production-model": join(ROOT, "scripts/bench/production-model-worker.ts") });
      const { benchProjectPushes } = await import("../bench/project-pushes.js");
      const claims = quick ? 20 : 200;
      const bits = quick ? 8 : 14;
      log(`== ${claims} claims and ${claims} pushes on the Worker, locally (${2 ** bits} bins)`);
      const largeFiles = quick ? 200 : 5000;
      const local = await benchProjectPushes({ bits, claims, largeFiles, log });
      log("== the same in the production model (30 ms per R2 call, 6 in flight per invocation)");
      const productionModel = await benchProjectPushes({ bits, claims, largeFiles, log, entry: "production-model", vars: { MODEL_LATENCY_MS: "30" } });
      const projectRoles = { generated: new Date().toISOString(), machine: machine(), ...JSON.parse(stdout), pushes: { local, productionModel } };
      mkdirSync(out, { recursive: true });
      writeFileSync(join(out, "project-roles.json"), `${JSON.stringify(projectRoles, null, 2)}\n`);
      const resultsFile = join(out, "results.json");
      if (existsSync(resultsFile)) writeFileSync(resultsFile, `${JSON.stringify({ ...JSON.parse(readFileSync(resultsFile, "utf8")), projectRoles }, null, 2)}\n`);
      io.out(stdout);
      return;
    }
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
    await bundleWorker({ index: join(ROOT, "worker/index.ts"), "production-model": join(ROOT, "scripts/bench/production-model-worker.ts") });
    const { benchProduction } = await import("../bench/production.js");
    const production = async () => {
      const loadBefore = loadavg();
      log(`== the production model: 30 ms per R2 call, 6 subrequests in flight per invocation (${2 ** bits} bins)`);
      const result = await benchProduction({ bits, seed: quick ? 500 : full ? 1_000_000 : 100_000, quick, log, memoryMetadata: values["memory-r2"] === true });
      // The machine is shared: the load before and after says how far to trust the figures.
      return { generated: new Date().toISOString(), loadAverage: { before: loadBefore, after: loadavg() }, ...result };
    };
    if (values.production) {
      const productionModel = await production();
      const memory = values["memory-r2"] === true;
      mkdirSync(out, { recursive: true });
      writeFileSync(join(out, memory ? "production-memory-r2.json" : "production.json"), `${JSON.stringify({ machine: machine(), productionModel }, null, 2)}\n`);
      const resultsFile = join(out, "results.json");
      if (existsSync(resultsFile)) {
        // The rest of results.json stays from its own run; this part says when it was measured.
        const results = JSON.parse(readFileSync(resultsFile, "utf8"));
        results[memory ? "productionModelMemoryR2" : "productionModel"] = productionModel;
        writeFileSync(resultsFile, `${JSON.stringify(results, null, 2)}\n`);
        writeFileSync(join(out, "results.md"), `${formatReport(results)}${results.delta ? `\n${formatDelta(results.delta)}` : ""}`);
      }
      io.out(formatProduction(productionModel));
      return;
    }

    log(`== publish (${2 ** bits} bins)`);
    const publish = await benchPublish({
      bits, seed: quick ? 2_000 : 1_000_000, requests: quick ? 20 : 200, targetsPerRequest: quick ? 10 : 100, concurrency: 8,
      repeats: quick ? 1 : 3, paceTargetsPerSecond: 50, paceSeconds: quick ? 3 : 30, renderRequests: quick ? 2 : 20,
      // Plain targets, as a PEP 458 index publishes its files (the index renders its own pages);
      // then renderRequests releases with SIMPLE_PAGES=render, tuf-edge rendering the pages.
      vars: { SIMPLE_PAGES: "index" }, log,
    });
    const productionModel = await production();
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
    log("== the publish core inside workerd");
    const coreWorkerd = await benchCoreInWorkerd(quick ? { bits: 8, seed: 2_000, batches: 2, batchSize: 100, releases: false, resign: true } : { releases: false, resign: true });
    log(`core in workerd: ${coreWorkerd.targetsPerSecond} targets/s, ${coreWorkerd.msPerBin} ms per bin`);
    log("== the largest project page, in workerd");
    const { benchLargestPage } = await import("../bench/page-size.js");
    const largestPage = await benchLargestPage(quick ? [1_000] : [1_000, 10_000], log);
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
      productionModel,
      coreWorkerd,
      readPath: readRuns,
      installer: { pep458_2019: PEP458_2019, sizes: installer },
      renewal,
      invocations,
      largestPage,
      delta,
    };
    mkdirSync(out, { recursive: true });
    writeFileSync(join(out, "results.json"), `${JSON.stringify(results, null, 2)}\n`);
    writeFileSync(join(out, "results.md"), `${formatReport(results)}\n${formatDelta(delta)}`);
    io.out(`wrote ${join(out, "results.json")} and results.md in ${results.seconds} s`);
  },
};
export default command;
