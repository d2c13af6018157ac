import { Hono } from "hono";
import type { AppEnv } from "../env.js";
import { contentRoutes } from "./content.js";
import { filesRoutes } from "./files.js";
import { lookupRoutes } from "./lookup.js";
import { metadataRoutes } from "./metadata.js";
import { simpleRoutes } from "./simple.js";
import { targetsRoutes } from "./targets.js";

/**
 * The read path: /metadata (TUF files from R2, gzip as stored), /targets (redirects to the file
 * host, or the bytes of mutable targets), /simple (the project pages, PEP 503/691), /files (the
 * local file host) and /v1/targets (is a path published). HEAD is answered by the GET routes.
 * Beside it, PUT /v1/content: the bytes of mutable targets, stored before a webhook publishes them.
 */
export const readRoutes = new Hono<AppEnv>()
  .route("/", metadataRoutes)
  .route("/", targetsRoutes)
  .route("/", simpleRoutes)
  .route("/", filesRoutes)
  .route("/", lookupRoutes)
  .route("/", contentRoutes);
