import { collectBounded } from "../../shared/bounded-body.js";
import type { Context, ErrorHandler } from "hono";
import { HTTPException } from "hono/http-exception";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import { FieldError, VerificationError } from "../../shared/errors.js";
import { fromUtf8 } from "../../shared/encoding.js";

/** Errors are JSON values a caller can act on: what is wrong, and which field. */
export function errorResponse(c: Context, status: ContentfulStatusCode, error: string, extra: Record<string, unknown> = {}) {
  return c.json({ error, ...extra }, status);
}

/**
 * Errors mapped once, for every route: input that fails validation is a 400 naming the field (a
 * FieldError) or what a client would refuse (a VerificationError); an HTTPException answers as it
 * says; anything else is ours, a 500 that says nothing more (the log has it).
 */
export const onError: ErrorHandler = (err, c) => {
  if (err instanceof FieldError) return errorResponse(c, 400, err.message, { field: err.field });
  if (err instanceof VerificationError) return errorResponse(c, 400, err.message, { reason: err.kind });
  if (err instanceof HTTPException) return err.getResponse();
  console.error(JSON.stringify({ event: "error", path: c.req.path, message: err.message }));
  return errorResponse(c, 500, "internal error");
};

/**
 * Reads a request body of at most `limit` bytes; null when it is larger (reading stops there).
 * `onChunk` sees each chunk as it arrives (the webhook feeds its HMAC this way).
 */
export async function readBody(req: Request, limit: number, onChunk?: (chunk: Uint8Array) => void): Promise<Uint8Array | null> {
  const declared = Number(req.headers.get("content-length") ?? "0");
  if (declared > limit) return null;
  if (!req.body) return new Uint8Array();
  return collectBounded(req.body as ReadableStream<Uint8Array>, limit, onChunk);
}

/** A request body as JSON; a FieldError naming the whole body when it is not UTF-8 JSON. */
export function parseJsonBody(body: Uint8Array): unknown {
  try {
    return JSON.parse(fromUtf8(body));
  } catch {
    throw new FieldError("", "body is not valid UTF-8 JSON");
  }
}
