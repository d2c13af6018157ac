// workerd compiles WebAssembly only from a module import, never from bytes at run time. The package's
// exports map hides dist/, hence the path (the version is pinned in package.json). Both bundlers
// (wrangler's CompiledWasm rule; scripts/lib/local-worker.ts) turn the import into a WebAssembly.Module.
// @ts-expect-error TypeScript resolves relative imports to files and has no types for a .wasm file.
import zstdWasm from "../../node_modules/@bokuweb/zstd-wasm/dist/web/zstd.wasm";
import { Zstd } from "../../shared/delta/zstd.js";

let instance: Promise<Zstd> | null = null;

/** One zstd instance per isolate (its memory grows to the largest file compressed, then stays). */
export function zstd(): Promise<Zstd> {
  instance ??= Zstd.instantiate(zstdWasm as WebAssembly.Module).catch((error: unknown) => {
    instance = null;
    throw error;
  });
  return instance;
}
