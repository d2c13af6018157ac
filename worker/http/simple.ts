import { type Context, Hono } from "hono";
import { isProjectName, normalizeProject, pageTargetPaths } from "../../shared/simple/index.js";
import { type AppEnv, readConfig } from "../env.js";
import { MetadataStore } from "../storage/metadata-store.js";
import { findTarget } from "../storage/repository.js";
import { contentResponse, readContent } from "./content-response.js";
import { errorResponse } from "./errors.js";
import { NO_STORE } from "./metadata.js";
import { OFFERED_TYPES, chooseRepresentation } from "./simple-accept.js";
import { simpleRoot } from "./simple-root.js";
import { rawPathAfter } from "./target-path.js";

/** A 301 to a relative reference (RFC 9110 §10.2.2), the query kept: never a URL built from Host. */
function redirectTo(c: Context<AppEnv>, relative: string): Response {
  c.header("Cache-Control", `public, max-age=${readConfig(c.env).timestampMaxAgeSeconds}`);
  return c.redirect(`${relative}${new URL(c.req.url).search}`, 301);
}

const notFound = (c: Context<AppEnv>, project: string) => {
  c.header("Cache-Control", NO_STORE);
  return errorResponse(c, 404, "no such project", { project });
};

/**
 * GET and HEAD /simple/{project}/ (PEP 503, PEP 691): the project's current signed page, HTML or
 * JSON by the Accept header. The bytes are exactly those of the page target the current timestamp
 * publishes (`simple/{project}/vnd.pypi.simple.v1.{html,json}`), read from the content store by the
 * hash the bin states, so what a browser or a pip without TUF reads is what TUF clients verify.
 */
export const simpleRoutes = new Hono<AppEnv>()
  .get("/simple", (c) => redirectTo(c, "simple/"))
  .get("/simple/*", async (c) => {
    const raw = rawPathAfter(c.req.url, "/simple/") ?? "";
    if (raw === "") return simpleRoot(c);
    const m = /^([^/]+)(\/?)$/.exec(raw);
    let name: string;
    try {
      name = m ? decodeURIComponent(m[1]!) : "";
    } catch {
      name = "";
    }
    if (!isProjectName(name)) return notFound(c, raw.slice(0, 255));
    const project = normalizeProject(name);
    if (project !== name || m![2] !== "/") {
      // PEP 503: the normalized URL, with its trailing slash, is the one URL of a project. Relative
      // to the request's own path, so that no part of it comes from Host (issue 19, finding 9).
      return redirectTo(c, `${m![2] === "/" ? "../" : ""}${project}/`);
    }

    c.header("Vary", "Accept");
    const representation = chooseRepresentation(c.req.header("accept") ?? null, c.req.query("format") ?? null);
    if (!representation) return errorResponse(c, 406, "no acceptable representation", { available: OFFERED_TYPES });

    const path = pageTargetPaths(project)[representation.format];
    const published = await findTarget(new MetadataStore(c.env.METADATA), path);
    const sha256 = published?.file.hashes.sha256;
    if (!published || !sha256) return notFound(c, project);
    const content = await readContent(c, path, sha256, c.req.method === "HEAD", true);
    if (!content || content.length !== published.file.length) {
      // Published without its bytes: the publisher checks they are stored, so this is a broken repository.
      console.error(JSON.stringify({ event: "page-content-missing", path, sha256 }));
      return errorResponse(c, 503, "the signed page is published but its bytes are not stored", { path });
    }
    // The page is current until the next timestamp: cache it as long as a timestamp.
    const headers = new Headers({
      "Content-Type": representation.contentType,
      "Cache-Control": `public, max-age=${readConfig(c.env).timestampMaxAgeSeconds}`,
      Vary: "Accept",
    });
    return contentResponse(content, c.req.raw, headers, representation.tag);
  });
