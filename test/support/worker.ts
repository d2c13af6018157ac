import { type LocalWorker, type StartOptions, startLocalWorker } from "../../scripts/lib/local-worker.js";

export type TestWorker = LocalWorker;

/** The bundled Worker (built by global-setup) in workerd, with wrangler.toml's bindings. */
export const startWorker = (options: StartOptions & { entry?: "index" | "faulty" | "production-model" } = {}) => startLocalWorker(options);
