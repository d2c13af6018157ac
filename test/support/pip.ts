import { execFile } from "node:child_process";
import http from "node:http";
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { webhookHeaders } from "../../shared/webhook.js";
import { type PageFile, type ProjectPage, fileUrl, pageTargetPaths, renderPages, withFiles } from "../../shared/simple/index.js";
import { upload } from "./repo.js";
import { r2UploadId, sha256Hex, waitForOutcome } from "./uploads.js";
import { buildWheel, type Wheel } from "./wheel.js";
import type { TestWorker } from "./worker.js";

/**
 * Publishing a project the way an index does (the distribution in the packages bucket, then its
 * two simple pages as targets), and pip against the result. Reusable for release and removal flows.
 */

const encodePath = (path: string) => path.split("/").map(encodeURIComponent).join("/");

/**
 * PUT /v1/content/{sha256} signed like the webhook; `sha256` defaults to the bytes' own. With
 * `keyId`, the secret's X-Webhook-Key-Id is sent too (a secret other than the primary).
 */
export async function putContent(w: TestWorker, bytes: Uint8Array, opts: { sha256?: string; secret?: string; timestamp?: number; keyId?: boolean } = {}) {
  const ts = String(opts.timestamp ?? Math.floor(Date.now() / 1000));
  return fetch(`${w.url}/v1/content/${opts.sha256 ?? sha256Hex(bytes)}`, {
    method: "PUT",
    headers: await webhookHeaders(opts.secret ?? w.secrets.WEBHOOK_SECRET, ts, bytes, opts.keyId),
    body: bytes,
  });
}

/**
 * A PUT over `limit` bytes that is never finished: with `declared`, only the headers (the Worker
 * refuses the Content-Length before reading), else all of `body` chunked but not ended (the Worker
 * must count the bytes). Either way the client waits for the answer instead of racing the
 * connection reset that a finished oversize upload would meet. Resolves with the status.
 */
export function putOversize(w: TestWorker, path: string, body: Uint8Array, headers: Record<string, string>, declared: boolean): Promise<number> {
  const { hostname, port } = new URL(w.url);
  return new Promise((resolve, reject) => {
    const sizing = declared ? { "content-length": String(body.length) } : { "transfer-encoding": "chunked" };
    const req = http.request({ hostname, port, path, method: "PUT", agent: false, headers: { ...sizing, ...headers } }, (res) => {
      res.resume();
      resolve(res.statusCode!);
      req.destroy();
    });
    req.on("error", reject);
    if (declared) req.flushHeaders();
    else req.write(body);
  });
}

/** Stores a distribution in the packages bucket (dev route) and waits until the consumer published it. */
export async function publishDist(w: TestWorker, path: string, bytes: Uint8Array) {
  const res = await fetch(`${w.url}/v1/admin/files/${encodePath(path)}`, {
    method: "PUT",
    headers: { authorization: `Bearer ${w.secrets.ADMIN_TOKEN}` },
    body: bytes,
  });
  if (res.status !== 202) throw new Error(`PUT ${path}: ${res.status} ${await res.text()}`);
  const stored = (await res.json()) as { key: string; etag: string };
  const outcome = await waitForOutcome(w, r2UploadId(stored.key, stored.etag));
  if (outcome.state !== "published") throw new Error(`${path} was not published: ${JSON.stringify(outcome)}`);
  return { path, length: bytes.length, sha256: sha256Hex(bytes) };
}

/** The page entry of a file stored at target `path`. */
export function pageFileOf(path: string, bytes: Uint8Array, extra: Partial<PageFile> = {}): PageFile {
  return {
    filename: path.slice(path.lastIndexOf("/") + 1),
    url: fileUrl(path),
    hashes: { sha256: sha256Hex(bytes) },
    size: bytes.length,
    uploadTime: "2026-01-01T00:00:00.000000Z",
    ...extra,
  };
}

export interface PublishedPage {
  readonly path: string;
  readonly bytes: Uint8Array;
  readonly sha256: string;
}

/**
 * Renders both pages, stores their bytes (PUT /v1/content) and publishes both page targets in one
 * webhook request; waits until they are published. `serial` orders mutable pages (once the webhook
 * accepts it).
 */
export async function publishPage(w: TestWorker, page: ProjectPage, opts: { serial?: number } = {}) {
  const rendered = renderPages(page);
  const paths = pageTargetPaths(page.name);
  const pages: Record<"html" | "json", PublishedPage> = {
    html: { path: paths.html, bytes: rendered.html, sha256: sha256Hex(rendered.html) },
    json: { path: paths.json, bytes: rendered.json, sha256: sha256Hex(rendered.json) },
  };
  for (const p of Object.values(pages)) {
    const res = await putContent(w, p.bytes);
    if (res.status !== 201 && res.status !== 200) throw new Error(`PUT /v1/content: ${res.status} ${await res.text()}`);
  }
  const targets = Object.values(pages).map((p) => ({
    path: p.path,
    length: p.bytes.length,
    hashes: { sha256: p.sha256 },
    ...(opts.serial === undefined ? {} : { serial: opts.serial }),
  }));
  const res = await upload(w, { targets });
  if (res.status !== 202) throw new Error(`POST /v1/uploads: ${res.status} ${await res.text()}`);
  const outcome = await waitForOutcome(w, ((await res.json()) as { id: string }).id);
  if (outcome.state !== "published") throw new Error(`pages of ${page.name} not published: ${JSON.stringify(outcome)}`);
  return pages;
}

/** Builds a wheel of `project` `version`, publishes it, then the project's page with it added. */
export async function releaseWheel(w: TestWorker, previous: ProjectPage | null, project: string, version: string, opts: { serial?: number } = {}) {
  const wheel: Wheel = buildWheel(project, version);
  const path = `packages/${project}/${wheel.filename}`;
  await publishDist(w, path, wheel.bytes);
  const page = withFiles(previous, project, [pageFileOf(path, wheel.bytes)], [])!;
  const pages = await publishPage(w, page, opts);
  return { wheel, path, page, pages };
}

export interface PipResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
  /** Downloaded files by name. */
  readonly files: Record<string, Buffer>;
}

/**
 * `python3 -m pip download` of `requirement`: from the index at `{w.url}/simple/`, or from a
 * `findLinks` page with no index. Isolated from the machine's pip configuration and proxies.
 */
export function pipDownload(w: TestWorker, requirement: string, opts: { findLinks?: string } = {}): Promise<PipResult> {
  const dir = mkdtempSync(join(tmpdir(), "tuf-edge-pip-"));
  const source = opts.findLinks ? ["--no-index", "--find-links", opts.findLinks] : ["--index-url", `${w.url}/simple/`];
  const args = ["-m", "pip", "download", "--isolated", "--no-cache-dir", "--no-deps", "--disable-pip-version-check", "--no-input",
    "--retries", "0", "--timeout", "30", ...source, "-d", dir, requirement];
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !/proxy/i.test(k)));
  return new Promise((resolve) => {
    execFile("python3", args, { env: { ...env, NO_PROXY: "*" }, timeout: 120_000 }, (error, stdout, stderr) => {
      const files = Object.fromEntries(readdirSync(dir).map((name) => [name, readFileSync(join(dir, name))]));
      rmSync(dir, { recursive: true, force: true });
      const code = error ? (typeof error.code === "number" ? error.code : 1) : 0;
      resolve({ code, stdout, stderr, files });
    });
  });
}
