/**
 * Benchmark-only Worker entry: the publish core bench (core.ts: the real publishUploads() over an
 * in-memory bucket, no R2) run inside workerd, the runtime that runs it in production, rather than
 * in Node, whose zlib costs 2–3× workerd's per bin. POST / with the CoreBenchOptions as JSON; the
 * answer is the bench's result. Never deployed.
 */
import { type CoreBenchOptions, benchCore } from "./core.js";

export default {
  async fetch(request: Request): Promise<Response> {
    const options = (await request.json()) as CoreBenchOptions;
    // workerd's clock ticks in whole milliseconds: per-step timings of one bin would read 0 or 1.
    const { store: _store, online: _online, ...result } = await benchCore({ ...options, steps: false });
    return Response.json(result);
  },
};
