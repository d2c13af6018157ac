// PEP 480 project roles as a real client sees them (issue 21): tuf-js walks targets → claimed →
// claimed-<part> → project-demo (terminating), so the online key, which signs the bins and
// recently-claimed, cannot add, change or remove a claimed project's file.
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Updater } from "tuf-js";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { sha256Hex } from "../../shared/index.js";
import {
  DAY, MemoryFetcher, PATH, type ProjectKeys, type State, build, content, fileFor, initialState, projectKeys,
} from "../support/project-repo.js";

const BASE = "http://repo.test/";
const dirs: string[] = [];
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

/** A new installer (or, with `dir`, one that ran before) against the repository `files`. */
function client(files: Map<string, Uint8Array>, dir?: string) {
  if (!dir) {
    dir = mkdtempSync(join(tmpdir(), "tuf-edge-projects-"));
    dirs.push(dir);
    writeFileSync(join(dir, "root.json"), files.get("metadata/1.root.json")!);
  }
  const fetcher = new MemoryFetcher(files, BASE);
  const updater = new Updater({ metadataBaseUrl: `${BASE}metadata`, targetBaseUrl: `${BASE}targets`, metadataDir: dir, targetDir: dir, fetcher });
  return { updater, fetcher, dir };
}

let k: ProjectKeys;
const at = (change: (s: State) => void = () => {}) => {
  const s = initialState(Date.now());
  change(s);
  return build(k, s);
};
/** The sha256 tuf-js resolves `path` to, or null when it resolves nothing. */
async function resolve(files: Map<string, Uint8Array>, path: string) {
  const { updater, fetcher } = client(files);
  await updater.refresh();
  const info = await updater.getTargetInfo(path);
  return { sha256: info?.hashes.sha256 ?? null, fetched: fetcher.requested.filter((n) => n.startsWith("metadata/")).map((n) => n.replace(/^metadata\/\d+\./, "")) };
}

beforeAll(async () => {
  k = await projectKeys();
});

describe("tuf-js resolves each kind of project through its own role", () => {
  test("a claimed project's file: claimed → its part → project-demo, no bin", async () => {
    const { files } = await at();
    const { sha256, fetched } = await resolve(files, PATH.demoSdist);
    expect(sha256).toBe(sha256Hex(content(PATH.demoSdist)));
    expect(fetched).toEqual(expect.arrayContaining(["targets.json", "claimed.json", "claimed-d.json", "project-demo.json"]));
    expect(fetched.some((n) => n.startsWith("bins-") || n === "unclaimed.json")).toBe(false);
    // And it downloads, verified.
    const { updater } = client(files);
    await updater.refresh();
    await expect(updater.downloadTarget((await updater.getTargetInfo(PATH.demoSdist))!, join(dirs.at(-1)!, "f"))).resolves.toBeDefined();
  });

  test("a recently claimed project's file: through recently-claimed", async () => {
    const { sha256, fetched } = await resolve((await at()).files, PATH.fresh);
    expect(sha256).toBe(sha256Hex(content(PATH.fresh)));
    expect(fetched).toEqual(expect.arrayContaining(["recently-claimed.json", "project-fresh.json"]));
    expect(fetched.some((n) => n.startsWith("bins-"))).toBe(false);
  });

  test("the friend's Windows wheel: through demo's sub-delegation", async () => {
    const { sha256, fetched } = await resolve((await at()).files, PATH.friendWin);
    expect(sha256).toBe(sha256Hex(content(PATH.friendWin)));
    expect(fetched).toContain("project-demo.win.json");
  });

  test("an unclaimed project's file: unclaimed → its bin", async () => {
    const { sha256, fetched } = await resolve((await at()).files, PATH.plain);
    expect(sha256).toBe(sha256Hex(content(PATH.plain)));
    expect(fetched).toEqual(expect.arrayContaining(["unclaimed.json"]));
    expect(fetched.some((n) => n.startsWith("bins-"))).toBe(true);
  });
});

describe("the online key alone cannot add, change or remove a claimed project's file", () => {
  const forged = fileFor("x", new TextEncoder().encode("the online key's bytes"));

  test("control: while demo is unclaimed, a bin's entry for demo's file is what tuf-js resolves", async () => {
    const { files } = await at((s) => {
      s.demoClaimed = false;
      s.binExtras.set(PATH.rogueDemo, forged);
    });
    expect((await resolve(files, PATH.rogueDemo)).sha256).toBe(forged.hashes.sha256);
  });

  test("a bin that lists a new file of claimed demo: not resolved", async () => {
    const { files } = await at((s) => s.binExtras.set(PATH.rogueDemo, forged));
    const { sha256, fetched } = await resolve(files, PATH.rogueDemo);
    expect(sha256).toBeNull();
    expect(fetched).toContain("project-demo.json");
    expect(fetched.some((n) => n.startsWith("bins-"))).toBe(false);
  });

  test("a bin that lists demo's file with other bytes: tuf-js keeps demo's own", async () => {
    const { files } = await at((s) => s.binExtras.set(PATH.demoWheel, forged));
    expect((await resolve(files, PATH.demoWheel)).sha256).toBe(sha256Hex(content(PATH.demoWheel)));
  });

  test("a bin that lists a file of the friend's pattern: not resolved", async () => {
    const path = PATH.friendWin.replace("1.0", "6.6.6");
    const { files } = await at((s) => s.binExtras.set(path, forged));
    expect((await resolve(files, path)).sha256).toBeNull();
  });

  test("demo's role signed with the online key: refused", async () => {
    const { files } = await at((s) => (s.demo.signers = "online"));
    await expect(resolve(files, PATH.demoSdist)).rejects.toThrow(/project-demo was signed by 0\/2 keys/);
  });

  test("a snapshot without demo's role (a removal), the file in a bin: refused, not resolved from the bin", async () => {
    const { files } = await at((s) => {
      s.dropFromSnapshot.push("project-demo");
      s.binExtras.set(PATH.demoSdist, forged);
    });
    // tuf-js stops at the missing snapshot entry (a TypeError in 5.0.1): it never reaches the bin.
    await expect(resolve(files, PATH.demoSdist)).rejects.toThrow();
  });
});

describe("tuf-js refuses", () => {
  test("a forged file: bytes that are not the ones demo's role signed", async () => {
    const { files } = await at();
    const bytes = content(PATH.demoWheel);
    const name = `targets/${PATH.demoWheel.replace(/[^/]+$/, (f) => `${sha256Hex(bytes)}.${f}`)}`;
    expect(files.has(name)).toBe(true);
    files.set(name, new TextEncoder().encode("bytes of something else, same length?".padEnd(bytes.length, ".").slice(0, bytes.length)));
    const { updater, dir } = client(files);
    await updater.refresh();
    await expect(updater.downloadTarget((await updater.getTargetInfo(PATH.demoWheel))!, join(dir, "f"))).rejects.toThrow(/hash/i);
  });

  test("a file of the friend's that is outside the friend's pattern (a Linux wheel)", async () => {
    const { files } = await at((s) => s.friendPaths.push(PATH.friendLinux));
    expect((await resolve(files, PATH.friendLinux)).sha256).toBeNull();
    expect((await resolve(files, PATH.friendWin)).sha256).toBe(sha256Hex(content(PATH.friendWin)));
  });

  test("demo's role below its threshold (one of two maintainers)", async () => {
    const { files } = await at((s) => (s.demo.signers = "alice only"));
    await expect(resolve(files, PATH.demoSdist)).rejects.toThrow(/project-demo was signed by 1\/2 keys/);
  });

  test("a rollback of demo's role to an older version", async () => {
    const now = Date.now();
    const v2 = initialState(now);
    v2.demo.version = 2;
    const first = client((await build(k, v2)).files);
    await first.updater.refresh();
    expect((await first.updater.getTargetInfo(PATH.demoSdist))?.hashes.sha256).toBe(sha256Hex(content(PATH.demoSdist)));
    // The next snapshot (online-signed) lists demo's role at version 1 again.
    const back = initialState(now);
    back.version = 2;
    const again = client((await build(k, back)).files, first.dir);
    await expect(again.updater.refresh()).rejects.toThrow(/project-demo.*version|version.*project-demo|rollback/i);
  });

  test("an expired project role", async () => {
    const { files } = await at((s) => {
      s.demo.expires = s.now - DAY;
      s.binExtras.set(PATH.demoSdist, fileFor(PATH.demoSdist));
    });
    await expect(resolve(files, PATH.demoSdist)).rejects.toThrow(/project-demo.json is expired/);
  });
});

describe("the move from today's layout, at a targets ceremony", () => {
  test("a client that trusted targets → bins refreshes into targets → unclaimed → bins and resolves the same file", async () => {
    const now = Date.now();
    const before = initialState(now);
    before.layout = "pep458";
    const old = client((await build(k, before)).files);
    await old.updater.refresh();
    const was = await old.updater.getTargetInfo(PATH.plain);
    expect(was?.hashes.sha256).toBe(sha256Hex(content(PATH.plain)));
    expect(old.fetcher.requested).not.toContain("metadata/1.unclaimed.json");

    const after = initialState(now);
    after.layout = "migrated";
    after.version = 2;
    const { files, snapshot } = await build(k, after);
    // Bins keep their names and versions; the new roles are listed.
    expect([...snapshot.signed.meta.keys()].filter((n) => n.startsWith("bins-")).map((n) => snapshot.signed.meta.get(n)!.version)).toEqual([1, 1, 1, 1]);
    expect(snapshot.signed.meta.get("targets.json")!.version).toBe(2);
    const moved = client(files, old.dir);
    await moved.updater.refresh();
    expect((await moved.updater.getTargetInfo(PATH.plain))?.hashes.sha256).toBe(was!.hashes.sha256);
    expect(moved.fetcher.requested).toEqual(expect.arrayContaining(["metadata/2.targets.json", "metadata/1.claimed.json", "metadata/1.recently-claimed.json", "metadata/1.unclaimed.json"]));
    // And a new installer, too.
    expect((await resolve(files, PATH.plain)).sha256).toBe(was!.hashes.sha256);
  });
});
