import http from "node:http";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { Worker } from "node:worker_threads";
import { gunzipSync, gzipSync } from "node:zlib";
import { sha256Hex } from "../../shared/encoding.js";
import { generateRepository, storeRepository } from "../../test/support/fixture-repo.js";
import { bundleWorker, startLocalWorker } from "../lib/local-worker.js";

/**
 * Read-path benchmark (issue 5): requests per second and p50/p99 latency for timestamp.json, the
 * 16,384-bin snapshot and one bin, served by the Worker (workerd through Miniflare, R2 in memory)
 * and, in the same run, by a plain node:http static file server over the same files on disk.
 * Load: a node:http keep-alive client loop with a fixed concurrency (no external tool), in this
 * process; the static server runs in a worker thread so that it does not share the client's thread.
 */
export interface ReadPathOptions {
  /** bit_length of the hashed bins. Default 14 (16,384 bins). */
  readonly bits?: number;
  /** Requests in flight. Default 16. */
  readonly concurrency?: number;
  /** Requests per measurement (one file, one server), at most. Default 3,000. */
  readonly requests?: number;
  /** Seconds per measurement, at most. Default 5. */
  readonly seconds?: number;
  /** Requests before each measurement, not counted (fills caches, opens connections, warms the JIT). Default 500. */
  readonly warmup?: number;
  /** Sent with every request. Default "gzip" (what clients and CDNs send). */
  readonly acceptEncoding?: string;
  readonly log?: (line: string) => void;
}

export interface Measurement {
  readonly server: "worker" | "static";
  readonly file: string;
  /** Bytes of one response body on the wire. */
  readonly bodyBytes: number;
  readonly requests: number;
  readonly errors: number;
  readonly seconds: number;
  readonly requestsPerSecond: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
}

export interface ReadPathResult {
  readonly tool: string;
  readonly concurrency: number;
  readonly bins: number;
  readonly setupSeconds: number;
  readonly measurements: readonly Measurement[];
}

// The static server: a worker thread, plain JS. Serves <dir>/<path>, or <dir>/<path>.gz with
// Content-Encoding gzip when the client accepts gzip (what nginx's gzip_static does).
const STATIC_SERVER = `
const http = require("node:http");
const fs = require("node:fs");
const path = require("node:path");
const { parentPort, workerData } = require("node:worker_threads");
const root = path.resolve(workerData.dir);
const server = http.createServer((req, res) => {
  const file = path.resolve(root, "." + decodeURIComponent(new URL(req.url, "http://x").pathname));
  if (!file.startsWith(root + path.sep)) { res.writeHead(404).end(); return; }
  const gzip = /\\bgzip\\b/.test(req.headers["accept-encoding"] || "");
  const chosen = gzip && fs.existsSync(file + ".gz") ? file + ".gz" : file;
  fs.stat(chosen, (err, st) => {
    if (err || !st.isFile()) { res.writeHead(404).end(); return; }
    const headers = { "Content-Type": "application/json", "Content-Length": st.size };
    if (chosen !== file) headers["Content-Encoding"] = "gzip";
    res.writeHead(200, headers);
    fs.createReadStream(chosen).pipe(res);
  });
});
server.keepAliveTimeout = 60000;
server.listen(0, "127.0.0.1", () => parentPort.postMessage(server.address().port));
parentPort.on("message", (m) => { if (m === "close") server.close(() => process.exit(0)); });
`;

async function startStaticServer(dir: string): Promise<{ url: string; close(): Promise<void> }> {
  const thread = new Worker(STATIC_SERVER, { eval: true, workerData: { dir } });
  const port = await new Promise<number>((resolve, reject) => {
    thread.once("message", resolve);
    thread.once("error", reject);
  });
  return {
    url: `http://127.0.0.1:${port}`,
    close: async () => {
      thread.postMessage("close");
      await thread.terminate();
    },
  };
}

function request(agent: http.Agent, url: string, headers: Record<string, string>): Promise<{ status: number; body: Buffer }> {
  return new Promise((resolve, reject) => {
    const req = http.get(url, { agent, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (c: Buffer) => chunks.push(c));
      res.on("end", () => resolve({ status: res.statusCode!, body: Buffer.concat(chunks) }));
      res.on("error", reject);
    });
    req.on("error", reject);
  });
}

const percentile = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN;

/** `concurrency` loops, each sending its next request when the last one's body is read. */
async function load(url: string, o: Required<Pick<ReadPathOptions, "concurrency" | "requests" | "seconds" | "warmup" | "acceptEncoding">>) {
  const agent = new http.Agent({ keepAlive: true, maxSockets: o.concurrency });
  const headers = { "Accept-Encoding": o.acceptEncoding };
  try {
    let warm = 0;
    await Promise.all(Array.from({ length: o.concurrency }, async () => {
      while (warm++ < o.warmup) await request(agent, url, headers);
    }));
    const latencies: number[] = [];
    let errors = 0;
    let issued = 0;
    let bodyBytes = 0;
    const start = performance.now();
    const deadline = start + o.seconds * 1000;
    await Promise.all(Array.from({ length: o.concurrency }, async () => {
      while (issued < o.requests && performance.now() < deadline) {
        issued++;
        const t0 = performance.now();
        try {
          const res = await request(agent, url, headers);
          if (res.status !== 200) errors++;
          bodyBytes = res.body.length;
        } catch {
          errors++;
        }
        latencies.push(performance.now() - t0);
      }
    }));
    const seconds = (performance.now() - start) / 1000;
    latencies.sort((a, b) => a - b);
    return {
      bodyBytes, requests: latencies.length, errors, seconds,
      requestsPerSecond: latencies.length / seconds, p50Ms: percentile(latencies, 50), p99Ms: percentile(latencies, 99),
    };
  } finally {
    agent.destroy();
  }
}

export async function benchReadPath(options: ReadPathOptions = {}): Promise<ReadPathResult> {
  const o = {
    bits: options.bits ?? 14,
    concurrency: options.concurrency ?? 16,
    requests: options.requests ?? 3000,
    seconds: options.seconds ?? 5,
    warmup: options.warmup ?? 500,
    acceptEncoding: options.acceptEncoding ?? "gzip",
  };
  const log = options.log ?? (() => {});
  const setupStart = performance.now();

  const target = { path: "packages/3f/1a/9c0d/example-1.0-py3-none-any.whl", bytes: new TextEncoder().encode("bench") };
  const repo = await generateRepository({ bits: o.bits, targets: [target] });
  const binFile = repo.binFileOf(target.path);
  const files = { timestamp: "timestamp.json", snapshot: `${repo.snapshot.signed.version}.snapshot.json`, bin: binFile };

  const dir = mkdtempSync(join(tmpdir(), "tuf-edge-bench-read-"));
  mkdirSync(join(dir, "metadata"));
  for (const [name, bytes] of repo.files) {
    writeFileSync(join(dir, "metadata", name), bytes);
    writeFileSync(join(dir, "metadata", `${name}.gz`), gzipSync(bytes));
  }

  await bundleWorker();
  const worker = await startLocalWorker();
  const fileServer = await startStaticServer(dir);
  try {
    log(`storing ${repo.files.size} files (${2 ** o.bits} bins) in the Worker's R2 ...`);
    await storeRepository(await worker.metadata(), repo.files);
    const setupSeconds = (performance.now() - setupStart) / 1000;
    log(`set up in ${setupSeconds.toFixed(1)} s`);

    const measurements: Measurement[] = [];
    for (const [label, name] of Object.entries(files)) {
      for (const [server, base] of [["worker", worker.url], ["static", fileServer.url]] as const) {
        const url = `${base}/metadata/${name}`;
        // Both servers must serve the same JSON before their speed means anything.
        const check = await request(new http.Agent(), url, { "Accept-Encoding": o.acceptEncoding });
        const body = /gzip/.test(o.acceptEncoding) ? gunzipSync(check.body) : check.body;
        if (check.status !== 200 || sha256Hex(body) !== sha256Hex(repo.files.get(name)!)) {
          throw new Error(`${server} serves ${name} wrong (status ${check.status})`);
        }
        const m = { server, file: label === "snapshot" ? `snapshot (${2 ** o.bits} bins)` : label === "bin" ? `bin ${repo.binOf(target.path)}` : name, ...(await load(url, o)) };
        measurements.push(m);
        log(`${m.file.padEnd(24)} ${server.padEnd(7)} ${Math.round(m.requestsPerSecond)} req/s, p50 ${m.p50Ms.toFixed(2)} ms, p99 ${m.p99Ms.toFixed(2)} ms`);
      }
    }
    return {
      tool: `node:http keep-alive load loop in-process (Accept-Encoding: ${o.acceptEncoding}, ${o.warmup} warm-up requests, then up to ${o.requests} requests or ${o.seconds} s per row)`,
      concurrency: o.concurrency,
      bins: 2 ** o.bits,
      setupSeconds,
      measurements,
    };
  } finally {
    await fileServer.close();
    await worker.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

export function formatReadPath(result: ReadPathResult): string {
  const rows = result.measurements.map((m) => [
    m.file, m.server, String(m.bodyBytes), String(Math.round(m.requestsPerSecond)), m.p50Ms.toFixed(2), m.p99Ms.toFixed(2), String(m.requests), String(m.errors),
  ]);
  const head = ["file", "server", "body B", "req/s", "p50 ms", "p99 ms", "requests", "errors"];
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]) => cells.map((c, i) => (i < 2 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join("  ");
  return [
    `Read path, ${result.bins} bins; concurrency ${result.concurrency}; ${result.tool}`,
    "worker = the Worker in workerd via Miniflare (local R2); static = node:http static file server (pre-gzipped files on disk)",
    "",
    line(head),
    line(widths.map((w) => "-".repeat(w))),
    ...rows.map(line),
  ].join("\n");
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const arg = (name: string) => {
    const i = process.argv.indexOf(`--${name}`);
    return i > 0 ? Number(process.argv[i + 1]) : undefined;
  };
  const result = await benchReadPath({
    bits: arg("bits"), concurrency: arg("concurrency"), requests: arg("requests"), seconds: arg("seconds"),
    log: (line) => console.error(line),
  });
  console.log(formatReadPath(result));
}
