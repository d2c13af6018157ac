// `tuf-edge upload --serial` and `remove --serial` against the Worker in workerd (index mode: the
// index sends its own pages): the CLI stores the bytes, the page is served as signed, a lower serial
// is superseded, and a removal keeps its serial.
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, expect, test } from "vitest";
import { bootstrap } from "../support/repo.js";
import { type TestWorker, startWorker } from "../support/worker.js";
import { runCli } from "./helpers.js";

let w: TestWorker;
let dir: string;
beforeAll(async () => {
  w = await startWorker({ vars: { SIMPLE_PAGES: "index" } });
  await bootstrap(w, 4);
  dir = await mkdtemp(join(tmpdir(), "tuf-edge-upload-serial-"));
});
afterAll(async () => {
  await w.close();
  await rm(dir, { recursive: true, force: true });
});

const PATH = "simple/demo/vnd.pypi.simple.v1.html";
const page = (text: string) => `<!DOCTYPE html><html><body><a href="../../files/demo-${text}.tar.gz">demo-${text}.tar.gz</a></body></html>\n`;

async function send(args: string[]) {
  const r = await runCli([...args, "--url", w.url, "--wait", "--json"], { WEBHOOK_SECRET: w.secrets.WEBHOOK_SECRET });
  return { ...r, record: r.stdout ? (JSON.parse(r.stdout) as { state: string; results?: { outcome: string }[] }) : null };
}

async function served() {
  const res = await fetch(`${w.url}/simple/demo/`, { headers: { accept: "text/html" } });
  return res.status === 200 ? res.text() : res.status;
}

test("a page goes out by serial from the CLI, and a removal keeps its serial", async () => {
  const v5 = join(dir, "v5.html");
  await writeFile(v5, page("5"));
  const first = await send(["upload", "--path", PATH, "--file", v5, "--serial", "5"]);
  expect(first.code, first.stderr).toBe(0);
  expect(first.record?.state).toBe("published");
  expect(await served()).toBe(page("5"));

  // A lower serial arrives late: superseded, and the page stays at 5.
  const v3 = join(dir, "v3.html");
  await writeFile(v3, page("3"));
  const late = await send(["upload", "--path", PATH, "--file", v3, "--serial", "3"]);
  expect(late.record?.results?.[0]?.outcome).toBe("superseded");
  expect(await served()).toBe(page("5"));

  const removed = await send(["remove", "--path", PATH, "--serial", "6"]);
  expect(removed.code, removed.stderr).toBe(0);
  expect(await served()).toBe(404);

  // Serial 6 was the removal's: re-sending it cannot bring the page back; 7 can.
  const replay = await send(["upload", "--path", PATH, "--file", v5, "--serial", "6"]);
  expect(replay.record?.results?.[0]?.outcome).toBe("superseded");
  expect(await served()).toBe(404);
  const v7 = join(dir, "v7.html");
  await writeFile(v7, page("7"));
  expect((await send(["upload", "--path", PATH, "--file", v7, "--serial", "7"])).record?.state).toBe("published");
  expect(await served()).toBe(page("7"));
});
