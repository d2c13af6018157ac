// The layout README describes ("Layout"), held by construction: who may import whom, and where R2 keys and
// the online keys live. Read from the import statements of every .ts file, so a new file is covered.
import { readFileSync, readdirSync } from "node:fs";
import { dirname, join, normalize, relative } from "node:path";
import { describe, expect, test } from "vitest";

const ROOT = join(import.meta.dirname, "..");

function tsFiles(dir: string): string[] {
  return readdirSync(join(ROOT, dir), { withFileTypes: true }).flatMap((e) => {
    const path = `${dir}/${e.name}`;
    if (e.isDirectory()) return e.name === "node_modules" ? [] : tsFiles(path);
    return e.name.endsWith(".ts") ? [path] : [];
  });
}

const FILES = ["worker", "shared", "scripts", "test"].flatMap(tsFiles);
const source = (file: string) => readFileSync(join(ROOT, file), "utf8");

/** The files of this repository that `file` imports (packages are left out), as repository paths. */
function importsOf(file: string): string[] {
  const specifiers = [
    ...source(file).matchAll(/^\s*(?:import|export)\b[^;'"]*?\bfrom\s*["']([^"']+)["']/gms),
    ...source(file).matchAll(/^\s*import\s*["']([^"']+)["']/gm),
    ...source(file).matchAll(/\bimport\(\s*["']([^"']+)["']\s*\)/g),
  ].map((m) => m[1]!);
  return specifiers
    .filter((s) => s.startsWith("."))
    .map((s) => relative(ROOT, normalize(join(ROOT, dirname(file), s))).replace(/\.js$/, ".ts"))
    .filter((path) => !path.startsWith("node_modules/"));
}

const under = (folder: string) => (path: string) => path.startsWith(`${folder}/`);
const isHttp = under("worker/http");
const isPublish = under("worker/publish");
const isStorage = under("worker/storage");
const isShared = under("shared");
const isEnv = (path: string) => path === "worker/env.ts";

/** Each import of a file in `from` that `allowed` refuses, as "file -> import". */
function violations(from: (path: string) => boolean, allowed: (path: string) => boolean): string[] {
  return FILES.filter(from).flatMap((file) => importsOf(file).filter((path) => !allowed(path)).map((path) => `${file} -> ${path}`));
}

describe("imports follow the layers (README, invariant: the request path never signs)", () => {
  test("the parser sees imports (this test cannot pass on nothing)", () => {
    expect(importsOf("worker/index.ts")).toContain("worker/http/admin.ts");
    expect(importsOf("worker/http/admin.ts")).toContain("worker/storage/jobs.ts");
    expect(FILES.filter(isHttp).length).toBeGreaterThan(10);
  });

  test("worker/http imports only shared/, worker/storage/, worker/env.ts and itself: never the writer", () => {
    expect(violations(isHttp, (p) => isShared(p) || isStorage(p) || isEnv(p) || isHttp(p))).toEqual([]);
  });

  test("worker/storage imports only shared/, worker/env.ts and itself", () => {
    expect(violations(isStorage, (p) => isShared(p) || isStorage(p) || isEnv(p))).toEqual([]);
  });

  test("worker/env.ts imports only shared/ and worker/storage/ (every route imports it)", () => {
    expect(violations(isEnv, (p) => isShared(p) || isStorage(p))).toEqual([]);
  });

  test("shared/ imports only shared/: no worker/, no scripts/", () => {
    expect(violations(isShared, isShared)).toEqual([]);
  });

  test("only worker/publish touches the online signers", () => {
    const signers = (p: string) => p === "worker/publish/signers.ts";
    expect(violations((f) => !isPublish(f), (p) => !signers(p))).toEqual([]);
    // Nor does anything else in the Worker read the seed.
    const seedReaders = FILES.filter((f) => f.startsWith("worker/") && !isPublish(f) && /\.ONLINE_KEY(_NEXT)?\b/.test(source(f)));
    expect(seedReaders).toEqual([]);
  });
});

describe("every R2 key is named in worker/storage", () => {
  const outsideStorage = FILES.filter((f) => f.startsWith("worker/") && !isStorage(f));

  test("no R2 call outside worker/storage", () => {
    const call = /\b(?:METADATA|PACKAGES|bucket)\s*\??\.\s*(?:get|put|head|delete|list|createMultipartUpload)\s*\(/;
    expect(outsideStorage.filter((f) => call.test(source(f)))).toEqual([]);
  });

  test("no key of the METADATA bucket spelled outside worker/storage", () => {
    const key = /["'`](?:metadata|state|content|uploads|upload-index|pending)\//;
    expect(outsideStorage.filter((f) => key.test(source(f)))).toEqual([]);
  });
});
