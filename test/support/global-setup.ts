import { build } from "esbuild";
import { BUNDLE_DIR, ENTRIES } from "./paths.js";

/** Bundles the Worker (and test-only entries that wrap it) the way wrangler does, for Miniflare. */
export default async function setup() {
  await build({
    entryPoints: ENTRIES,
    outdir: BUNDLE_DIR,
    bundle: true,
    format: "esm",
    platform: "browser",
    target: "es2022",
    conditions: ["workerd", "worker", "browser"],
    logLevel: "warning",
  });
}
