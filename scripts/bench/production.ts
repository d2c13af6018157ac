import { getJson } from "../lib/dev-repo.js";
import { pollUntil } from "../lib/poll.js";
import type { LocalWorker } from "../lib/local-worker.js";
import { cpuMs, workerdPid } from "./invocations.js";
import { PLATFORM_LIMITS, type InvocationRecord } from "./production-model.js";
import { benchPublish, median, type PublishBenchOptions } from "./publish.js";

/**
 * Every publish row (bootstrap, import, sustained publish, latency at 50 targets/s offered, a full
 * re-sign, render-mode releases) run on the Worker under the production model
 * (production-model-worker.ts: 30 ms per R2 call, 6 subrequests in flight per invocation), with what
 * each phase's invocations did: subrequests, the calls in order (the critical path), and CPU.
 *
 * CPU per invocation is workerd's process CPU (/proc, utime + stime, 10 ms ticks) sampled every
 * 20 ms and read over the invocation's wall window: an upper bound, since the process also runs
 * Miniflare's R2 and queue simulators and any fetch running at the same time (status polls).
 */

type Phase = NonNullable<Parameters<NonNullable<PublishBenchOptions["onPhase"]>>[0]>;

/** workerd's CPU over time, to read any window of it. */
class CpuSampler {
  private readonly samples: [number, number][] = [];
  private timer: NodeJS.Timeout | undefined;
  private pid = 0;

  start() {
    this.pid = workerdPid();
    this.sample();
    this.timer = setInterval(() => this.sample(), 20);
  }
  private sample() {
    try {
      this.samples.push([Date.now(), cpuMs(this.pid)]);
    } catch {
      // workerd restarted (reconfigure): follow the new process.
      this.pid = workerdPid();
    }
  }
  stop() {
    clearInterval(this.timer);
  }
  private at(t: number): number {
    const s = this.samples;
    let i = s.findIndex(([ts]) => ts >= t);
    if (i < 0) return s.at(-1)?.[1] ?? 0;
    if (i === 0) return s[0]![1];
    const [t0, c0] = s[i - 1]!;
    const [t1, c1] = s[i]!;
    return c0 + ((c1 - c0) * (t - t0)) / Math.max(1, t1 - t0);
  }
  /** CPU ms of the process from `start` to `end` (epoch ms), rounded up to whole ticks seen. */
  between(start: number, end: number) {
    return Math.max(0, this.at(end) - this.at(start));
  }
}

export interface InvocationCostModel {
  readonly kind: string;
  readonly what: string;
  readonly wallMs: number;
  readonly cpuMs: number;
  readonly subrequests: number;
  readonly maxInFlight: number;
  /** Time with at least one call outstanding, and that time in 30 ms rounds: the storage critical path. */
  readonly storageMs: number;
  readonly rounds: number;
  /** Per op, in the order first called: calls, and the time (and 30 ms rounds) some were outstanding. */
  readonly ops: Record<string, { calls: number; ms: number; rounds: number }>;
  readonly overLimits: string[];
}

export interface PhaseSummary {
  readonly invocations: number;
  /** The queue consumer's runs: each is one commit of what the batch held (or a job step). */
  readonly consumerRuns: number;
  readonly subrequestsPerConsumerRun: { median: number; max: number };
  readonly cpuMsPerConsumerRun: { median: number; max: number };
  readonly wallMsPerConsumerRun: { median: number; max: number };
  /** The consumer run of median subrequests, with its calls in order. */
  readonly typical?: InvocationCostModel;
  /** The invocation with the most subrequests, and the one with the most CPU. */
  readonly largest?: InvocationCostModel;
  readonly mostCpu?: InvocationCostModel;
}

const round = (x: number, digits = 0) => Math.round(x * 10 ** digits) / 10 ** digits;

function cost(r: InvocationRecord, cpu: CpuSampler, latencyMs: number): InvocationCostModel {
  const cpuMs = round(cpu.between(r.start, r.end));
  const overLimits = [
    ...(r.subrequests > PLATFORM_LIMITS.subrequests ? [`${r.subrequests} subrequests > ${PLATFORM_LIMITS.subrequests}`] : []),
    ...(cpuMs > PLATFORM_LIMITS.cpuMs ? [`${cpuMs} ms CPU > ${PLATFORM_LIMITS.cpuMs}`] : []),
  ];
  return {
    kind: r.kind, what: r.what, wallMs: r.end - r.start, cpuMs, subrequests: r.subrequests, maxInFlight: r.maxInFlight,
    storageMs: r.storageMs, rounds: latencyMs > 0 ? round(r.storageMs / latencyMs, 1) : 0, overLimits,
    ops: Object.fromEntries(Object.entries(r.ops).map(([op, calls]) => {
      const ms = r.opMs[op] ?? 0;
      return [op, { calls, ms, rounds: latencyMs > 0 ? round(ms / latencyMs, 1) : 0 }];
    })),
  };
}

function summarize(records: InvocationRecord[], cpu: CpuSampler, latencyMs: number): PhaseSummary {
  const costs = records.map((r) => cost(r, cpu, latencyMs));
  // The writer's runs: the sequencer's alarms, or (WRITER="consumer") the queue consumer's batches.
  const alarms = costs.filter((c) => c.kind === "alarm");
  const runs = alarms.length ? alarms : costs.filter((c) => c.kind === "queue" && c.what.startsWith("tuf-edge-uploads "));
  const stat = (xs: number[]) => ({ median: xs.length ? median(xs) : 0, max: xs.length ? Math.max(...xs) : 0 });
  const bySub = [...runs].sort((a, b) => a.subrequests - b.subrequests);
  const top = (key: "subrequests" | "cpuMs") => (costs.length ? costs.reduce((a, b) => (b[key] > a[key] ? b : a)) : undefined);
  return {
    invocations: costs.length,
    consumerRuns: runs.length,
    subrequestsPerConsumerRun: stat(runs.map((c) => c.subrequests)),
    cpuMsPerConsumerRun: stat(runs.map((c) => c.cpuMs)),
    wallMsPerConsumerRun: stat(runs.map((c) => c.wallMs)),
    typical: bySub[Math.floor(bySub.length / 2)],
    largest: top("subrequests"),
    mostCpu: top("cpuMs"),
  };
}

export interface ProductionBenchOptions {
  bits: number;
  seed: number;
  quick?: boolean;
  latencyMs?: number;
  /** METADATA in the Worker's memory rather than Miniflare's R2 simulator (production-model-worker.ts). */
  memoryMetadata?: boolean;
  log?: (line: string) => void;
}

/** The production-model rows; the Worker bundle "production-model" must be built. */
export async function benchProduction(o: ProductionBenchOptions) {
  const log = o.log ?? (() => {});
  const latencyMs = o.latencyMs ?? 30;
  const cpu = new CpuSampler();
  const phases: Partial<Record<Exclude<Phase, "start">, PhaseSummary>> = {};
  const onPhase = async (phase: Phase, w: LocalWorker) => {
    if (phase === "start") {
      cpu.start();
      return;
    }
    // A consumer run goes on after the uploads it published show as published (records, deletes):
    // wait for it, so that each run is counted in the phase that caused it.
    await pollUntil("the consumer runs of this phase", async () => (await getJson(`${w.url}/__model/invocations`)).running === 0 || undefined, { timeoutMs: 120_000, intervalMs: 50 });
    const { invocations } = await getJson(`${w.url}/__model/invocations?take=1`) as { invocations: InvocationRecord[] };
    phases[phase] = summarize(invocations, cpu, latencyMs);
    const s = phases[phase]!;
    log(`  ${phase}: ${s.invocations} invocations, ${s.consumerRuns} consumer runs, subrequests per run median ${s.subrequestsPerConsumerRun.median} (max ${s.subrequestsPerConsumerRun.max}), CPU per run median ${round(s.cpuMsPerConsumerRun.median)} ms (max ${round(s.cpuMsPerConsumerRun.max)})`);
  };
  let publish;
  try {
    publish = await benchPublish({
      bits: o.bits, seed: o.seed, requests: o.quick ? 10 : 100, targetsPerRequest: o.quick ? 10 : 100, concurrency: 8, repeats: 1,
      paceTargetsPerSecond: 50, paceSeconds: o.quick ? 3 : 20, renderRequests: o.quick ? 2 : 5, resign: true,
      entry: "production-model", vars: { MODEL_LATENCY_MS: String(latencyMs), SIMPLE_PAGES: "index", ...(o.memoryMetadata && { MODEL_METADATA: "memory" }) }, onPhase, log,
    });
  } finally {
    cpu.stop();
  }
  const all = Object.values(phases).flatMap((p) => [p.largest, p.mostCpu]).filter((c): c is InvocationCostModel => c !== undefined);
  const largest = all.reduce((a, b) => (b.subrequests > a.subrequests ? b : a));
  const mostCpu = all.reduce((a, b) => (b.cpuMs > a.cpuMs ? b : a));
  const brief = (c: InvocationCostModel) => ({ what: c.what, subrequests: c.subrequests, cpuMs: c.cpuMs, wallMs: c.wallMs, overLimits: c.overLimits });
  return {
    model: {
      latencyMsPerR2Call: latencyMs, maxInFlight: PLATFORM_LIMITS.inFlight, limits: PLATFORM_LIMITS, cpu: "workerd process CPU over the invocation's window (/proc): an upper bound",
      metadata: o.memoryMetadata ? "in the Worker's memory" : "Miniflare's R2 simulator",
    },
    bins: publish.bins,
    seed: publish.seed,
    publishTargetsPerSecond: publish.sustained.medianTargetsPerSecond,
    p50Ms: publish.latency.p50,
    p99Ms: publish.latency.p99,
    bootstrapSeconds: publish.bootstrapSeconds,
    importTargetsPerSecond: publish.importTargetsPerSecond,
    resignSeconds: publish.resign!.workSeconds,
    releasesPerSecond: publish.render!.releasesPerSecond,
    largestInvocation: { subrequests: largest.subrequests, cpuMs: mostCpu.cpuMs, bySubrequests: brief(largest), byCpu: brief(mostCpu) },
    publish,
    phases,
  };
}
