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
  const chunks: Uint8Array[] = [];
  let length = 0;
  const reader = response.body.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    length += value.length;
    if (length > maxLength) {
      await reader.cancel();
      throw new BodyTooLarge(url, maxLength);
    }
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
