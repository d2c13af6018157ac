import { type Context, Hono } from "hono";
import { parsePageTargetPath } from "../../shared/simple/names.js";
import { type AppEnv, filesBaseUrl, readConfig } from "../env.js";
import type { StoredContent } from "../storage/content.js";
import { MetadataStore } from "../storage/metadata-store.js";
import { type PublishedTarget, findTarget } from "../storage/repository.js";
import { contentResponse, readContent } from "./content-response.js";
import { errorResponse } from "./errors.js";
import { IMMUTABLE, NO_STORE } from "./metadata.js";
import { decodeTargetPath, encodeTargetPath, hashPrefixed, rawPathAfter } from "./target-path.js";

/** The target path of a request under `prefix`, or the 404 response that refuses it (a path that does not decode is a FieldError: 400). */
export function targetPathOf(c: Context<AppEnv>, prefix: string): string | Response {
  const raw = rawPathAfter(c.req.url, prefix);
  return raw === null ? errorResponse(c, 404, "not found") : decodeTargetPath(raw);
}

/** What `/targets/{path}` answers with: a redirect to the file host, or bytes this Worker holds. */
type Resolved =
  | { readonly kind: "redirect"; readonly target: PublishedTarget }
  | { readonly kind: "content"; readonly path: string; readonly content: StoredContent; readonly byHash: boolean };

/**
 * A mutable target (contract.md, "Mutable targets"): a simple page by its path, or a target the
 * current bins list with a serial. Its bytes are in the content store, not on the file host.
 */
const isMutable = (found: PublishedTarget) => parsePageTargetPath(found.path) !== null || found.file.custom?.serial !== undefined;

/**
 * What `/targets/{path}` names. TUF clients with consistent snapshots ask for
 * `{dir}/{sha256}.{name}`. A mutable target is served from the content store by that hash, for every
 * version still stored (a client may hold an older bin). Otherwise a published `{dir}/{name}` with
 * that hash wins, and else the path is taken as it is (a file may itself be called `<64 hex>.whl`).
 */
async function resolveTarget(
  store: MetadataStore,
  path: string,
  readContent: (path: string, sha256: string, legacy: boolean) => Promise<StoredContent | null>,
): Promise<Resolved | null> {
  const prefixed = hashPrefixed(path);
  if (prefixed) {
    const byHash = async (sha256: string | undefined, legacy: boolean) => {
      const content = sha256 ? await readContent(prefixed.path, sha256, legacy) : null;
      return content ? ({ kind: "content", path: prefixed.path, content, byHash: true } as const) : null;
    };
    const sha256 = prefixed.algorithm === "sha256" ? prefixed.digest : undefined;
    // A page path needs no look-up: every version the path was published with is stored at its place.
    const page = parsePageTargetPath(prefixed.path) ? await byHash(sha256, false) : null;
    if (page) return page;
    const found = await findTarget(store, prefixed.path);
    const matches = found?.file.hashes[prefixed.algorithm] === prefixed.digest;
    if (found && isMutable(found)) {
      const stored = await byHash(matches ? found.file.hashes.sha256 : sha256, matches);
      if (stored) return stored;
    }
    if (found && matches) return { kind: "redirect", target: found };
  }
  const found = await findTarget(store, path);
  if (!found) return null;
  const sha256 = found.file.hashes.sha256;
  const content = isMutable(found) && sha256 ? await readContent(path, sha256, true) : null;
  return content ? { kind: "content", path, content, byHash: false } : { kind: "redirect", target: found };
}

/**
 * GET and HEAD /targets/{path}: a 302 to the file host while the target is published, the bytes
 * themselves for a mutable target, else 404.
 */
export const targetsRoutes = new Hono<AppEnv>().get("/targets/*", async (c) => {
  const path = targetPathOf(c, "/targets/");
  if (path instanceof Response) return path;
  const head = c.req.method === "HEAD";
  const resolved = await resolveTarget(new MetadataStore(c.env.METADATA), path, (p, sha256, legacy) => readContent(c, p, sha256, head, legacy));
  if (!resolved) {
    c.header("Cache-Control", NO_STORE);
    return errorResponse(c, 404, "target not published", { path });
  }
  // Published now; the next timestamp may revoke it, so keep the redirect as long as a timestamp.
  const maxAge = `public, max-age=${readConfig(c.env).timestampMaxAgeSeconds}`;
  if (resolved.kind === "content") {
    // Bytes named by their hash never change; the current version at a plain path may.
    const headers = new Headers({ "Content-Type": mutableContentType(resolved.path), "Cache-Control": resolved.byHash ? IMMUTABLE : maxAge });
    return contentResponse(resolved.content, c.req.raw, headers);
  }
  const base = filesBaseUrl(c.env);
  if (base instanceof Error) {
    // A misconfigured deployment redirects nowhere rather than somewhere a request chose.
    console.error(JSON.stringify({ event: "files-base-url", error: base.message }));
    c.header("Cache-Control", NO_STORE);
    return errorResponse(c, 503, base.message, { field: "FILES_BASE_URL" });
  }
  c.header("Cache-Control", maxAge);
  return c.redirect(`${base}/${encodeTargetPath(resolved.target.path)}`, 302);
});

/** A safe Content-Type for uploader-chosen bytes: a page's own type, else opaque bytes. */
function mutableContentType(path: string): string {
  const page = parsePageTargetPath(path);
  if (!page) return "application/octet-stream";
  return page.format === "html" ? "text/html; charset=utf-8" : "application/vnd.pypi.simple.v1+json";
}
