import { type Plugin, build } from "esbuild";
import { copyFile, mkdir } from "node:fs/promises";
import { basename, resolve as resolvePath } from "node:path";
import { Log, LogLevel, Miniflare } from "miniflare";
import { fileURLToPath } from "node:url";
import { unstable_getMiniflareWorkerOptions } from "wrangler";
import { toHex } from "../../shared/encoding.js";
import { randomSeed } from "../../shared/keys.js";

export const ROOT = fileURLToPath(new URL("../../", import.meta.url));
export const BUNDLE_DIR = `${ROOT}.test-dist`;

/**
 * `.wasm` imports stay separate modules, copied beside the bundle, as wrangler's CompiledWasm rule
 * does: workerd compiles WebAssembly only from a module, never from bytes at run time.
 */
const wasmModules: Plugin = {
  name: "wasm-modules",
  setup(build) {
    build.onResolve({ filter: /\.wasm$/ }, async (args) => {
      const source = resolvePath(args.resolveDir, args.path);
      await mkdir(BUNDLE_DIR, { recursive: true });
      await copyFile(source, `${BUNDLE_DIR}/${basename(source)}`);
      return { path: `./${basename(source)}`, external: true };
    });
  },
};

/** Bundles the Worker (and test-only entries that wrap it) the way wrangler does, for Miniflare. */
export async function bundleWorker(entries: Record<string, string> = { index: `${ROOT}worker/index.ts` }) {
  await build({
    entryPoints: entries,
    outdir: BUNDLE_DIR,
    bundle: true,
    format: "esm",
    platform: "browser",
    target: "es2022",
    conditions: ["workerd", "worker", "browser"],
    // Built into workerd under nodejs_compat (wrangler.toml), as wrangler leaves them.
    external: ["node:*"],
    logLevel: "warning",
    plugins: [wasmModules],
  });
}

export interface LocalWorker {
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
  /** Bundle to run (`${BUNDLE_DIR}/<entry>.js`): the Worker, or a test entry that wraps it. */
  entry?: string;
  vars?: Record<string, string>;
  /**
   * "development" (default, what `npm start` runs): DEV_MODE=true, /files serves the packages bucket.
   * "production": as deployed from wrangler.toml, no DEV_MODE.
   */
  mode?: "development" | "production";
  /** Let the queue deliver batches on its own (default). Off: the caller runs the consumer itself. */
  queueConsumer?: boolean;
  port?: number;
  /** Receives what the Worker writes to stdout and stderr (its structured log lines), instead of the console. */
  onOutput?: (text: string) => void;
}

/** Starts the bundled Worker in workerd with the bindings of wrangler.toml (in-memory R2 and queues). */
export async function startLocalWorker(options: StartOptions = {}): Promise<LocalWorker> {
  const { workerOptions } = unstable_getMiniflareWorkerOptions(`${ROOT}wrangler.toml`);
  const onlineSeed = randomSeed();
  const secrets = {
    ONLINE_KEY: toHex(onlineSeed),
    WEBHOOK_SECRET: toHex(randomSeed()),
    ADMIN_TOKEN: toHex(randomSeed()),
  };
  const settings = (vars: Record<string, string>, port: number) =>
    ({
      ...(workerOptions as object),
      name: "tuf-edge",
      modules: true,
      modulesRules: [{ type: "CompiledWasm", include: ["**/*.wasm"] }],
      scriptPath: `${BUNDLE_DIR}/${options.entry ?? "index"}.js`,
      bindings: {
        ...(workerOptions.bindings as Record<string, unknown>),
        ...secrets,
        FILES_BASE_URL: "",
        ...(options.mode === "production" ? {} : { DEV_MODE: "true" }),
        // A caller that runs the consumer itself wants the consumer to commit (WRITER="consumer").
        ...(options.queueConsumer === false ? { WRITER: "consumer" } : {}),
        ...vars,
      },
      queueConsumers: options.queueConsumer === false ? {} : workerOptions.queueConsumers,
      host: "127.0.0.1",
      port,
      // Offline: no download of the request.cf placeholder data.
      cf: false,
      ...(options.onOutput
        ? { handleRuntimeStdio: (stdout: NodeJS.ReadableStream, stderr: NodeJS.ReadableStream) => {
            for (const stream of [stdout, stderr]) stream.on("data", (chunk: Buffer) => options.onOutput!(chunk.toString("utf8")));
          } }
        : {}),
      ...((options as { verbose?: boolean }).verbose ? { log: new Log(LogLevel.DEBUG) } : {}),
    }) as ConstructorParameters<typeof Miniflare>[0];
  let vars = { ...options.vars };
  const mf = new Miniflare(settings(vars, options.port ?? 0));
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
      await mf.setOptions(settings(vars, Number(new URL(url).port)));
      url = (await mf.ready).origin;
    },
    close: () => mf.dispose(),
  };
}
