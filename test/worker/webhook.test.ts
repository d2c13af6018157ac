// POST /v1/uploads as contract.md ("Webhook", target path rules) specifies it, against the bundled
// Worker in workerd with real R2 and Queues: what is refused (and that nothing of it is queued or
// published), and what an accepted request becomes for a tuf-js client.
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { binFor } from "../../shared/bins.js";
import { signWebhook, webhookKeyId } from "../../shared/webhook.js";
import { bootstrapByHand, deliver } from "../support/consumer.js";
import { bootstrap } from "../support/repo.js";
import { TufClient } from "../support/tuf-client.js";
import {
  binEntry,
  bucketSnapshot,
  metadataJson,
  postChunked,
  postRaw,
  postUnfinished,
  sha256Hex,
  timestampBytes,
  waitForOutcome,
} from "../support/uploads.js";
import { type TestWorker, startWorker } from "../support/worker.js";

const BITS = 4;
const MiB = 1024 * 1024;
const SHA256 = "ab".repeat(32);
const SHA512 = "cd".repeat(64);
const PATH = "packages/ab/cd/0123/example-1.0-py3-none-any.whl";
const target = (over: Record<string, unknown> = {}) => ({ path: PATH, length: 3, hashes: { sha256: SHA256 }, ...over });
const withTarget = (over: Record<string, unknown>) => JSON.stringify({ targets: [target(over)] });
const VALID = withTarget({});
const nowSeconds = () => Date.now() / 1000;
/** The hostile table's Worker is mid-rotation: WEBHOOK_SECRET_NEXT is set. */
const NEXT_SECRET = "cd".repeat(32);

/** `body` padded with JSON whitespace to exactly `size` bytes. */
function padded(body: string, size: number): Uint8Array {
  const bytes = new TextEncoder().encode(body);
  const out = new Uint8Array(size).fill(0x20);
  out.set(bytes);
  return out;
}

/** Headers of a correctly signed request, unless a case overrides the parts it is about. */
interface Signing {
  secret?: string;
  /** The X-Webhook-Timestamp sent (default: now). */
  ts?: string;
  /** The timestamp and body the signature is computed over (default: those sent). */
  signedTs?: string;
  signedBody?: string | Uint8Array;
  /** Rewrites the X-Webhook-Signature value; null leaves the header out. */
  signature?: (valid: string) => string | null;
  /** Leave X-Webhook-Timestamp out. */
  noTimestamp?: boolean;
  /** The X-Webhook-Key-Id sent; `keyIdOf: "primary"` sends the primary secret's. */
  keyId?: string;
  keyIdOf?: "primary";
}

async function headersFor(w: TestWorker, body: string | Uint8Array, s: Signing = {}): Promise<Record<string, string>> {
  const ts = s.ts ?? String(Math.floor(nowSeconds()));
  const valid = await signWebhook(s.secret ?? w.secrets.WEBHOOK_SECRET, s.signedTs ?? ts, s.signedBody ?? body);
  const signature = s.signature ? s.signature(valid) : valid;
  const headers: Record<string, string> = {};
  if (!s.noTimestamp) headers["x-webhook-timestamp"] = ts;
  if (signature !== null) headers["x-webhook-signature"] = signature;
  if (s.keyId !== undefined) headers["x-webhook-key-id"] = s.keyId;
  if (s.keyIdOf === "primary") headers["x-webhook-key-id"] = webhookKeyId(w.secrets.WEBHOOK_SECRET);
  return headers;
}

const hex = (signature: string) => signature.slice("sha256=".length);

interface Case {
  readonly name: string;
  readonly body: string | Uint8Array;
  readonly signing?: Signing | (() => Signing);
  readonly chunked?: boolean;
  /** Send the first 64 KiB only, and expect the answer anyway. */
  readonly unfinished?: boolean;
  readonly status: 400 | 401 | 413;
  /** For 400: the field the answer must name ("" for the body as a whole). */
  readonly field?: string;
}

const unauthorized = (name: string, signing: Signing | (() => Signing), body: string | Uint8Array = VALID): Case => ({ name, body, signing, status: 401 });
const invalid = (name: string, body: string | Uint8Array, field: string): Case => ({ name, body, status: 400, field });
const badPath = (name: string, path: string): Case => invalid(`target path: ${name}`, withTarget({ path }), "targets[0].path");

const overLimit = padded(VALID, MiB + 1);
const removals = (n: number) => Array.from({ length: n }, (_, i) => `packages/gone/${i}.tar.gz`);

const CASES: Case[] = [
  // Authentication (401): missing, wrong, stale or malformed signatures.
  unauthorized("no X-Webhook-Signature", { signature: () => null }),
  unauthorized("no X-Webhook-Timestamp", { noTimestamp: true }),
  unauthorized("signed with another secret", { secret: "ab".repeat(32) }),
  unauthorized("signature over a different body", { signedBody: withTarget({ length: 4 }) }),
  unauthorized("signature over the body with a trailing newline", { signedBody: `${VALID}\n` }),
  unauthorized("signature made for another timestamp", () => {
    const ts = Math.floor(nowSeconds());
    return { ts: String(ts), signedTs: String(ts - 10) };
  }),
  unauthorized("timestamp 301 s old", () => ({ ts: String(Math.floor(nowSeconds()) - 301) })),
  unauthorized("timestamp 301 s ahead", () => ({ ts: String(Math.ceil(nowSeconds()) + 301) })),
  unauthorized("timestamp in milliseconds", () => ({ ts: String(Date.now()) })),
  unauthorized("timestamp that is not a number", { ts: "yesterday" }),
  unauthorized("timestamp with a fraction", () => ({ ts: `${Math.floor(nowSeconds())}.5` })),
  unauthorized("negative timestamp", () => ({ ts: "-1" })),
  unauthorized("signature without the sha256= prefix", { signature: (s) => hex(s) }),
  unauthorized("signature with a sha1= prefix", { signature: (s) => `sha1=${hex(s)}` }),
  unauthorized("signature with an upper-case SHA256= prefix", { signature: (s) => `SHA256=${hex(s)}` }),
  unauthorized("signature of 63 hex digits", { signature: (s) => s.slice(0, -1) }),
  unauthorized("signature of 66 hex digits", { signature: (s) => `${s}00` }),
  unauthorized("signature with non-hex digits", { signature: (s) => `sha256=${"zz".repeat(32)}` }),
  unauthorized("empty signature", { signature: () => "sha256=" }),
  unauthorized("two signatures in one header", { signature: (s) => `${s}, ${s}` }),

  // The body as a whole (400, field "").
  invalid("malformed JSON", '{"targets": [', ""),
  invalid("not UTF-8 (0xff inside a string)", new Uint8Array([...new TextEncoder().encode('{"remove":["a'), 0xff, ...new TextEncoder().encode('"]}')]), ""),
  invalid("a lone surrogate as raw CESU-8 bytes", new Uint8Array([...new TextEncoder().encode('{"remove":["a'), 0xed, 0xa0, 0x80, ...new TextEncoder().encode('"]}')]), ""),
  invalid("a UTF-8 byte order mark before the JSON", `\ufeff${VALID}`, ""),
  invalid("an empty body", "", ""),
  invalid("a top-level array", JSON.stringify([target()]), ""),
  invalid("a top-level string", JSON.stringify(VALID), ""),
  invalid("JSON null", "null", ""),

  // Shape and types.
  invalid("an unknown top-level field", JSON.stringify({ targets: [target()], priority: 1 }), "priority"),
  invalid("__proto__ as a top-level field", `{"targets":[${JSON.stringify(target())}],"__proto__":{}}`, "__proto__"),
  invalid("targets that is not an array", JSON.stringify({ targets: target() }), "targets"),
  invalid("targets: null", JSON.stringify({ targets: null }), "targets"),
  invalid("remove that is not an array", JSON.stringify({ remove: "packages/a.tar.gz" }), "remove"),
  invalid("a target that is a string", JSON.stringify({ targets: [target({ path: "ok/a" }), PATH] }), "targets[1]"),
  invalid("a removal that is a number", JSON.stringify({ remove: ["ok/a", 7] }), "remove[1]"),
  invalid("an unknown target field", withTarget({ size: 3 }), "targets[0].size"),
  invalid("path a number", withTarget({ path: 12 }), "targets[0].path"),
  invalid("path missing", withTarget({ path: undefined }), "targets[0].path"),
  invalid("length a string", withTarget({ length: "3" }), "targets[0].length"),
  invalid("length missing", withTarget({ length: undefined }), "targets[0].length"),
  invalid("length null", withTarget({ length: null }), "targets[0].length"),
  invalid("length 1.5", withTarget({ length: 1.5 }), "targets[0].length"),
  invalid("length -1", withTarget({ length: -1 }), "targets[0].length"),
  invalid("length 2^53 (not a safe integer)", withTarget({ length: 2 ** 53 }), "targets[0].length"),
  invalid("length 1e400 (Infinity once parsed)", VALID.replace('"length":3', '"length":1e400'), "targets[0].length"),
  invalid("hashes a string", withTarget({ hashes: SHA256 }), "targets[0].hashes"),
  invalid("hashes missing", withTarget({ hashes: undefined }), "targets[0].hashes"),
  invalid("hashes empty", withTarget({ hashes: {} }), "targets[0].hashes"),
  invalid("a float inside custom", withTarget({ custom: { project: "example", score: { value: [1, 0.5] } } }), "targets[0].custom.score.value[1]"),
  invalid("custom that is an array", withTarget({ custom: ["example"] }), "targets[0].custom"),
  invalid("a control character in a custom string", withTarget({ custom: { project: "a\u0001b" } }), "targets[0].custom.project"),
  invalid("a non-BMP character in a custom key", withTarget({ custom: { "🐍": "python" } }), "targets[0].custom.🐍"),
  // Bounds on custom (security review, finding 2): python-tuf cannot parse a bin nested ~1,000 deep.
  invalid("custom nested 5,000 deep", VALID.replace('"length":3', `"custom":${'{"a":'.repeat(5000)}1${"}".repeat(5000)},"length":3`), "targets[0].custom"),
  invalid("custom nested 9 deep", withTarget({ custom: JSON.parse(`${'{"a":'.repeat(9)}1${"}".repeat(9)}`) }), "targets[0].custom"),
  invalid("custom with 65 keys", withTarget({ custom: Object.fromEntries(Array.from({ length: 65 }, (_, i) => [`k${i}`, i])) }), "targets[0].custom"),
  invalid("custom of more than 4 KiB", withTarget({ custom: { blob: "x".repeat(4100) } }), "targets[0].custom"),
  invalid("custom that sets serial", withTarget({ custom: { serial: 3 } }), "targets[0].custom.serial"),
  invalid("a serial that is negative", withTarget({ serial: -1 }), "targets[0].serial"),
  invalid("a serial that is a float", withTarget({ serial: 1.5 }), "targets[0].serial"),
  invalid("a removal with an unknown field", JSON.stringify({ remove: [{ path: "a", serial: 1, why: "x" }] }), "remove[0].why"),
  invalid("a path removed twice with different serials", JSON.stringify({ remove: [{ path: "a", serial: 1 }, { path: "a", serial: 2 }] }), "remove[1]"),
  invalid("a lone surrogate in custom via a JSON escape", VALID.replace('"length":3', '"custom":{"p":"\\udfff"},"length":3'), "targets[0].custom.p"),

  // Hashes.
  invalid("sha256 in upper-case hex", withTarget({ hashes: { sha256: SHA256.toUpperCase() } }), "targets[0].hashes.sha256"),
  invalid("sha256 of 63 hex digits", withTarget({ hashes: { sha256: SHA256.slice(1) } }), "targets[0].hashes.sha256"),
  invalid("sha256 of 65 hex digits", withTarget({ hashes: { sha256: `${SHA256}a` } }), "targets[0].hashes.sha256"),
  invalid("sha256 with non-hex digits", withTarget({ hashes: { sha256: `g${SHA256.slice(1)}` } }), "targets[0].hashes.sha256"),
  invalid("sha256 a number", withTarget({ hashes: { sha256: 12 } }), "targets[0].hashes.sha256"),
  invalid("an unknown algorithm beside sha256 (md5)", withTarget({ hashes: { sha256: SHA256, md5: SHA256.slice(32) } }), "targets[0].hashes.md5"),
  invalid("sha512 only (sha256 missing)", withTarget({ hashes: { sha512: SHA512 } }), "targets[0].hashes.sha256"),
  invalid("blake2b-256 alone", withTarget({ hashes: { "blake2b-256": SHA256 } }), "targets[0].hashes.blake2b-256"),
  invalid("sha512 of 64 hex digits", withTarget({ hashes: { sha256: SHA256, sha512: SHA256 } }), "targets[0].hashes.sha512"),

  // Target path rules (contract.md), each one.
  badPath("empty", ""),
  badPath("absolute", "/packages/a/example-1.0.tar.gz"),
  badPath('empty segment "a//b"', "packages/a//example-1.0.tar.gz"),
  badPath("trailing slash", "packages/a/"),
  badPath('"." segment', "packages/./example-1.0.tar.gz"),
  badPath('".." segment', "packages/../../etc/passwd"),
  badPath("backslash", "packages\\a\\example-1.0.tar.gz"),
  badPath("1,025 bytes of ASCII", "a".repeat(1025)),
  badPath("1,026 bytes of UTF-8 in 513 UTF-16 code units", "é".repeat(513)),
  badPath("NUL", "packages/a\u0000.tar.gz"),
  badPath("U+0001", "packages/a\u0001.tar.gz"),
  badPath("newline", "packages/a.tar.gz\n"),
  badPath("DEL U+007F", "packages/a\u007f.tar.gz"),
  badPath("C1 U+0085", "packages/a\u0085.tar.gz"),
  invalid("target path: lone high surrogate via JSON escape", VALID.replace(`"path":"${PATH}"`, '"path":"packages/a\\ud800.tar.gz"'), "targets[0].path"),
  invalid("target path: lone low surrogate via JSON escape", VALID.replace(`"path":"${PATH}"`, '"path":"packages/\\udc00a.tar.gz"'), "targets[0].path"),
  badPath("non-BMP emoji (raw UTF-8)", "simple/🐍/index.html"),
  invalid("target path: non-BMP emoji via an escaped surrogate pair", VALID.replace(`"path":"${PATH}"`, '"path":"simple/\\ud83d\\udc0d/index.html"'), "targets[0].path"),
  invalid("removed path: .. segment", JSON.stringify({ remove: ["packages/ok.tar.gz", "packages/../x"] }), "remove[1]"),
  invalid("removed path: control character", JSON.stringify({ remove: ["packages/\u0009.tar.gz"] }), "remove[0]"),

  // Consistency of one request.
  invalid("the same path twice with different hashes", JSON.stringify({ targets: [target(), target({ hashes: { sha256: "ef".repeat(32) } })] }), "targets[1].path"),
  invalid("the same path twice with different lengths", JSON.stringify({ targets: [target(), target({ length: 4 })] }), "targets[1].path"),
  invalid("the same path twice with different custom", JSON.stringify({ targets: [target({ custom: { project: "a" } }), target({ custom: { project: "b" } })] }), "targets[1].path"),
  invalid("a path both added and removed", JSON.stringify({ targets: [target()], remove: [PATH] }), "remove[0]"),
  invalid("nothing to add or remove ({})", "{}", "targets"),
  invalid("nothing to add or remove (empty lists)", JSON.stringify({ targets: [], remove: [] }), "targets"),
  invalid("2,001 targets", JSON.stringify({ targets: removals(2001).map((path) => target({ path })) }), "targets"),
  invalid("2,001 removals", JSON.stringify({ remove: removals(2001) }), "remove"),
  invalid("2,001 entries across targets and remove", JSON.stringify({ targets: [target()], remove: removals(2000) }), "remove"),
  invalid(
    "one bad entry among 1,500 good ones, named by index",
    JSON.stringify({ targets: Array.from({ length: 1500 }, (_, i) => target({ path: `p/${i}`, length: i === 1234 ? -5 : i })) }),
    "targets[1234].length",
  ),

  // Size (413): over 1 MiB, declared or streamed, with well-formed fresh signature headers.
  { name: "1 MiB + 1 byte with Content-Length", body: overLimit, status: 413 },
  { name: "1 MiB + 1 byte chunked (no Content-Length)", body: overLimit, chunked: true, status: 413 },
  { name: "4 MiB chunked (no Content-Length)", body: padded(VALID, 4 * MiB), chunked: true, status: 413 },
  // Unauthenticated: refused on its headers, whatever its size. `unfinished`: only the first 64 KiB is
  // ever sent, so the answer proves the body was not read (issue 12, finding 10).
  { name: "1 MiB + 1 byte, unsigned", body: overLimit, unfinished: true, signing: { signature: () => null, noTimestamp: true }, status: 401 },
  { name: "4 MiB chunked, unsigned", body: padded(VALID, 4 * MiB), chunked: true, unfinished: true, signing: { signature: () => null, noTimestamp: true }, status: 401 },
  { name: "4 MiB, stale timestamp", body: padded(VALID, 4 * MiB), unfinished: true, signing: () => ({ ts: String(Math.floor(nowSeconds()) - 301) }), status: 401 },
  { name: "4 MiB, malformed signature", body: padded(VALID, 4 * MiB), unfinished: true, signing: { signature: () => "sha256=zz" }, status: 401 },
  { name: "4 MiB chunked, well-formed wrong signature: bounded at 1 MiB", body: padded(VALID, 4 * MiB), chunked: true, signing: { secret: "ab".repeat(32) }, status: 413 },

  // Key ids (rotation, issue 12 finding 5): the primary secret unless X-Webhook-Key-Id names another.
  unauthorized("X-Webhook-Key-Id naming no configured secret", { keyId: "0123456789abcdef" }),
  unauthorized("X-Webhook-Key-Id not 16 hex digits", { keyId: "primary" }),
  unauthorized("X-Webhook-Key-Id empty", { keyId: "" }),
  unauthorized("signed with WEBHOOK_SECRET_NEXT without its key id", { secret: NEXT_SECRET }),
  unauthorized("signed with WEBHOOK_SECRET_NEXT under the primary's key id", () => ({ secret: NEXT_SECRET, keyIdOf: "primary" })),
  unauthorized("signed with the primary under WEBHOOK_SECRET_NEXT's key id", { keyId: webhookKeyId(NEXT_SECRET) }),

  // Mass removal is logged, not refused; but an unauthenticated one never gets that far.
  unauthorized("2,000 removals, unsigned", { signature: () => null }, JSON.stringify({ remove: removals(2000) })),
];

describe("webhook: hostile input", () => {
  let w: TestWorker;
  /** The messages the Worker queued since the last call (nothing consumes them unless the test delivers them). */
  const queued = async () => ((await (await fetch(`${w.url}/__test/queue`)).json()) as { sent: unknown[] }).sent;
  let before: { metadata: Record<string, string>; packages: Record<string, string>; timestamp: Buffer };
  beforeAll(async () => {
    // Plain targets (no pages rendered). The test runs the consumer itself and sees every message the
    // Worker queues (the faulty entry records them): "nothing was queued" is then a fact, not a wait.
    w = await startWorker({ entry: "faulty", queueConsumer: false, vars: { SIMPLE_PAGES: "index", WEBHOOK_SECRET_NEXT: NEXT_SECRET } });
    await bootstrapByHand(w, BITS);
    await queued();
    before = {
      metadata: await bucketSnapshot(await w.metadata()),
      packages: await bucketSnapshot(await w.packages()),
      timestamp: await timestampBytes(w),
    };
  });
  afterAll(() => w.close());

  test("the table has at least 30 cases", () => {
    expect(CASES.length).toBeGreaterThanOrEqual(30);
    expect(new Set(CASES.map((c) => c.name)).size).toBe(CASES.length);
  });

  test.each(CASES)("$name → $status", async (c) => {
    const signing = typeof c.signing === "function" ? c.signing() : c.signing;
    const headers = await headersFor(w, c.body, signing);
    const res = c.unfinished
      ? await postUnfinished(w, c.body as Uint8Array, headers, c.chunked)
      : c.chunked ? await postChunked(w, c.body as Uint8Array, headers) : await postRaw(w, c.body, headers);
    expect(res.status, res.text).toBe(c.status);
    const answer = JSON.parse(res.text);
    expect(typeof answer.error).toBe("string");
    expect(answer.id).toBeUndefined();
    if (c.status === 400) expect(answer.field).toBe(c.field);
    // Nothing secret in an answer: neither the key nor the signature it would have wanted.
    expect(res.text).not.toContain(w.secrets.WEBHOOK_SECRET);
    expect(res.text).not.toContain(hex(await signWebhook(w.secrets.WEBHOOK_SECRET, headers["x-webhook-timestamp"] ?? "", c.body)));
  });

  test("after the table: nothing was queued or stored, published metadata is unchanged", async () => {
    expect(await queued()).toEqual([]);
    expect(await bucketSnapshot(await w.metadata(), "uploads/")).toEqual({});
    expect(await bucketSnapshot(await w.metadata())).toEqual(before.metadata);
    expect(await bucketSnapshot(await w.packages())).toEqual(before.packages);
    expect((await timestampBytes(w)).equals(before.timestamp)).toBe(true);
  });

  test("then a valid request goes through, and its commit carries its target alone", async () => {
    const res = await postRaw(w, VALID, await headersFor(w, VALID));
    expect(res.status, res.text).toBe(202);
    const { id } = JSON.parse(res.text);
    expect(await queued()).toEqual([{ kind: "upload", id }]);
    await deliver(w, [{ kind: "upload", id }]);
    const outcome = await waitForOutcome(w, id);
    expect(outcome.state).toBe("published");
    const snapshot = await metadataJson(w, `${outcome.snapshotVersion}.snapshot.json`);
    const changed = Object.entries(snapshot.signed.meta as Record<string, { version: number }>).filter(([name, m]) => name.startsWith("bins-") && m.version > 1);
    expect(changed.map(([name]) => name)).toEqual([`${binFor(PATH, BITS)}.json`]);
    const [name, meta] = changed[0]!;
    const bin = await metadataJson(w, `${meta.version}.${name}`);
    expect(Object.keys(bin.signed.targets)).toEqual([PATH]);
    expect(Object.keys(await bucketSnapshot(await w.metadata(), "uploads/"))).toEqual([`uploads/${id}.json`]);
  });
});

describe("webhook: accepted uploads", () => {
  let w: TestWorker;
  let rootBytes: Uint8Array;
  const clients: TufClient[] = [];
  const client = () => {
    const c = new TufClient(w.url, rootBytes);
    clients.push(c);
    return c;
  };
  beforeAll(async () => {
    w = await startWorker({ vars: { SIMPLE_PAGES: "index" } }); // plain targets: no pages rendered
    rootBytes = (await bootstrap(w, BITS)).rootBytes;
  });
  afterAll(async () => {
    clients.forEach((c) => c.close());
    await w.close();
  });

  /** Stores `bytes` at `path` in PACKAGES (so /files serves them) and returns the target entry. */
  async function artifact(path: string, bytes: Uint8Array | string, custom?: Record<string, unknown>) {
    const data = typeof bytes === "string" ? new TextEncoder().encode(bytes) : bytes;
    await (await w.packages()).put(path, data);
    return { path, length: data.length, hashes: { sha256: sha256Hex(data) }, ...(custom ? { custom } : {}) };
  }

  async function send(body: unknown, signing?: Signing) {
    const raw = typeof body === "string" || body instanceof Uint8Array ? body : JSON.stringify(body);
    const res = await postRaw(w, raw, await headersFor(w, raw, signing));
    return { status: res.status, answer: JSON.parse(res.text) };
  }

  test("202 with an id and the count; queued → published with its snapshot version; tuf-js downloads and verifies", async () => {
    const bytes = new TextEncoder().encode("a wheel, as far as this test is concerned\n");
    const entry = await artifact(PATH, bytes, { project: "example" });
    const { status, answer } = await send({ targets: [entry] });
    expect(status).toBe(202);
    expect(answer).toEqual({ id: expect.stringMatching(/^[0-9a-f]{32}$/), accepted: 1 });

    // The record exists as soon as the answer does (the queue delivers at once, so it may be published already).
    const queued = await (await fetch(`${w.url}/v1/uploads/${answer.id}`)).json();
    expect(queued).toMatchObject({ id: answer.id, state: expect.stringMatching(/^(queued|published)$/), targets: 1, remove: 0 });

    const published = await waitForOutcome(w, answer.id);
    expect(published).toMatchObject({ id: answer.id, state: "published", snapshotVersion: 2 });
    const tuf = client();
    expect(Buffer.from(await tuf.download(PATH)).equals(Buffer.from(bytes))).toBe(true);
    expect(tuf.trusted("timestamp").signed.meta["snapshot.json"].version).toBe(published.snapshotVersion);
    const info = await tuf.targetInfo(PATH);
    expect(info?.custom).toEqual({ project: "example" });
  });

  test("all targets of one request land in the same snapshot version", async () => {
    const entries = await Promise.all(
      Array.from({ length: 8 }, (_, i) => artifact(`packages/batch/${i}/example_${i}-1.0.tar.gz`, `file ${i}\n`)),
    );
    expect(new Set(entries.map((e) => binFor(e.path, BITS))).size).toBeGreaterThan(2);
    const { status, answer } = await send({ targets: entries });
    expect(status).toBe(202);
    expect(answer.accepted).toBe(8);
    const { snapshotVersion } = await waitForOutcome(w, answer.id);
    for (const e of entries) {
      // In the bin version that snapshot N lists, and not in the one snapshot N-1 lists.
      expect((await binEntry(w, snapshotVersion, e.path, BITS)).file).toEqual({ length: e.length, hashes: e.hashes });
      expect((await binEntry(w, snapshotVersion - 1, e.path, BITS)).file).toBeNull();
    }
    const tuf = client();
    for (const e of entries) expect((await tuf.download(e.path)).toString()).toBe(`file ${e.path.split("/")[2]}\n`);
    expect(tuf.trusted("snapshot").signed.version).toBe(snapshotVersion);
  });

  test("a removal makes the target disappear for a fresh client; its bin neighbour still verifies", async () => {
    const names = Array.from({ length: 64 }, (_, i) => `packages/rm/example-${i}.tar.gz`);
    const gone = names[0]!;
    const neighbour = names.find((p, i) => i > 0 && binFor(p, BITS) === binFor(gone, BITS))!;
    expect(neighbour).toBeDefined();
    const entries = [await artifact(gone, "to be revoked\n"), await artifact(neighbour, "stays\n")];
    const added = await send({ targets: entries });
    expect((await waitForOutcome(w, added.answer.id)).state).toBe("published");
    const before = client();
    expect((await before.download(gone)).toString()).toBe("to be revoked\n");

    const removed = await send({ remove: [gone] });
    expect(removed).toEqual({ status: 202, answer: { id: expect.any(String), accepted: 1 } });
    const outcome = await waitForOutcome(w, removed.answer.id);
    expect(outcome.state).toBe("published");
    expect((await binEntry(w, outcome.snapshotVersion, gone, BITS)).file).toBeNull();

    const fresh = client();
    expect(await fresh.targetInfo(gone)).toBeNull();
    expect((await fresh.download(neighbour)).toString()).toBe("stays\n");
  });

  test("a replay of an accepted request within the 300 s window is refused, naming the upload it was", async () => {
    const entry = await artifact("packages/replay/example-2.0.tar.gz", "replayed\n");
    const raw = JSON.stringify({ targets: [entry] });
    const headers = await headersFor(w, raw);
    const first = await postRaw(w, raw, headers);
    const firstOutcome = await waitForOutcome(w, JSON.parse(first.text).id);
    const again = await postRaw(w, raw, headers);
    expect(again.status).toBe(409);
    expect(JSON.parse(again.text)).toMatchObject({ id: JSON.parse(first.text).id });
    expect(firstOutcome.state).toBe("published");
  });

  // Accepted edges of the table above, and the decisions behind them.
  test("accepted edges: exactly 1 MiB; 2,000 entries; a 1,024-byte UTF-8 path; 299 s old; upper-case signature hex", async () => {
    const edge = await artifact(`packages/edge/${"é".repeat(500)}.tar.gz`, "edge\n");
    expect(new TextEncoder().encode(edge.path).length).toBeLessThanOrEqual(1024);
    const longest = await artifact(`packages/${"é".repeat(507)}`, "longest\n");
    expect(new TextEncoder().encode(longest.path).length).toBe(1023);
    const exact = await artifact(`${longest.path}x`, "exactly 1,024 bytes\n");
    expect(new TextEncoder().encode(exact.path).length).toBe(1024);

    const oneMiB = padded(JSON.stringify({ targets: [edge] }), MiB);
    const big = await send(oneMiB);
    expect(big).toEqual({ status: 202, answer: { id: expect.any(String), accepted: 1 } });

    const many = await send({ targets: [exact], remove: removals(1999) });
    expect(many).toEqual({ status: 202, answer: { id: expect.any(String), accepted: 2000 } });

    // A signature is a MAC in hex: upper-case digits decode to the same bytes and are accepted.
    const old = await send({ targets: [longest] }, { ts: String(Math.ceil(nowSeconds()) - 299), signature: (s) => `sha256=${hex(s).toUpperCase()}` });
    expect(old.status).toBe(202);

    for (const id of [big.answer.id, many.answer.id, old.answer.id]) expect((await waitForOutcome(w, id)).state).toBe("published");
    // Signed into their bins as sent, and downloadable: the hash-prefixed URL a client asks for is
    // 65 bytes longer than the path, which the read path allows for.
    const tuf = client();
    for (const e of [edge, exact, longest]) expect(await tuf.targetInfo(e.path)).toMatchObject({ path: e.path, length: e.length, hashes: e.hashes });
    expect((await tuf.download(exact.path)).toString()).toBe("exactly 1,024 bytes\n");
  });

  test("a length written 1e1 or 10.0 is the integer 10 once parsed: accepted, and signed as 10", async () => {
    // JSON has one number type; what we sign is the canonical integer, so clients compute the same bytes.
    const entry = await artifact("packages/exp/example-1.0.tar.gz", "ten bytes\n");
    expect(entry.length).toBe(10);
    const raw = JSON.stringify({ targets: [entry] }).replace('"length":10', '"length":1e1');
    const { status, answer } = await send(raw);
    expect(status).toBe(202);
    const second = await artifact("packages/exp/example-1.1.tar.gz", "ten again\n");
    const raw2 = JSON.stringify({ targets: [second] }).replace('"length":10', '"length":10.0');
    const again = await send(raw2);
    expect(again.status).toBe(202);
    for (const id of [answer.id, again.answer.id]) expect((await waitForOutcome(w, id)).state).toBe("published");
    const tuf = client();
    expect((await tuf.targetInfo(entry.path))?.length).toBe(10);
    expect((await tuf.download(second.path)).toString()).toBe("ten again\n");
  });

  test.each([
    ["an unknown id", "0123456789abcdef0123456789abcdef"],
    ["an unknown R2 id", "r2-0123456789abcdef0123456789abcdef"],
    ["an id in upper case", "0123456789ABCDEF0123456789ABCDEF"],
    ["a short id", "0123"],
    ["a path-like id", "..%2F..%2Fmetadata%2Ftimestamp"],
    ["an id with a suffix", "0123456789abcdef0123456789abcdef.json"],
  ])("GET /v1/uploads/<%s> → 404 JSON", async (_, id) => {
    const res = await fetch(`${w.url}/v1/uploads/${id}`);
    expect(res.status).toBe(404);
    expect(res.headers.get("content-type")).toMatch(/^application\/json/);
    expect(await res.json()).toEqual({ error: expect.any(String) });
  });
});
