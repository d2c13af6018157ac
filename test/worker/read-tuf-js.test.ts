import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Updater } from "tuf-js";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { refresh, verifyFileAgainst } from "../../shared/client.js";
import { sha256Hex } from "../../shared/encoding.js";
import { type FixtureRepository, type FixtureTarget, buildRepository } from "../support/fixture-repo.js";
import { type TestWorker, startWorker } from "../support/worker.js";

const bytes = (text: string) => new TextEncoder().encode(text);
const WHEEL: FixtureTarget = {
  path: "packages/3f/1a/9c0d/example-1.0-py3-none-any.whl",
  bytes: new Uint8Array(Array.from({ length: 70_000 }, (_, i) => (i * 31) % 251)),
  custom: { project: "example" },
};
const SIMPLE: FixtureTarget = { path: "simple/example/index.html", bytes: bytes("<html>example 1.0</html>\n") };
const AWKWARD: FixtureTarget = { path: "packages/aa/bb/cc/my pkg+1.0 ü.tar.gz", bytes: bytes("awkward name"), sha512: true };

/**
 * A fresh tuf-js client (trusting only 1.root.json) refreshes, then downloads each target and checks
 * its bytes; tuf-js itself checks length and hashes of every file it fetches.
 */
async function downloadAndCheck(w: TestWorker, repo: FixtureRepository, targets: readonly FixtureTarget[], allBinsStored = true) {
  const dir = mkdtempSync(join(tmpdir(), "tuf-edge-read-"));
  const metadataDir = join(dir, "metadata");
  const targetDir = join(dir, "targets");
  try {
    mkdirSync(metadataDir);
    mkdirSync(targetDir);
    writeFileSync(join(metadataDir, "root.json"), repo.rootBytes);
    const updater = new Updater({ metadataBaseUrl: `${w.url}/metadata`, targetBaseUrl: `${w.url}/targets`, metadataDir, targetDir });
    await updater.refresh();
    for (const t of targets) {
      const info = await updater.getTargetInfo(t.path);
      expect(info, t.path).toBeDefined();
      expect(info!.length).toBe(t.bytes.length);
      expect(info!.hashes.sha256).toBe(sha256Hex(t.bytes));
      // downloadTarget follows /targets/{dir}/{sha256}.{name} → 302 → /files/{path} and checks length and hashes.
      const saved = await updater.downloadTarget(info!);
      expect(new Uint8Array(readFileSync(saved))).toEqual(t.bytes);
    }
    // An unknown path is looked up in its (empty) bin and not found.
    if (allBinsStored) expect(await updater.getTargetInfo("packages/no/such/file-1.0.tar.gz")).toBeUndefined();
    // The client kept what it verified: the latest root and the bins it walked.
    expect(JSON.parse(readFileSync(join(metadataDir, "root.json"), "utf8")).signed.version).toBe(repo.rootVersion);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

describe("tuf-js 5.0.1 against the Worker", () => {
  let w: TestWorker;
  let repo: FixtureRepository;
  beforeAll(async () => {
    w = await startWorker();
    repo = await buildRepository({
      metadata: await w.metadata(),
      packages: await w.packages(),
      bits: 6,
      rootVersions: 3,
      targets: [WHEEL, SIMPLE, AWKWARD],
    });
  });
  afterAll(() => w.close());

  test("refreshes through a root chain, then downloads and verifies each target via the redirect", async () => {
    await downloadAndCheck(w, repo, [WHEEL, SIMPLE, AWKWARD]);
  });
});

/**
 * 16,384 bins (bit_length 14, the PEP 458 default). Checked with the project's own client
 * (shared/client.ts: every signature, version, length and hash, as spec §5 orders it) because tuf-js
 * 5.0.1 needs minutes here: @tufjs/models builds snapshot `meta` with a spread inside `reduce`,
 * quadratic in the number of roles (about 100 s to load a 16,384-entry snapshot: parse, then
 * re-encode for the signature check). It runs once here anyway: the one proof that a real client
 * follows the PEP 458 layout end to end.
 */
describe("16,384 bins (bit_length 14)", () => {
  let w: TestWorker;
  let repo: FixtureRepository;
  beforeAll(async () => {
    w = await startWorker();
    // Clients fetch only the bins they walk, so the empty ones (identical files) are not stored here.
    repo = await buildRepository({ metadata: await w.metadata(), packages: await w.packages(), bits: 14, targets: [WHEEL, SIMPLE], storeEmptyBins: false });
  });
  afterAll(() => w.close());

  test("a client refresh over the wire finds each target in its 4-hex-digit bin and downloads it", async () => {
    const fetchMetadata = async (name: string) => {
      const res = await fetch(`${w.url}/metadata/${name}`);
      return res.status === 404 ? null : new Uint8Array(await res.arrayBuffer());
    };
    const bins = [WHEEL, SIMPLE].map((t) => repo.binOf(t.path));
    expect(bins[0]).toMatch(/^bins-[0-9a-f]{4}$/);
    const trusted = await refresh(repo.rootBytes, fetchMetadata, Date.now(), bins);
    expect(trusted.snapshot!.signed.meta.size).toBe(16_385);
    for (const t of [WHEEL, SIMPLE]) {
      const file = trusted.targets.get(repo.binOf(t.path))!.signed.targets.get(t.path)!;
      const hashPrefixed = t.path.replace(/[^/]+$/, (base) => `${file.hashes.sha256}.${base}`);
      const res = await fetch(`${w.url}/targets/${hashPrefixed}`);
      expect(res.redirected).toBe(true);
      const body = new Uint8Array(await res.arrayBuffer());
      verifyFileAgainst(t.path, body, file);
    }
    const info = await (await fetch(`${w.url}/v1/targets/${WHEEL.path}`)).json();
    expect(info).toMatchObject({ bin: repo.binOf(WHEEL.path), custom: { project: "example" } });
  });

  // 3× its usual time: room for a loaded machine, not for a hang.
  test("tuf-js downloads through it too (slow: about 100 s)", { timeout: 300_000 }, async () => {
    await downloadAndCheck(w, repo, [WHEEL, SIMPLE], false);
  });
});
