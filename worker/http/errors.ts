import type { Context } from "hono";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import { FieldError, VerificationError } from "../../shared/errors.js";
import { fromUtf8 } from "../../shared/encoding.js";

/** Errors are JSON values a caller can act on: what is wrong, and which field. */
export function errorResponse(c: Context, status: ContentfulStatusCode, error: string, extra: Record<string, unknown> = {}) {
  return c.json({ error, ...extra }, status);
}

/** A validation or verification failure as a 400 naming the field; anything else propagates (500). */
export function rejectInput(c: Context, e: unknown) {
  if (e instanceof FieldError) return errorResponse(c, 400, e.message, { field: e.field });
  if (e instanceof VerificationError) return errorResponse(c, 400, e.message, { reason: e.kind });
  throw e;
}

/**
 * Reads a request body of at most `limit` bytes; null when it is larger (reading stops there).
 * `onChunk` sees each chunk as it arrives (the webhook feeds its HMAC this way).
 */
export async function readBody(req: Request, limit: number, onChunk?: (chunk: Uint8Array) => void): Promise<Uint8Array | null> {
  const declared = Number(req.headers.get("content-length") ?? "0");
  if (declared > limit) return null;
  if (!req.body) return new Uint8Array();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for await (const chunk of req.body as unknown as AsyncIterable<Uint8Array>) {
    size += chunk.length;
    if (size > limit) return null;
    onChunk?.(chunk);
    chunks.push(chunk);
  }
  const out = new Uint8Array(size);
  let at = 0;
  for (const chunk of chunks) {
    out.set(chunk, at);
    at += chunk.length;
  }
  return out;
}

/** A request body as JSON; a FieldError naming the whole body when it is not UTF-8 JSON. */
export function parseJsonBody(body: Uint8Array): unknown {
  try {
    return JSON.parse(fromUtf8(body));
  } catch {
    throw new FieldError("", "body is not valid UTF-8 JSON");
  }
}
