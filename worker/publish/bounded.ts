/**
 * Concurrency for the writer's storage calls: enough to overlap R2 latency, few enough to bound
 * memory. (On the platform an invocation has six subrequests in flight; more simply wait.)
 */
export const BIN_CONCURRENCY = 16;

export { mapBounded } from "../../shared/bounded.js";
