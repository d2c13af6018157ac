import { FieldError } from "../../shared/errors.js";
import { utf8 } from "../../shared/encoding.js";
import { checkTargetPath, MAX_PATH_BYTES } from "../../shared/upload.js";

/**
 * The still percent-encoded rest of the request path after `prefix` (`/targets/`), or null when the
 * raw path does not start with it (Hono routes on the decoded path; `/%74argets/x` is not ours).
 * Dot segments (`..`, `%2e%2e`) were already resolved by the runtime's URL parser.
 */
export function rawPathAfter(url: string, prefix: string): string | null {
  const pathname = new URL(url).pathname;
  return pathname.startsWith(prefix) ? pathname.slice(prefix.length) : null;
}

/**
 * Decodes a percent-encoded URL path into a target path, one segment at a time, and applies the
 * target path rules of contract.md. Throws a FieldError (a 400) for malformed percent-encoding or
 * UTF-8, an encoded `/`, and anything checkTargetPath refuses (backslash, NUL, `..`, over-long).
 */
export function decodeTargetPath(raw: string): string {
  // Each byte takes at most three characters encoded; anything longer cannot decode to a valid path
  // (a hash-prefixed request may add the 129 bytes of "<sha512 hex>." to the basename).
  if (raw.length > 3 * (MAX_PATH_BYTES + HASH_PREFIX_BYTES)) throw new FieldError("path", `must be at most ${MAX_PATH_BYTES} bytes of UTF-8`);
  const segments = raw.split("/").map((segment) => {
    let decoded: string;
    try {
      decoded = decodeURIComponent(segment);
    } catch {
      throw new FieldError("path", "is not valid percent-encoded UTF-8");
    }
    if (decoded.includes("/")) throw new FieldError("path", "must not contain an encoded /");
    return decoded;
  });
  const path = segments.join("/");
  // The length rule is the target's: a hash-prefixed request may be longer by its prefix.
  const prefixed = hashPrefixed(path);
  checkTargetPath(prefixed && utf8(path).length > MAX_PATH_BYTES ? prefixed.path : path, "path");
  return path;
}

const HASH_PREFIX_BYTES = 129;

/** A target path as a URL path: each segment percent-encoded on its own, the `/` between kept. */
export const encodeTargetPath = (path: string): string => path.split("/").map(encodeURIComponent).join("/");

/** What a hash-prefixed request names: `{dir}/{digest}.{name}` stands for `{dir}/{name}` with that hash. */
export interface HashPrefixedPath {
  readonly path: string;
  readonly algorithm: "sha256" | "sha512";
  readonly digest: string;
}

/**
 * The hash-prefixed reading of a path (spec §5.7.3, consistent snapshots: the client prefixes the
 * basename with the first listed hash), or null when the basename does not start with one.
 */
export function hashPrefixed(path: string): HashPrefixedPath | null {
  const slash = path.lastIndexOf("/");
  const m = /^([0-9a-f]{64}|[0-9a-f]{128})\.(.+)$/.exec(path.slice(slash + 1));
  if (!m) return null;
  const digest = m[1]!;
  return { path: path.slice(0, slash + 1) + m[2]!, algorithm: digest.length === 64 ? "sha256" : "sha512", digest };
}
