import { Hono } from "hono";
import type { AppEnv } from "../env.js";
import { filesRoutes } from "./files.js";
import { lookupRoutes } from "./lookup.js";
import { metadataRoutes } from "./metadata.js";
import { targetsRoutes } from "./targets.js";

/**
 * The read path: /metadata (TUF files from R2, gzip as stored), /targets (redirects to the file
 * host), /files (the local file host) and /v1/targets (is a path published). HEAD is answered by
 * the GET routes.
 */
export const readRoutes = new Hono<AppEnv>()
  .route("/", metadataRoutes)
  .route("/", targetsRoutes)
  .route("/", filesRoutes)
  .route("/", lookupRoutes);
