import { type Context, Hono } from "hono";
import { type AppEnv, filesBaseUrl, readConfig } from "../env.js";
import { errorResponse, rejectInput } from "./errors.js";
import { NO_STORE } from "./metadata.js";
import { type PublishedTarget, findTarget } from "./published.js";
import { decodeTargetPath, encodeTargetPath, hashPrefixed, rawPathAfter } from "./target-path.js";

/** The target path of a request under `prefix`, or the 400/404 response that refuses it. */
export function targetPathOf(c: Context<AppEnv>, prefix: string): string | Response {
  const raw = rawPathAfter(c.req.url, prefix);
  if (raw === null) return errorResponse(c, 404, "not found");
  try {
    return decodeTargetPath(raw);
  } catch (e) {
    return rejectInput(c, e);
  }
}

/**
 * What `/targets/{path}` names. TUF clients with consistent snapshots ask for
 * `{dir}/{sha256}.{name}`; a published `{dir}/{name}` with that hash wins, and otherwise the path is
 * taken as it is (a file may itself be called `<64 hex>.whl`).
 */
async function resolveTarget(bucket: R2Bucket, path: string): Promise<PublishedTarget | null> {
  const prefixed = hashPrefixed(path);
  if (prefixed) {
    const found = await findTarget(bucket, prefixed.path);
    if (found && found.file.hashes[prefixed.algorithm] === prefixed.digest) return found;
  }
  return findTarget(bucket, path);
}

/** GET and HEAD /targets/{path}: a 302 to the file host while the target is published, else 404. */
export const targetsRoutes = new Hono<AppEnv>().get("/targets/*", async (c) => {
  const base = filesBaseUrl(c.env);
  if (base instanceof Error) {
    // A misconfigured deployment redirects nowhere rather than somewhere a request chose.
    console.error(JSON.stringify({ event: "files-base-url", error: base.message }));
    c.header("Cache-Control", NO_STORE);
    return errorResponse(c, 503, base.message, { field: "FILES_BASE_URL" });
  }
  const path = targetPathOf(c, "/targets/");
  if (path instanceof Response) return path;
  const found = await resolveTarget(c.env.METADATA, path);
  if (!found) {
    c.header("Cache-Control", NO_STORE);
    return errorResponse(c, 404, "target not published", { path });
  }
  // Published now; the next timestamp may revoke it, so keep the redirect as long as a timestamp.
  c.header("Cache-Control", `public, max-age=${readConfig(c.env).timestampMaxAgeSeconds}`);
  return c.redirect(`${base}/${encodeTargetPath(found.path)}`, 302);
});
