import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildRepo } from "./repo.js";
import { json, runCli, startServer } from "./helpers.js";
import { gzipSync } from "node:zlib";
import { metadataFetcher } from "../../scripts/lib/verify.js";
import { nodeHttpFetch } from "../../scripts/lib/http-transport.js";

/** Serves `files` under /metadata/ (404 for anything else), like the Worker's read path. */
async function serve(files: Map<string, Uint8Array>) {
  return startServer((req, res) => {
    const name = req.url.startsWith("/metadata/") ? req.url.slice("/metadata/".length) : undefined;
    const bytes = name === undefined ? undefined : files.get(name);
    if (!bytes) {
      res.writeHead(404, { "content-type": "application/json" }).end('{"error":"not found"}');
      return;
    }
    res.writeHead(200, { "content-type": "application/json" }).end(Buffer.from(bytes));
  });
}

describe("tuf-edge verify (against a static repository)", () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "tuf-edge-verify-test-"));
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  async function verify(repo: Awaited<ReturnType<typeof buildRepo>>, args: string[] = [], trusted: Uint8Array | null = repo.root1) {
    const server = await serve(repo.files);
    try {
      const rootArgs: string[] = [];
      if (trusted) {
        const file = join(dir, `trusted-${Math.random().toString(36).slice(2)}.json`);
        await writeFile(file, trusted);
        rootArgs.push("--root", file);
      }
      const result = await runCli(["verify", "--url", server.url, ...rootArgs, ...args]);
      return { ...result, requests: server.requests.map((r) => r.url) };
    } finally {
      await server.close();
    }
  }

  it("passes a good repository and reports each role's version and time left", async () => {
    const repo = await buildRepo({ targets: { "packages/a/example-1.0.tar.gz": "sdist" } });
    const r = await verify(repo);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^root +v1 +expires \S+ \(in 364d 23h\)$/m);
    expect(r.stdout).toMatch(/^timestamp +v1 +expires \S+ \(in 23h [0-5]\dm\)$/m); // built moments ago: the minutes depend on how long the run took
    expect(r.stdout).toMatch(/^snapshot +v1 /m);
    expect(r.stdout).toMatch(/^targets +v1 /m);
    expect(r.stdout).toContain("bins       16 of 16 checked, version 1, first to expire bins-");
    expect(r.stdout).toMatch(/^OK: http:\S+: root chain, timestamp, snapshot, targets and all 16 of 16 bins verified by the tuf-edge spec §5 client in [\d.]+ s$/m);
    // Every bin was fetched by its consistent-snapshot name.
    for (let i = 0; i < 16; i++) expect(r.requests).toContain(`/metadata/1.bins-${i.toString(16)}.json`);
    expect(r.stderr).toBe("");
  });

  it("follows the root chain from the trusted root, and warns loudly without --root (trust on first use)", async () => {
    const repo = await buildRepo({ rootVersions: 3 });
    const chained = await verify(repo);
    expect(chained.code, chained.stderr).toBe(0);
    expect(chained.stdout).toMatch(/^root +v3 /m);
    expect(chained.stdout).toContain("(root chain verified from v1)");

    const tofu = await verify(repo, [], null);
    expect(tofu.code, tofu.stderr).toBe(0);
    expect(tofu.requests[0]).toBe("/metadata/1.root.json");
    expect(tofu.stderr).toContain("WARNING: no --root given");
    expect(tofu.stderr).toContain("trust on first use");
  });

  it("fails on a tampered bin", async () => {
    const repo = await buildRepo();
    const name = "1.bins-7.json";
    const json = JSON.parse(Buffer.from(repo.files.get(name)!).toString("utf8"));
    json.signed.targets["evil/payload.whl"] = { length: 1, hashes: { sha256: "0".repeat(64) } };
    repo.files.set(name, Buffer.from(JSON.stringify(json)));
    const r = await verify(repo, ["--all-bins"]);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe("tuf-edge verify: bins-7: bins-7 has 0 valid signatures of the 1 required");
    // The independent second opinion agrees.
    const second = await verify(repo, ["--client", "tuf-js"]);
    expect(second.code).toBe(1);
    expect(second.stderr).toMatch(/^tuf-edge verify: tuf-js bins-7 failed: RuntimeError: .*bins-7 was signed by 0\/1 keys/);
    expect(r.stderr).not.toMatch(/\n\s+at /);
    expect(r.stdout).not.toContain("OK");
  });

  it("fails on an expired timestamp", async () => {
    const r = await verify(await buildRepo({ validFor: { timestamp: -60_000 } }));
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^tuf-edge verify: refresh: timestamp expired at \S+Z$/);
  });

  it("fails on a root that the repository is not signed under", async () => {
    const other = await buildRepo();
    const r = await verify(await buildRepo(), [], other.root1);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe("tuf-edge verify: refresh: timestamp has 0 valid signatures of the 1 required");
  });

  it("refuses an answer longer than a client downloads of that role (timestamp: 16,384 bytes), gzip or not", async () => {
    const repo = await buildRepo();
    const padded = JSON.parse(Buffer.from(repo.files.get("timestamp.json")!).toString("utf8"));
    padded.padding = "x".repeat(20_000);
    repo.files.set("timestamp.json", Buffer.from(JSON.stringify(padded)));
    const r = await verify(repo);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^tuf-edge verify: http:\S+\/metadata\/timestamp\.json is longer than 16384 bytes, the most a client downloads of it$/);

    // A gzip bomb: a few KB on the wire, 100 MB once decoded.
    const bomb = gzipSync(Buffer.alloc(100_000_000));
    const server = await startServer((req, res) => {
      if (req.url === "/metadata/timestamp.json") res.writeHead(200, { "content-encoding": "gzip" }).end(bomb);
      else res.writeHead(404).end();
    });
    try {
      const file = join(dir, "bomb-root.json");
      await writeFile(file, repo.root1);
      const b = await runCli(["verify", "--url", server.url, "--root", file]);
      expect(b.code).toBe(1);
      expect(b.stderr).toContain("timestamp.json is longer than 16384 bytes");
    } finally {
      await server.close();
    }
  });

  it("says that the whole run timed out, and after how long", async () => {
    const server = await startServer(() => {}); // never answers
    try {
      const fetcher = metadataFetcher(server.url, undefined, 1000);
      await expect(fetcher.get("timestamp.json", 16_384)).rejects.toThrow(/^timed out after 1 s \(the whole run's limit\), at http:\S+\/metadata\/timestamp\.json$/);
      const viaTransport = metadataFetcher(server.url, nodeHttpFetch, 1000);
      await expect(viaTransport.get("timestamp.json", 16_384)).rejects.toThrow(/^timed out after 1 s/);
    } finally {
      await server.close();
    }
  });

  it("--min-valid fails when a role expires sooner, passes otherwise", async () => {
    const repo = await buildRepo({ validFor: { timestamp: 3600_000, bins: 6 * 3600_000 } });
    const soon = await verify(repo, ["--min-valid", "12h"]);
    expect(soon.code).toBe(1);
    expect(soon.stdout).toMatch(/^timestamp +v1 +expires \S+ \(in 59m/m);
    expect(soon.stderr).toMatch(/^tuf-edge verify: 17 role\(s\) expire sooner than --min-valid 12h: timestamp \(in [0-5]?\dm \d+s\), bins-0 \(in 5h [0-5]\dm\)/);
    const fine = await verify(repo, ["--min-valid", "30m"]);
    expect(fine.code, fine.stderr).toBe(0);
    expect(fine.stdout).toContain("every role checked stays valid for 30m or more");
    const bad = await verify(repo, ["--min-valid", "12 hours"]);
    expect(bad.code).toBe(2);
  });

  it("checks every bin by default, a sample with --sample N", async () => {
    const repo = await buildRepo({ bits: 8 });
    const sample = await verify(repo, ["--sample", "32"]);
    expect(sample.code, sample.stderr).toBe(0);
    expect(sample.stdout).toContain("bins       32 of 256 checked (sample)");
    expect(sample.requests).toContain("/metadata/1.bins-00.json");
    expect(sample.requests).toContain("/metadata/1.bins-ff.json");
    expect(sample.stdout).toContain("and a sample of 32 of 256 bins verified");
    const all = await verify(repo);
    expect(all.code, all.stderr).toBe(0);
    expect(all.stdout).toContain("bins       256 of 256 checked,");
    expect(all.requests.filter((u) => u.includes(".bins-"))).toHaveLength(256);
    const tufJs = await verify(repo, ["--client", "tuf-js", "--sample", "8"]);
    expect(tufJs.code, tufJs.stderr).toBe(0);
    expect(tufJs.stdout).toContain("and a sample of 8 of 256 bins verified by tuf-js");
  });

  it("--json reports what was checked; TUF_EDGE_URL stands in for --url", async () => {
    const repo = await buildRepo();
    const server = await serve(repo.files);
    try {
      const root = join(dir, "root-json.json");
      await writeFile(root, repo.root1);
      const r = await runCli(["verify", "--root", root, "--json"], { TUF_EDGE_URL: server.url });
      expect(r.code, r.stderr).toBe(0);
      const report = JSON.parse(r.stdout);
      expect(report).toMatchObject({ ok: true, url: server.url, client: "tuf-edge", binsChecked: 16, binCount: 16, tooSoon: [] });
      expect(report.roles.map((x: { name: string }) => x.name)).toEqual(["root", "timestamp", "snapshot", "targets"]);
      const missing = await runCli(["verify", "--root", root]);
      expect(missing).toMatchObject({ code: 2, stderr: "tuf-edge verify: --url is required (or set TUF_EDGE_URL) (see tuf-edge verify --help)" });
    } finally {
      await server.close();
    }
  });

  it("--min-valid auto takes the healthy margins from /v1/status", async () => {
    const repo = await buildRepo({ validFor: { bins: 6 * 3600_000 } });
    // A schedule like wrangler.toml's: renew at 12 h of 24 h, bins every 12 h, cron every 5 min.
    const status = { cronIntervalSeconds: 300, renewal: { timestampRenewMarginSeconds: 43200, snapshotRenewMarginSeconds: 43200, binsExpirySeconds: 86400, binsRenewalPeriodSeconds: 43200 } };
    const server = await startServer((req, res) => {
      if (req.url === "/v1/status") return json(res, 200, status);
      const bytes = repo.files.get(req.url.slice("/metadata/".length));
      if (!bytes) return json(res, 404, { error: "not found" });
      res.writeHead(200).end(Buffer.from(bytes));
    });
    try {
      const root = join(dir, "root-auto.json");
      await writeFile(root, repo.root1);
      // Bins with 6 h left are below the 11 h 50 min a healthy schedule keeps (24 h − 12 h − 2 runs).
      const r = await runCli(["verify", "--url", server.url, "--root", root, "--min-valid", "auto"]);
      expect(r.code).toBe(1);
      expect(r.stderr).toMatch(/^tuf-edge verify: 16 role\(s\) expire sooner than a healthy repository keeps \(--min-valid auto\): bins-0 \(in 5h [0-5]\dm\)/);
      const healthy = await buildRepo();
      const server2 = await startServer((req, res) => {
        if (req.url === "/v1/status") return json(res, 200, status);
        const bytes = healthy.files.get(req.url.slice("/metadata/".length));
        if (!bytes) return json(res, 404, { error: "not found" });
        res.writeHead(200).end(Buffer.from(bytes));
      });
      try {
        await writeFile(root + "2", healthy.root1);
        const ok = await runCli(["verify", "--url", server2.url, "--root", root + "2", "--min-valid", "auto"]);
        expect(ok.code, ok.stderr).toBe(0);
        expect(ok.stdout).toContain("every role keeps the margin of a healthy repository");
      } finally {
        await server2.close();
      }
    } finally {
      await server.close();
    }
  });
});

describe("bench --verify", () => {
  it("times verify against a static server at 2^bits bins (numbers reported, not asserted)", async () => {
    const r = await runCli(["bench", "--verify", "--bits", "6"]);
    expect(r.code, r.stderr).toBe(0);
    const { verify } = JSON.parse(r.stdout);
    expect(verify).toMatchObject({ bins: 64, seconds: [expect.any(Number), expect.any(Number), expect.any(Number)] });
    expect(verify.cpuSeconds).toHaveLength(3);
    expect(r.stderr).toMatch(/^verify, all 64 bins: [\d.]+ s wall, [\d.]+ s CPU$/m);
    // Against the Worker: a returning --cache run asks only for what changed, much of it as deltas.
    const { verifyWorker } = JSON.parse(r.stdout);
    const { noCache, cacheFirst, cacheSecond } = verifyWorker;
    expect(noCache.requests).toBe(68);
    expect(cacheFirst).toMatchObject({ requests: 68, deltas: 0 });
    expect(cacheFirst.wireBytes).toBeGreaterThan(0);
    expect(cacheSecond.deltas).toBeGreaterThan(0);
    expect(cacheSecond.requests).toBeLessThan(cacheFirst.requests);
    expect(cacheSecond.wireBytes).toBeLessThan(cacheFirst.wireBytes / 2);
  });
});
