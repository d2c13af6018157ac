/** A body read whole, refused once it passes `maxLength` bytes (a server cannot make us buffer more). */
export class BodyTooLarge extends Error {
  constructor(readonly url: string, readonly maxLength: number) {
    super(`${url}: the answer is longer than ${maxLength} bytes`);
  }
}

export async function readBounded(response: Response, maxLength: number, url = response.url): Promise<Uint8Array> {
  const declared = Number(response.headers.get("Content-Length") ?? NaN);
  if (declared > maxLength && !response.headers.has("Content-Encoding")) {
    await response.body?.cancel();
    throw new BodyTooLarge(url, maxLength);
  }
  if (!response.body) return new Uint8Array(0);
  const bytes = await collectBounded(response.body, maxLength);
  if (!bytes) throw new BodyTooLarge(url, maxLength);
  return bytes;
}

/**
 * A stream's bytes, or null once they pass `limit` (reading stops there and the stream is
 * cancelled). `onChunk` sees each chunk as it arrives (the webhook feeds its HMAC this way). The
 * one place a body is buffered against a bound: responses, request bodies, inflated archive members.
 */
export async function collectBounded(stream: ReadableStream<Uint8Array>, limit: number, onChunk?: (chunk: Uint8Array) => void): Promise<Uint8Array | null> {
  const chunks: Uint8Array[] = [];
  let length = 0;
  const reader = stream.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    length += value.length;
    if (length > limit) {
      await reader.cancel();
      return null;
    }
    onChunk?.(value);
    chunks.push(value);
  }
  const out = new Uint8Array(length);
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.length;
  }
  return out;
}
