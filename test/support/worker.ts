import { Miniflare } from "miniflare";
import { unstable_getMiniflareWorkerOptions } from "wrangler";
import { toHex } from "../../shared/encoding.js";
import { randomSeed } from "../../shared/keys.js";
import { BUNDLE_DIR, ROOT } from "./paths.js";

export interface TestWorker {
  readonly mf: Miniflare;
  /** http://127.0.0.1:<port> — a real socket, for tuf-js and raw HTTP. */
  readonly url: string;
  readonly onlineSeed: Uint8Array;
  readonly secrets: { ONLINE_KEY: string; WEBHOOK_SECRET: string; ADMIN_TOKEN: string };
  metadata(): Promise<R2Bucket>;
  packages(): Promise<R2Bucket>;
  /** Changes vars or secrets (e.g. ONLINE_KEY_NEXT) as `wrangler secret put` would; storage is kept. */
  reconfigure(vars: Record<string, string>): Promise<void>;
  close(): Promise<void>;
}

export interface StartOptions {
  /** Bundle to run: the Worker, or the test entry that can inject R2 faults. */
  entry?: "index" | "faulty";
  vars?: Record<string, string>;
  /** Let the queue deliver batches on its own (default). Off: tests call the consumer themselves. */
  queueConsumer?: boolean;
}

/** Starts the bundled Worker in workerd with the bindings of wrangler.toml (in-memory R2 and queues). */
export async function startWorker(options: StartOptions = {}): Promise<TestWorker> {
  const { workerOptions } = unstable_getMiniflareWorkerOptions(`${ROOT}wrangler.toml`);
  const onlineSeed = randomSeed();
  const secrets = {
    ONLINE_KEY: toHex(onlineSeed),
    WEBHOOK_SECRET: toHex(randomSeed()),
    ADMIN_TOKEN: toHex(randomSeed()),
  };
  const settings = (vars: Record<string, string>) =>
    ({
      ...(workerOptions as object),
      name: "tuf-edge",
      modules: true,
      scriptPath: `${BUNDLE_DIR}/${options.entry ?? "index"}.js`,
      bindings: { ...(workerOptions.bindings as Record<string, unknown>), ...secrets, FILES_BASE_URL: "", ...vars },
      queueConsumers: options.queueConsumer === false ? {} : workerOptions.queueConsumers,
      host: "127.0.0.1",
      port: 0,
    }) as ConstructorParameters<typeof Miniflare>[0];
  let vars = { ...options.vars };
  const mf = new Miniflare(settings(vars));
  let url = (await mf.ready).origin;
  return {
    mf,
    get url() {
      return url;
    },
    onlineSeed,
    secrets,
    metadata: () => mf.getR2Bucket("METADATA") as unknown as Promise<R2Bucket>,
    packages: () => mf.getR2Bucket("PACKAGES") as unknown as Promise<R2Bucket>,
    async reconfigure(more) {
      vars = { ...vars, ...more };
      await mf.setOptions({ ...settings(vars), port: new URL(url).port ? Number(new URL(url).port) : 0 });
      url = (await mf.ready).origin;
    },
    close: () => mf.dispose(),
  };
}
