import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { ed25519Signer } from "../../shared/keys.js";
import type { LocalWorker } from "../lib/local-worker.js";
import { chunksByBin, devCeremony, postUpload } from "../lib/dev-repo.js";
import { postAdmin } from "../lib/http.js";
import { syntheticTarget } from "./publish.js";

/**
 * CPU time and memory of single Worker invocations, read from the workerd process that runs them
 * (/proc). workerd also runs Miniflare's R2 and queue simulators, so both figures are upper bounds
 * for the Worker's own invocation.
 */
export interface InvocationCost {
  readonly what: string;
  readonly wallMs: number;
  /** CPU time of the whole workerd process during the invocation (user + system). */
  readonly cpuMs: number;
  /** Peak resident memory of the workerd process so far (VmHWM), MB. */
  readonly peakRssMb: number;
}

const TICK_MS = 1000 / Number(execFileSync("getconf", ["CLK_TCK"], { encoding: "utf8" }).trim());

/** The workerd process Miniflare started for `worker` (the child of this process with the most memory). */
export function workerdPid(): number {
  const rows = execFileSync("ps", ["-o", "pid=,rss=,comm=", "--ppid", String(process.pid)], { encoding: "utf8" })
    .trim().split("\n").map((l) => l.trim().split(/\s+/)).filter((r) => r[2] === "workerd");
  if (!rows.length) throw new Error("no workerd child process found");
  return Number(rows.sort((a, b) => Number(b[1]) - Number(a[1]))[0]![0]);
}

export function cpuMs(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]!.split(" ");
  return (Number(fields[11]) + Number(fields[12])) * TICK_MS; // utime + stime, in ticks
}

const peakRssMb = (pid: number) => Number(/VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"))![1]) / 1024;

export async function measure(what: string, run: () => Promise<unknown>): Promise<InvocationCost> {
  const pid = workerdPid();
  const [c0, t0] = [cpuMs(pid), performance.now()];
  await run();
  return { what, wallMs: performance.now() - t0, cpuMs: cpuMs(pid) - c0, peakRssMb: peakRssMb(pid) };
}

/**
 * The largest invocations of a repository with 2^bits bins, run one at a time with the consumer
 * driven directly: every bootstrap step, the largest import commit (2,048 bins), a webhook batch of
 * 100 uploads, and a cron run. `w` must be started with queueConsumer: false.
 */
export async function benchInvocations(w: LocalWorker, bits: number, cron = "*/5 * * * *"): Promise<InvocationCost[]> {
  const worker = await w.mf.getWorker();
  let seq = 0;
  const deliver = (bodies: unknown[]) =>
    worker.queue("tuf-edge-uploads", bodies.map((body) => ({ id: `b${++seq}`, timestamp: new Date(), attempts: 1, body })));
  const costs: InvocationCost[] = [];

  const c = await devCeremony((await ed25519Signer(w.onlineSeed)).key, bits);
  const job = (await postAdmin(w.url, "/v1/admin/bootstrap", { root: c.root.toJSON(), targets: c.targets.toJSON() }, w.secrets.ADMIN_TOKEN)).body as { job: string; steps: number };
  for (let step = 0; step < job.steps; step++) {
    costs.push(await measure(`bootstrap step ${step + 1}/${job.steps}`, () => deliver([{ kind: "job", job: job.job, step }])));
  }
  const targets = Array.from({ length: 2 ** bits }, (_, i) => syntheticTarget(i, "invocation"));
  const [chunk] = chunksByBin(targets, bits, 2048, 60_000);
  const imported = (await postAdmin(w.url, "/v1/admin/import", { targets: chunk }, w.secrets.ADMIN_TOKEN)).body as { id: string };
  costs.push(await measure(`import commit (${chunk!.length} targets)`, () => deliver([{ kind: "upload", id: imported.id }])));
  const ids: string[] = [];
  for (let r = 0; r < 100; r++) ids.push((await postUpload(w.url, w.secrets.WEBHOOK_SECRET, { targets: [syntheticTarget(r, "batch")] })).body.id);
  costs.push(await measure("webhook batch (100 uploads)", () => deliver(ids.map((id) => ({ kind: "upload", id })))));
  costs.push(await measure("cron run", () => worker.scheduled({ cron })));
  return costs;
}
