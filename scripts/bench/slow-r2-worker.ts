/**
 * Benchmark-only Worker entry: the real Worker with every METADATA and PACKAGES call delayed by
 * R2_DELAY_MS, to model R2 across the network (locally each call takes well under a millisecond).
 */
import { createWorker } from "../../worker/index.js";
import { createBinShard } from "../../worker/publish/bin-shards.js";
import type { Env } from "../../worker/env.js";

function delayed(bucket: R2Bucket, ms: number): R2Bucket {
  return new Proxy(bucket, {
    get(target, prop) {
      const value = Reflect.get(target, prop);
      if (typeof value !== "function") return value;
      return async (...args: unknown[]) => {
        await new Promise((resolve) => setTimeout(resolve, ms));
        return (value as (...a: unknown[]) => unknown).apply(target, args);
      };
    },
  });
}

export default createWorker({
  wrapEnv: (env: Env) => {
    const ms = Number((env as Env & { R2_DELAY_MS?: string }).R2_DELAY_MS ?? 0);
    return ms > 0 ? { ...env, METADATA: delayed(env.METADATA, ms), PACKAGES: delayed(env.PACKAGES, ms) } : env;
  },
});

export const BinShard = createBinShard();
