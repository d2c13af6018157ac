import { Hono } from "hono";
import type { AppEnv } from "../env.js";
import { MetadataStore } from "../storage/metadata-store.js";
import { findTarget } from "../storage/repository.js";
import { errorResponse } from "./errors.js";
import { NO_STORE } from "./metadata.js";
import { targetPathOf } from "./targets.js";

/** GET /v1/targets/{path}: whether a path is published now, where, and as which file (contract.md). */
export const lookupRoutes = new Hono<AppEnv>().get("/v1/targets/*", async (c) => {
  const path = targetPathOf(c, "/v1/targets/");
  if (path instanceof Response) return path;
  const found = await findTarget(new MetadataStore(c.env.METADATA), path);
  c.header("Cache-Control", NO_STORE);
  if (!found) return errorResponse(c, 404, "target not published", { path, published: false });
  return c.json({
    path,
    published: true,
    bin: found.role,
    binVersion: found.roleVersion,
    snapshotVersion: found.snapshotVersion,
    length: found.file.length,
    hashes: found.file.hashes,
    custom: found.file.custom ?? null,
  });
});
