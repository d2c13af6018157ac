// `tuf-edge import`: the listing's passes as functions (validation, partitions, whole-bin requests,
// bounded memory), then the command against the real Worker in workerd: every target published
// and each bin signed once, interruption and resume without a bin signed twice, conflicts.
import { createHash } from "node:crypto";
import { existsSync } from "node:fs";
import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { binIndex } from "../../shared/bins.js";
import { canonicalJson } from "../../shared/canonical.js";
import { getJson } from "../../scripts/lib/dev-repo.js";
import { type ImportState, ListingError, parseListingLine, partitionListing, planRequests, runImport, targetJson } from "../../scripts/lib/import.js";
import type { Io } from "../../scripts/lib/io.js";
import { bootstrap } from "../support/repo.js";
import { TufClient } from "../support/tuf-client.js";
import { type TestWorker, startWorker } from "../support/worker.js";
import { runCli } from "./helpers.js";

const BITS = 6;
const hex = (s: string) => createHash("sha256").update(s).digest("hex");

/** A PyPI-like target (files.pythonhosted.org layout). */
function target(i: number, salt: string) {
  const h = hex(`${salt}/${i}`);
  return { path: `packages/${h.slice(0, 2)}/${h.slice(2, 4)}/${h.slice(4, 60)}/pkg${i}-1.0.tar.gz`, length: 1000 + i, hashes: { sha256: hex(`file ${salt}/${i}`) } };
}
type Target = ReturnType<typeof target>;
const targets = (n: number, salt: string) => Array.from({ length: n }, (_, i) => target(i, salt));
const jsonLines = (items: unknown[]) => items.map((t) => `${typeof t === "string" ? t : JSON.stringify(t)}\n`).join("");

const quietIo = (): Io & { errors: string[] } => {
  const errors: string[] = [];
  return { env: {}, errors, out() {}, err: (l) => void errors.push(l), progress() {}, readSecret: () => Promise.reject(new Error("no terminal")) };
};

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "tuf-edge-import-"));
});
afterAll(() => rm(dir, { recursive: true, force: true }));

async function listingFile(name: string, lines: unknown[]) {
  const file = join(dir, name);
  await writeFile(file, jsonLines(lines));
  return file;
}

describe("the listing's passes (no server)", () => {
  test("an invalid line stops pass 1 with its line number and field, by the webhook's rules", async () => {
    const good = targets(3, "v");
    const cases: [unknown, string][] = [
      ["{not json", "line 3: is not valid JSON"],
      [{ ...good[2], hashes: { sha256: "AB" } }, "line 3: hashes.sha256: must be 64 lowercase hex characters"],
      [{ ...good[2], hashes: { md5: "ab" } }, "line 3: hashes.md5: unsupported hash algorithm (use sha256, sha512)"],
      [{ ...good[2], path: "packages/../etc/passwd" }, `line 3: path: must not have an empty, "." or ".." segment`],
      [{ ...good[2], path: "packages/a\u0007b" }, "line 3: path: control character U+0007 is not allowed"],
      [{ ...good[2], length: -1 }, "line 3: length: must be a non-negative integer"],
      [{ ...good[2], size: 1 }, "line 3: size: is not a known field"],
      [[1], "line 3: must be an object"],
    ];
    for (const [bad, message] of cases) {
      const file = await listingFile("bad.jsonl", [good[0], good[1], bad, good[2]]);
      const work = join(dir, "bad-work");
      await mkdir(work, { recursive: true });
      const error = await partitionListing(file, work, { bitLength: BITS, partitions: 4 }).catch((e) => e);
      expect(error, message).toBeInstanceOf(ListingError);
      expect(error.message).toBe(message);
      expect(error.line).toBe(3);
    }
  });

  test("a target's JSON is the same text whatever the key order of its line (canonical JSON)", () => {
    const t = target(1, "json");
    const both = { path: t.path, length: 5, hashes: { sha512: "c".repeat(128), sha256: "d".repeat(64) } };
    expect(targetJson(parseListingLine(JSON.stringify(both), 1))).toBe(canonicalJson(both));
    expect(targetJson(parseListingLine(JSON.stringify({ hashes: t.hashes, length: t.length, path: t.path }), 1))).toBe(canonicalJson(t));
    const custom = { ...t, custom: { z: 1, a: ["é"] } };
    expect(targetJson(parseListingLine(JSON.stringify(custom), 1))).toBe(canonicalJson(custom));
  });

  test("pass 2 holds one partition at a time and packs whole bins into bounded requests", async () => {
    const all = targets(5000, "plan");
    // A blank line, a CRLF line and an exact repeat: skipped, accepted, sent once.
    const file = await listingFile("plan.jsonl", [...all.slice(0, 10), "", `${JSON.stringify(all[10])}\r`, ...all.slice(11), all[7]]);
    const work = join(dir, "plan-work");
    await mkdir(work, { recursive: true });
    const P = 8;
    const parted = await partitionListing(file, work, { bitLength: BITS, partitions: P });
    expect(parted).toMatchObject({ lines: 5002, targets: 5001 });
    const plan = await planRequests(work, P, { chunkBins: 5, maxRequestBytes: 64 * 1024 });
    expect(plan).toMatchObject({ targets: 5000, duplicates: 1, splitBins: 0 });
    // Memory: the lines held while grouping are one partition's, about listing / P.
    expect(plan.maxLinesHeld).toBeLessThanOrEqual((5001 / P) * 1.25);
    expect(Math.max(...parted.sizes)).toBe(plan.maxLinesHeld);

    const seen = new Map<number, number>(); // bin → request
    const paths = new Set<string>();
    for (const [n, r] of plan.requests.entries()) {
      const body = await readFile(join(work, r.file), "utf8");
      expect(Buffer.byteLength(body)).toBe(r.bytes);
      expect(r.bytes).toBeLessThanOrEqual(64 * 1024);
      const sent = JSON.parse(body).targets as Target[];
      expect(sent).toHaveLength(r.targets);
      const bins = new Set(sent.map((t) => binIndex(t.path, BITS)));
      expect(bins.size).toBe(r.bins);
      expect(r.bins).toBeLessThanOrEqual(5);
      for (const b of bins) {
        expect(seen.get(b) ?? n, `bin ${b} is in two requests`).toBe(n);
        seen.set(b, n);
      }
      for (const t of sent) paths.add(t.path);
    }
    expect(paths.size).toBe(5000);
    expect(seen.size).toBe(2 ** BITS);
  });

  test("a path listed twice with different hashes is refused with both line numbers; an oversized bin is split", async () => {
    const all = targets(200, "dup");
    const other = { ...all[5]!, hashes: { sha256: "0".repeat(64) } };
    const file = await listingFile("dup.jsonl", [...all, other]);
    const work = join(dir, "dup-work");
    await mkdir(work, { recursive: true });
    await partitionListing(file, work, { bitLength: BITS, partitions: 2 });
    const error = await planRequests(work, 2).catch((e) => e);
    expect(error).toBeInstanceOf(ListingError);
    expect(error.message).toBe("line 201: path: is also on line 6 with different length, hashes or custom");

    await writeFile(file, jsonLines(all));
    await partitionListing(file, work, { bitLength: BITS, partitions: 2 });
    const plan = await planRequests(work, 2, { chunkBins: 100, maxRequestBytes: 600 });
    expect(plan.splitBins).toBeGreaterThan(0);
    expect(plan.targets).toBe(200);
    for (const r of plan.requests) expect(r.bytes).toBeLessThanOrEqual(600);
  });
});

describe("tuf-edge import against the Worker", () => {
  let w: TestWorker;
  let repo: Awaited<ReturnType<typeof bootstrap>>;
  let env: Record<string, string>;
  beforeAll(async () => {
    w = await startWorker();
    repo = await bootstrap(w, BITS);
    env = { ADMIN_TOKEN: w.secrets.ADMIN_TOKEN };
  });
  afterAll(() => w.close());

  /** The bins' versions in the current snapshot. */
  async function binVersions(): Promise<Record<string, number>> {
    const ts = await getJson(`${w.url}/metadata/timestamp.json`);
    const snapshot = await getJson(`${w.url}/metadata/${ts.signed.meta["snapshot.json"].version}.snapshot.json`);
    return Object.fromEntries(Object.entries(snapshot.signed.meta as Record<string, { version: number }>).filter(([n]) => n.startsWith("bins-")).map(([n, m]) => [n, m.version]));
  }

  /** Every target path in every bin, as published now. */
  async function publishedPaths(): Promise<string[]> {
    const versions = await binVersions();
    const bins = await Promise.all(Object.entries(versions).map(([name, v]) => getJson(`${w.url}/metadata/${v}.${name}`)));
    return bins.flatMap((b) => Object.keys(b.signed.targets));
  }

  async function expectPublished(sample: Target[]) {
    const client = new TufClient(w.url, repo.rootBytes);
    try {
      for (const t of sample) {
        const info = await client.targetInfo(t.path);
        expect(info, t.path).not.toBeNull();
        expect(info!.length).toBe(t.length);
        expect(info!.hashes).toEqual(t.hashes);
      }
    } finally {
      client.close();
    }
  }

  test("imports 5,000 targets: all published, each bin signed once; a rerun sends nothing", async () => {
    const all = targets(5000, "first");
    const file = await listingFile("first.jsonl", all);
    const before = await binVersions();
    const r = await runCli(["import", file, "--url", w.url], env);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^imported: 5,000 targets from 5,000 lines, in 1 requests \(1 done\)$/m);
    expect(r.stdout).toMatch(/^ {2}published: 5,000 /m);
    expect(r.stdout).toMatch(/^ {2}rejected: {2}0$/m);
    expect(r.stdout).toMatch(/targets\/s$/m);

    const after = await binVersions();
    for (const [bin, v] of Object.entries(before)) expect(after[bin], bin).toBe(v + 1);
    const paths = await publishedPaths();
    expect(paths).toHaveLength(5000);
    expect(new Set(paths)).toEqual(new Set(all.map((t) => t.path)));
    await expectPublished(all.filter((_, i) => i % 250 === 0));

    const state = JSON.parse(await readFile(`${file}.import-state.json`, "utf8")) as ImportState;
    expect(state.phase).toBe("done");
    expect(existsSync(state.workDir)).toBe(false);

    const again = await runCli(["import", file, "--url", w.url], env);
    expect(again.code, again.stderr).toBe(0);
    expect(again.stderr).toContain("was imported already");
    expect(await binVersions()).toEqual(after);
  });

  test("interrupted (stopped, then killed between POST and record), a rerun completes with no bin signed twice", async () => {
    const all = targets(3000, "resume");
    const file = await listingFile("resume.jsonl", all);
    const stateFile = join(dir, "resume.state.json");
    const before = await binVersions();

    const stopped = await runCli(["import", file, "--url", w.url, "--state", stateFile, "--chunk-bins", "8", "--concurrency", "2", "--max-requests", "3"], env);
    expect(stopped.code).toBe(1);
    expect(stopped.stderr).toBe("tuf-edge import: stopped after 3 requests (--max-requests); run again to resume");
    expect(stopped.stdout).toMatch(/^import incomplete: 3,000 targets from 3,000 lines, in 8 requests \(3 done\)$/m);
    let state = JSON.parse(await readFile(stateFile, "utf8")) as ImportState;
    expect(state.requests.filter((r) => r.done)).toHaveLength(3);

    // A crash right after the server accepted a request, before the state file recorded it.
    const abort = new AbortController();
    const io = quietIo();
    const crashed = await runImport(
      { listing: file, url: w.url, token: env.ADMIN_TOKEN!, stateFile, concurrency: 1, signal: abort.signal, onPosted: () => abort.abort(new Error("killed")) },
      io,
    ).catch((e) => e);
    expect(crashed).toEqual(new Error("killed"));
    state = JSON.parse(await readFile(stateFile, "utf8")) as ImportState;
    expect(state.requests.filter((r) => r.done)).toHaveLength(3);
    expect(state.requests.filter((r) => r.id && !r.done)).toHaveLength(0);

    const resumed = await runCli(["import", file, "--url", w.url, "--state", stateFile], env);
    expect(resumed.code, resumed.stderr).toBe(0);
    expect(resumed.stdout).toMatch(/^imported: 3,000 targets from 3,000 lines, in 8 requests \(8 done, resumed\)$/m);
    expect(resumed.stdout).toMatch(/^ {2}published: 3,000 /m);

    const after = await binVersions();
    for (const [bin, v] of Object.entries(before)) expect(after[bin], bin).toBe(v + 1);
    const paths = await publishedPaths();
    expect(paths).toHaveLength(5000 + 3000);
    for (const t of all) expect(paths).toContain(t.path);
    await expectPublished(all.filter((_, i) => i % 300 === 0));
  });

  test("a changed listing starts over; what is published already is a no-op (no bin signed again)", async () => {
    const file = join(dir, "resume.jsonl");
    const stateFile = join(dir, "resume.state.json");
    const extra = target(0, "changed");
    await writeFile(file, (await readFile(file, "utf8")) + jsonLines([extra]));
    const before = await binVersions();
    const r = await runCli(["import", file, "--url", w.url, "--state", stateFile], env);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toBe(`${stateFile} is for another listing, repository or bin count: starting over`);
    expect(r.stdout).toMatch(/^imported: 3,001 targets from 3,001 lines, in 1 requests \(1 done\)$/m);
    const after = await binVersions();
    const extraBin = `bins-${binIndex(extra.path, BITS).toString(16).padStart(2, "0")}.json`;
    for (const [bin, v] of Object.entries(before)) expect(after[bin], bin).toBe(bin === extraBin ? v + 1 : v);
    await expectPublished([extra]);
  });

  test("a target already published with other hashes is rejected alone and reported; the rest publish", async () => {
    const fresh = targets(500, "conflict");
    const published = target(0, "first");
    const conflicting = { ...published, hashes: { sha256: "e".repeat(64) } };
    // An identical re-import of a published target is a no-op.
    const same = target(1, "first");
    const file = await listingFile("conflict.jsonl", [...fresh.slice(0, 200), conflicting, same, ...fresh.slice(200)]);
    const r = await runCli(["import", file, "--url", w.url], env);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe("tuf-edge import: 1 targets were rejected (see above); the others are published");
    expect(r.stdout).toMatch(/^ {2}published: 501 /m);
    expect(r.stdout).toMatch(/^ {2}rejected: {2}1$/m);
    expect(r.stdout).toContain(`    ${published.path}: already published with a different length or hashes`);
    await expectPublished([published, same, fresh[0]!, fresh[499]!]);
  });

  test("an invalid line fails with its line number and field, and nothing is sent", async () => {
    const ok = targets(10, "invalid");
    const file = await listingFile("invalid.jsonl", [...ok.slice(0, 6), { ...ok[6], hashes: { sha256: "xyz" } }, ...ok.slice(7)]);
    const ts = await getJson(`${w.url}/metadata/timestamp.json`);
    const r = await runCli(["import", file, "--url", w.url], env);
    expect(r).toMatchObject({ code: 1, stderr: "tuf-edge import: line 7: hashes.sha256: must be 64 lowercase hex characters" });
    expect(existsSync(`${file}.import-state.json`)).toBe(false);
    expect(existsSync(`${file}.import-state.work`)).toBe(false);
    expect((await getJson(`${w.url}/metadata/timestamp.json`)).signed.version).toBe(ts.signed.version);
  });

  test("usage: --help, a missing token, a wrong token", async () => {
    const help = await runCli(["import", "--help"]);
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/^Usage: tuf-edge import LISTING \[--url URL\]/);
    expect(help.stdout).toContain("no-op");
    const file = await listingFile("usage.jsonl", targets(3, "usage"));
    expect(await runCli(["import", file, "--url", w.url])).toMatchObject({ code: 2, stderr: expect.stringContaining("environment variable ADMIN_TOKEN (the admin token) is not set") });
    expect(await runCli(["import", file, "--url", w.url, "--chunk-bins", "3000"], env)).toMatchObject({ code: 2, stderr: expect.stringContaining("--chunk-bins must be at most 2500") });
    const wrong = await runCli(["import", file, "--url", w.url], { ADMIN_TOKEN: "wrong" });
    expect(wrong.code).toBe(1);
    expect(wrong.stderr).toContain("answered HTTP 401: missing or wrong bearer token");
  });
});
