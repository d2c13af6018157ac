import { Hono } from "hono";
import type { AppEnv } from "../env.js";

/** The read path: /metadata, /targets, /files, /v1/targets (issue: edge read path). */
export const readRoutes = new Hono<AppEnv>();
