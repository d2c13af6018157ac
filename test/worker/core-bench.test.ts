import { expect, test } from "vitest";
import { allBinNames } from "../../shared/bins.js";
import { refresh } from "../../shared/client.js";
import { benchCore } from "../../scripts/bench/core.js";

// `npm run bench -- --core` at a small size: it runs the real publish core, reports well-formed
// figures, and leaves a repository whose every bin verifies and lists every target published.
// No speed is asserted: the numbers belong in the report.

test("the core bench publishes every batch and re-signs every bin", async () => {
  const r = await benchCore({ bits: 5, seed: 2_000, batches: 3, batchSize: 40, releaseProjects: 5 });
  expect(r.runs).toHaveLength(3);
  for (const run of r.runs) {
    expect(run.bins).toBeGreaterThan(0);
    expect(run.targetsPerSecond).toBeGreaterThan(0);
  }
  expect(r.msPerBin).toBeGreaterThan(0);
  expect(Object.keys(r.perBinStepsMicros ?? {})).toEqual(["get", "gunzip", "scan", "spliceAndEncode", "sign", "gzip", "sha256"]);
  expect(r.resign?.bins).toBe(32);

  // A client that trusts the seeded root (1.root.json) refreshes and verifies every bin.
  const root = (await r.store.read("1.root.json"))!.bytes;
  const bins = allBinNames(5);
  const trusted = await refresh(root, async (name) => (await r.store.read(name))?.bytes ?? null, Date.now(), bins);
  let listed = 0;
  for (const bin of bins) listed += trusted.targets.get(bin)!.signed.targets.size;
  // Plus the render-mode releases: per project four wheels, their .metadata (extracted by tuf-edge)
  // and two pages; and the 1,000-file project (1,000 wheels, their 1,000 .metadata, two pages).
  expect(r.releases!.runs).toHaveLength(3);
  expect(r.releases!.bigProject.commitMs).toBeGreaterThan(0);
  expect(listed).toBe(2_000 + 3 * 40 + 5 * 10 + 2_002);
  // The re-sign gave every bin a new version after the batches.
  for (const bin of bins) expect(trusted.snapshot!.signed.meta.get(`${bin}.json`)!.version).toBeGreaterThanOrEqual(2);
});
