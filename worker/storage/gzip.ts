import { gunzipSync, gzipSync } from "node:zlib";

/**
 * gzip by zlib (`node:zlib`, native in workerd under `nodejs_compat`, and in Node). Synchronous: the
 * work is CPU either way, and a stream's promises cost more than compressing a 13 KB bin. Unlike
 * `CompressionStream` it takes a level, chosen by measurement (npm run bench -- --core, README):
 * - level 1 for bins, timestamp and delegations: hex and versions barely compress at any level
 *   (a 9 KB bin is 2,659 bytes at level 1 and 2,652 at 6), and level 1 is the fastest;
 * - level 6 (zlib's default) for what many clients fetch and it pays to shrink: the snapshot
 *   (88 vs 84 KB at 16,384 bins, 1.3 vs 5.6 ms once a commit) and simple pages.
 */
export type GzipLevel = 1 | 6;

export const gzip = (bytes: Uint8Array, level: GzipLevel = 6): Uint8Array => {
  const out = gzipSync(bytes, { level });
  return new Uint8Array(out.buffer, out.byteOffset, out.length);
};

/** Throws on a corrupt or truncated stream. */
export const gunzip = (bytes: Uint8Array): Uint8Array => {
  const out = gunzipSync(bytes);
  return new Uint8Array(out.buffer, out.byteOffset, out.length);
};
