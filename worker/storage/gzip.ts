/**
 * gzip by the runtime's CompressionStream (its default level: the Workers runtime offers no other
 * without nodejs_compat). The bytes go straight to the stream's writer and come back through its
 * reader: no Response wrappers or pipes around it, which cost as much as the compression of a
 * 13 KB bin in Node.
 */
async function pipe(bytes: Uint8Array, stream: CompressionStream | DecompressionStream): Promise<Uint8Array> {
  const writer = stream.writable.getWriter();
  // Written and read at once: awaiting the write first would stall once the output fills the queue.
  const written = writer.write(bytes as Uint8Array<ArrayBuffer>).then(() => writer.close());
  written.catch(() => {}); // a corrupt input fails the read below too; that is the error reported
  const reader = stream.readable.getReader();
  const chunks: Uint8Array[] = [];
  let length = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    chunks.push(value);
    length += value.length;
  }
  await written;
  if (chunks.length === 1) return chunks[0]!;
  const out = new Uint8Array(length);
  let offset = 0;
  for (const chunk of chunks) {
    out.set(chunk, offset);
    offset += chunk.length;
  }
  return out;
}

export const gzip = (bytes: Uint8Array) => pipe(bytes, new CompressionStream("gzip"));
export const gunzip = (bytes: Uint8Array) => pipe(bytes, new DecompressionStream("gzip"));
