/**
 * The two Node built-ins the Worker uses, native in workerd under `nodejs_compat` (wrangler.toml).
 * Declared here, not by @types/node, so Worker code cannot reach for the rest of Node by accident.
 */
declare module "node:zlib" {
  export function gzipSync(data: Uint8Array, options?: { level?: number }): Uint8Array;
  export function gunzipSync(data: Uint8Array): Uint8Array;
}

declare module "node:crypto" {
  interface Hash {
    update(data: Uint8Array | string): Hash;
    digest(encoding: "hex"): string;
  }
  export function createHash(algorithm: "sha256" | "sha512"): Hash;
}
