// The second security review (issue 19) against render mode, in workerd: pages list files by name
// while publishing and revocation work by path (finding 1), shared content under retention
// (finding 2), one upload never fails the batch (finding 3), the packages bucket's bytes win
// (finding 4), and bins that cannot be filled by removals (finding 5). Each test failed on the code
// before the fix.
// Guards README invariants 8, 12, 13 and 14.
import { createHash } from "node:crypto";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { binFor } from "../../shared/bins.js";
import { MAX_UNPUBLISHED_REMOVAL_BYTES } from "../../shared/mutable.js";
import { pageTargetPaths } from "../../shared/simple/index.js";
import type { R2EventMessage } from "../../worker/storage/messages.js";
import { bootstrapByHand, deliver } from "../support/consumer.js";
import { putContent } from "../support/pip.js";
import { verifiedState } from "../support/published.js";
import { upload } from "../support/repo.js";
import { buildWheel } from "../support/wheel.js";
import { eventUploadId, storedInBucket } from "../support/uploads.js";
import { type TestWorker, startWorker } from "../support/worker.js";
import { realNow, runCron, setClock } from "./cron-support.js";

const BITS = 3;
const JSON_PAGE = "application/vnd.pypi.simple.v1+json";
const sha256 = (b: Uint8Array | string) => createHash("sha256").update(b).digest("hex");
const sha512 = (b: Uint8Array | string) => createHash("sha512").update(b).digest("hex");

let w: TestWorker;
let rootBytes: Uint8Array;
beforeAll(async () => {
  // Bins that expire in ten years: no renewal falls due during the cron runs below.
  w = await startWorker({ entry: "faulty", queueConsumer: false, vars: { RETENTION_SECONDS: "1", BINS_EXPIRY: "315360000" } });
  rootBytes = (await bootstrapByHand(w, BITS)).rootBytes;
});
afterAll(() => w.close());

const published = () => verifiedState(w, rootBytes, BITS);
const page = async (project: string) => {
  const res = await fetch(`${w.url}/simple/${project}/`, { headers: { accept: JSON_PAGE } });
  return res.status === 200 ? ((await res.json()) as any) : res.status;
};
const record = async (id: string) => (await (await fetch(`${w.url}/v1/uploads/${id}`)).json()) as any;

const stored = (path: string, bytes: Uint8Array) => storedInBucket(w, path, bytes);
const idOf = eventUploadId;
async function submit(body: unknown): Promise<string> {
  const res = await upload(w, body);
  expect(res.status, await res.clone().text()).toBe(202);
  return ((await res.json()) as { id: string }).id;
}
const reasonOf = async (id: string) => ((await record(id)).rejected ?? [])[0]?.reason as string | undefined;

describe("finding 1: a file name is bound to one path and one set of bytes, even after removal", () => {
  const wheel = buildWheel("named", "1.0");
  const home = `packages/na/${wheel.filename}`;
  const elsewhere = `elsewhere/${wheel.filename}`;

  test("a same-named file at another path is refused, and the page keeps the published release", async () => {
    await deliver(w, [await stored(home, wheel.bytes)]);
    await deliver(w, [await stored(`${home}.metadata`, wheel.metadata)]);
    const before = await page("named");
    expect(before.files.map((f: any) => f.url)).toEqual([`../../targets/${home}`]);

    const other = buildWheel("named", "1.0", { extra: "other bytes" });
    const e = await stored(elsewhere, other.bytes);
    await deliver(w, [e]);
    expect(await reasonOf(idOf(e))).toMatch(/file name named-1\.0-py3-none-any\.whl is already listed by named at another path/);
    expect(await page("named")).toEqual(before);
    expect((await published()).target(elsewhere)).toBeUndefined();
  });

  test("a stray .metadata at another path does not change the dist's core-metadata", async () => {
    const before = await page("named");
    const e = await stored(`${elsewhere}.metadata`, new TextEncoder().encode("Metadata-Version: 2.1\nName: evil\n"));
    await deliver(w, [e]);
    // Refused: its own wheel (at that path) was refused, and it contradicts that wheel's METADATA.
    expect((await record(idOf(e))).state).toBe("rejected");
    expect((await page("named")).files[0]["core-metadata"]).toEqual(before.files[0]["core-metadata"]);
  });

  test("removing a never-published path with the same file name leaves the page and the file", async () => {
    const id = await submit({ remove: [elsewhere] });
    await deliver(w, [{ kind: "upload", id }]);
    expect((await record(id)).state).toBe("published");
    expect((await page("named")).files.map((f: any) => f.url)).toEqual([`../../targets/${home}`]);
    expect((await published()).target(home)).toBeDefined();
  });

  test("a revoked file name never comes back, from any path", async () => {
    const id = await submit({ remove: [home] });
    await deliver(w, [{ kind: "upload", id }]);
    // The page stays, empty, and remembers the name in its signed JSON.
    expect(await page("named")).toMatchObject({ files: [], "_removed-files": [wheel.filename] });
    const again = await stored(`again/${wheel.filename}`, wheel.bytes);
    await deliver(w, [again]);
    expect(await reasonOf(idOf(again))).toMatch(/was removed from named, and a removed file name is never used again/);
    expect((await page("named")).files).toEqual([]);
    const next = buildWheel("named", "2.0");
    await deliver(w, [await stored(`packages/na/${next.filename}`, next.bytes)]);
    expect((await page("named"))["_removed-files"]).toEqual([wheel.filename]);
    const late = await stored(`late/${wheel.filename}`, wheel.bytes);
    await deliver(w, [late]);
    expect(await reasonOf(idOf(late))).toMatch(/never used again/);
  });
});

describe("finding 3: one upload's page problem rejects that upload alone", () => {
  test("a dist at a 1,011-byte path publishes (the page URL bound fits every target path), beside others", async () => {
    const wheel = buildWheel("longpath", "1.0");
    const dir = Array.from({ length: 10 }, () => "d".repeat(99)).join("/");
    const path = `${dir}/${wheel.filename}`.slice(-1011);
    const normal = buildWheel("beside", "1.0");
    const events = [await stored(`x/${path.slice(2)}`, wheel.bytes), await stored(`packages/be/${normal.filename}`, normal.bytes)];
    await deliver(w, events);
    for (const e of events) expect((await record(idOf(e))).state).toBe("published");
  });

  test("a conflicting file name in a batch is rejected; the rest of the batch publishes", async () => {
    const a = buildWheel("batchy", "1.0");
    await deliver(w, [await stored(`packages/ba/${a.filename}`, a.bytes)]);
    const b = buildWheel("batchy", "2.0");
    const events = [await stored(`other/${a.filename}`, buildWheel("batchy", "1.0", { extra: "x" }).bytes), await stored(`packages/ba/${b.filename}`, b.bytes)];
    const result = await deliver(w, events);
    expect(result.retryMessages).toEqual([]);
    expect((await record(idOf(events[0]!))).state).toBe("rejected");
    expect((await record(idOf(events[1]!))).state).toBe("published");
    expect((await page("batchy")).versions).toEqual(["1.0", "2.0"]);
  });
});

describe("finding 4: the packages bucket's bytes win over every claim", () => {
  test("in render mode a webhook claim before the object is stored is refused; the bucket's bytes then publish", async () => {
    const wheel = buildWheel("early", "1.0");
    const path = `packages/ea/${wheel.filename}`;
    const claim = await submit({ targets: [{ path, length: 4, hashes: { sha256: sha256("fake") } }] });
    await deliver(w, [{ kind: "upload", id: claim }]);
    expect(await reasonOf(claim)).toMatch(/packages bucket holds no file at this path/);
    await deliver(w, [await stored(path, wheel.bytes)]);
    expect((await published()).target(path)?.hashes.sha256).toBe(sha256(wheel.bytes));
  });

  test("a claim with the real sha256 and a made-up sha512 is refused", async () => {
    const wheel = buildWheel("halfreal", "1.0");
    const path = `packages/ha/${wheel.filename}`;
    await (await w.packages()).put(path, wheel.bytes);
    const forged = await submit({ targets: [{ path, length: wheel.bytes.length, hashes: { sha256: sha256(wheel.bytes), sha512: "0".repeat(128) } }] });
    await deliver(w, [{ kind: "upload", id: forged }]);
    expect(await reasonOf(forged)).toMatch(/packages bucket holds other bytes/);
    const honest = await submit({ targets: [{ path, length: wheel.bytes.length, hashes: { sha256: sha256(wheel.bytes), sha512: sha512(wheel.bytes) } }] });
    await deliver(w, [{ kind: "upload", id: honest }]);
    expect((await published()).target(path)?.hashes.sha512).toBe(sha512(wheel.bytes));
  });

  test("a claim with a serial at a path the bucket holds is checked against the bucket too", async () => {
    const path = "config/served.json";
    await (await w.packages()).put(path, new TextEncoder().encode("real"));
    const other = new TextEncoder().encode("content-store bytes");
    expect((await putContent(w, other)).status).toBeLessThan(300);
    const id = await submit({ targets: [{ path, length: other.length, hashes: { sha256: sha256(other) }, serial: 1 }] });
    await deliver(w, [{ kind: "upload", id }]);
    expect(await reasonOf(id)).toMatch(/packages bucket holds other bytes/);
  });
});

describe("finding 2: bytes another path still uses are kept by retention", () => {
  test("a mutable target that pointed at a page's bytes moves on; after the sweep the page serves and releases go on", async () => {
    const wheel = buildWheel("sharer", "1.0");
    await deliver(w, [await stored(`packages/sh/${wheel.filename}`, wheel.bytes)]);
    const pageSha = (await published()).target(pageTargetPaths("sharer").json)!.hashes.sha256!;
    const pageBytes = new Uint8Array(await (await fetch(`${w.url}/simple/sharer/`, { headers: { accept: JSON_PAGE } })).arrayBuffer());
    expect(sha256(pageBytes)).toBe(pageSha);
    // Two mutable targets with the page's bytes, then both move on.
    expect((await putContent(w, pageBytes)).status).toBeLessThan(300);
    const same = (path: string, serial: number, bytes: Uint8Array) => ({ path, length: bytes.length, hashes: { sha256: sha256(bytes) }, serial });
    const first = await submit({ targets: [same("config/a.json", 1, pageBytes), same("config/b.json", 1, pageBytes)] });
    await deliver(w, [{ kind: "upload", id: first }]);
    expect((await record(first)).state).toBe("published");
    const next = new TextEncoder().encode("moved on");
    expect((await putContent(w, next)).status).toBeLessThan(300);
    const moved = await submit({ targets: [same("config/a.json", 2, next)] });
    await deliver(w, [{ kind: "upload", id: moved }]);
    const again = await submit({ targets: [same("config/a.json", 3, new TextEncoder().encode("moved on"))] });
    await deliver(w, [{ kind: "upload", id: again }]);
    const last = new TextEncoder().encode("moved on twice");
    expect((await putContent(w, last)).status).toBeLessThan(300);
    await deliver(w, [{ kind: "upload", id: await submit({ targets: [same("config/a.json", 4, last)] }) }]);
    await setClock(w, realNow() + 60_000);
    expect(await runCron(w)).toBe("ok");
    // config/a.json's own copy of the page bytes went; the page and config/b.json keep theirs.
    const head = (path: string) => fetch(`${w.url}/targets/${path.slice(0, path.lastIndexOf("/"))}/${pageSha}.${path.slice(path.lastIndexOf("/") + 1)}`, { method: "HEAD" });
    expect((await head("config/a.json")).status).toBe(404);
    expect((await head("config/b.json")).status).toBe(200);
    expect((await fetch(`${w.url}/simple/sharer/`)).status).toBe(200);
    const v2 = buildWheel("sharer", "2.0");
    const e = await stored(`packages/sh/${v2.filename}`, v2.bytes);
    await deliver(w, [e]);
    expect((await record(idOf(e))).state).toBe("published");
    expect((await page("sharer")).versions).toEqual(["1.0", "2.0"]);
  });
});

describe("finding 5: removals of paths never published cannot fill a bin", () => {
  test(`a bin keeps at most ${MAX_UNPUBLISHED_REMOVAL_BYTES} bytes of them; uploads into it still publish`, async () => {
    const bin = binFor("packages/fill/anchor", BITS);
    const inBin: string[] = [];
    const long = "g".repeat(930);
    for (let i = 0; inBin.length < 110; i++) if (binFor(`ghost/${long}/${i}.tar.gz`, BITS) === bin) inBin.push(`ghost/${long}/${i}.tar.gz`);
    const id = await submit({ remove: inBin.slice(0, 100) });
    await deliver(w, [{ kind: "upload", id }]);
    expect((await record(id)).state).toBe("published");
    const over = await submit({ remove: inBin.slice(100) });
    await deliver(w, [{ kind: "upload", id: over }]);
    expect(await reasonOf(over)).toMatch(new RegExp(`${bin} already keeps ${MAX_UNPUBLISHED_REMOVAL_BYTES} bytes of removals`));
    // A late add of a remembered path stays refused; other uploads into the bin publish.
    const late = await submit({ targets: [{ path: inBin[0], length: 1, hashes: { sha256: sha256("x") } }] });
    await deliver(w, [{ kind: "upload", id: late }]);
    expect(await reasonOf(late)).toMatch(/was removed/);
    const wheel = buildWheel("fill", "1.0");
    let path = "";
    for (let i = 0; binFor(path, BITS) !== bin; i++) path = `packages/fill${i}/${wheel.filename}`;
    const e = await stored(path, wheel.bytes);
    await deliver(w, [e]);
    expect((await record(idOf(e))).state).toBe("published");
  });
});

describe("issue 22, part 3: distributions are checked in workerd before anything is signed", () => {
  test.each([
    ["a 0-byte wheel", new Uint8Array(0), /is empty/],
    ["6 bytes of text named as a wheel", new TextEncoder().encode("junk!\n"), /is not a zip archive/],
    ["a wheel of another project", buildWheel("someone-else", "1.0").bytes, /names project someone-else, not junk/],
  ])("%s is refused with the reason; nothing is listed", async (_, bytes, reason) => {
    const e = await stored(`packages/ju/junk-1.0-py3-none-any.whl.${Math.random().toString(36).slice(2)}/junk-1.0-py3-none-any.whl`, bytes);
    await deliver(w, [e]);
    expect(await reasonOf(idOf(e))).toMatch(reason);
    expect(await page("junk")).toBe(404);
  });

  test("a .metadata that contradicts its wheel, or has no wheel beside it, is refused", async () => {
    const wheel = buildWheel("metaclash", "1.0");
    const path = `packages/me/${wheel.filename}`;
    await deliver(w, [await stored(path, wheel.bytes)]);
    await (await w.packages()).delete(`${path}.metadata`);
    const clash = await stored(`${path}.metadata`, new TextEncoder().encode("Metadata-Version: 2.1\nName: metaclash\nVersion: 6.6.6\n"));
    await deliver(w, [clash]);
    expect(await reasonOf(idOf(clash))).toMatch(/contradicts the METADATA inside its wheel/);
    const orphan = await stored(`nowhere/${wheel.filename}.metadata`, wheel.metadata);
    await deliver(w, [orphan]);
    expect(await reasonOf(idOf(orphan))).toMatch(/has no wheel stored beside it/);
  });
});
