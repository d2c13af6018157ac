// What `npm start` shows of wrangler's output (issue 22): one "ready" (its own, once the repository
// is bootstrapped), and no request line per metadata read (a verify makes 16,384 of them).
import { PassThrough } from "node:stream";
import { expect, test } from "vitest";
import { filterWranglerOutput, showWranglerLine } from "../../scripts/lib/dev-log.js";

test.each([
  ["[wrangler:info] Ready on http://127.0.0.1:8787", false],
  ["\x1b[32m[wrangler:info]\x1b[0m Ready on http://127.0.0.1:8787", false],
  ["[wrangler:info] GET /metadata/3.bins-0a1f.json 200 OK (3ms)", false],
  ["[wrangler:info] GET /metadata/timestamp.json 304 Not Modified (1ms)", false],
  ["[wrangler:info] GET /metadata/2.root.json 404 Not Found (1ms)", false],
  ["[wrangler:info] HEAD /metadata/1.snapshot.json 200 OK (1ms)", false],
  ["\x1b[2m[wrangler:info] \x1b[22mGET /metadata/1.bins-0000.json \x1b[32m200 OK\x1b[39m (2ms)", false],
  ["[wrangler:info] GET /metadata/timestamp.json 500 Internal Server Error (1ms)", true],
  ["[wrangler:info] PUT /v1/admin/files/packages/demo/demo-0.1-py3-none-any.whl 202 Accepted (20ms)", true],
  ["[wrangler:info] GET /simple/demo/ 200 OK (4ms)", true],
  ['{"event":"commit","timestamp":2,"snapshot":2,"bins":3,"uploads":1}', true],
  ["✘ [ERROR] something broke", true],
])("%s → shown: %s", (line, shown) => {
  expect(showWranglerLine(line)).toBe(shown);
});

test("--log-requests shows metadata reads, never wrangler's own Ready line", () => {
  expect(showWranglerLine("[wrangler:info] GET /metadata/3.bins-0a1f.json 200 OK (3ms)", true)).toBe(true);
  expect(showWranglerLine("[wrangler:info] Ready on http://127.0.0.1:8787", true)).toBe(false);
});

test("the stream filter passes the rest through, line by line", async () => {
  const from = new PassThrough();
  const to = new PassThrough();
  let out = "";
  to.on("data", (c: Buffer) => (out += c.toString()));
  filterWranglerOutput(from, to, false);
  from.end("a\n[wrangler:info] GET /metadata/timestamp.json 200 OK (1ms)\nb\n");
  await new Promise((r) => setImmediate(r));
  expect(out).toBe("a\nb\n");
});
