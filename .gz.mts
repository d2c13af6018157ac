import { gzip as gzipOld, gunzip as gunzipOld } from "./worker/storage/gzip.ts";
import { syntheticTargets } from "./scripts/bench/core-seed.ts";
const ts = syntheticTargets(61, "x");
const text = JSON.stringify(ts);
const bytes = new TextEncoder().encode(text);
async function collect(readable: ReadableStream<Uint8Array>) {
  const reader = readable.getReader(); const chunks: Uint8Array[] = []; let n = 0;
  for (;;) { const { done, value } = await reader.read(); if (done) break; chunks.push(value); n += value.length; }
  if (chunks.length === 1) return chunks[0]!;
  const out = new Uint8Array(n); let o = 0; for (const c of chunks) { out.set(c, o); o += c.length; } return out;
}
async function viaWriter(b: Uint8Array, s: CompressionStream | DecompressionStream) {
  const w = s.writable.getWriter(); const done = w.write(b).then(() => w.close());
  const out = await collect(s.readable); await done; return out;
}
const gzNew = (b: Uint8Array) => viaWriter(b, new CompressionStream("gzip"));
const gunNew = (b: Uint8Array) => viaWriter(b, new DecompressionStream("gzip"));
const gz = await gzipOld(bytes);
if (Buffer.compare(Buffer.from(await gunNew(gz)), Buffer.from(bytes)) !== 0) throw new Error("mismatch");
if (Buffer.compare(Buffer.from(await gunzipOld(await gzNew(bytes))), Buffer.from(bytes)) !== 0) throw new Error("mismatch2");
const fns: Record<string, () => Promise<unknown>> = { gzipOld: () => gzipOld(bytes), gzipNew: () => gzNew(bytes), gunzipOld: () => gunzipOld(gz), gunzipNew: () => gunNew(gz) };
for (let r = 0; r < 3; r++) for (const [name, fn] of Object.entries(fns)) {
  const t = performance.now(); for (let i = 0; i < 500; i++) await fn();
  console.log(r, name, ((performance.now() - t) / 500 * 1000).toFixed(0));
}
