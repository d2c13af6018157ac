import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { afterAll, expect, test } from "vitest";
import { ROOT } from "../../scripts/lib/local-worker.js";

// `npm start` from a clean copy of the repository reaches a state where `tuf-edge verify` passes,
// and a second start reuses everything it made.

const dir = mkdtempSync(join(tmpdir(), "tuf-edge-start-"));
const port = 18_000 + Math.floor(Math.random() * 2000);
let running: ChildProcess | undefined;

afterAll(() => {
  if (running?.pid) process.kill(-running.pid, "SIGKILL");
  rmSync(dir, { recursive: true, force: true });
});

function cleanCopy() {
  const files = execFileSync("git", ["ls-files", "-z", "--cached", "--others", "--exclude-standard"], { cwd: ROOT, encoding: "utf8" }).split("\0").filter(Boolean);
  for (const f of files) {
    if (!existsSync(join(ROOT, f))) continue;
    mkdirSync(dirname(join(dir, f)), { recursive: true });
    cpSync(join(ROOT, f), join(dir, f));
  }
  symlinkSync(join(ROOT, "node_modules"), join(dir, "node_modules"));
}

/** Starts `npm start` and resolves with its output once it says it is serving. */
function start(): Promise<string> {
  let out = "";
  running = spawn("npm", ["start", "--", "--port", String(port), "--bits", "4"], { cwd: dir, detached: true, env: { ...process.env, CI: "true" } });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`npm start did not get ready:\n${out}`)), 150_000);
    const read = (chunk: Buffer) => {
      out += chunk.toString();
      if (out.includes("tuf-edge is serving")) {
        clearTimeout(timer);
        resolve(out);
      }
    };
    running!.stdout!.on("data", read);
    running!.stderr!.on("data", read);
    running!.on("exit", (code) => reject(new Error(`npm start exited (${code}):\n${out}`)));
  });
}

async function waitForCron(): Promise<{ cron: string }> {
  for (let i = 0; i < 120; i++) {
    const s = (await (await fetch(`http://127.0.0.1:${port}/v1/status`)).json()) as { lastCron: { cron: string } | null };
    if (s.lastCron) return s.lastCron;
    await new Promise((r) => setTimeout(r, 500));
  }
  throw new Error("no cron run recorded 60 s after npm start");
}

/** A second `npm start` on the same port: its whole output once it exits. */
function startAgain(): Promise<string> {
  return new Promise((resolve) => {
    let out = "";
    const child = spawn("npm", ["start", "--", "--port", String(port), "--bits", "4"], { cwd: dir, env: { ...process.env, CI: "true" } });
    child.stdout.on("data", (c: Buffer) => (out += c.toString()));
    child.stderr.on("data", (c: Buffer) => (out += c.toString()));
    child.on("exit", () => resolve(out));
  });
}

async function stop() {
  const child = running!;
  const exited = new Promise((r) => child.once("exit", r));
  process.kill(-child.pid!, "SIGTERM");
  await exited;
  running = undefined;
}

function verify(): string {
  const root = join(dir, "trusted-root.json");
  return execFileSync(process.execPath, ["scripts/bin.mjs", "verify", "--url", `http://127.0.0.1:${port}`, "--root", root, "--min-valid", "auto"], { cwd: dir, encoding: "utf8" });
}

test("npm start bootstraps a verifiable repository, and a second start reuses it", { timeout: 400_000 }, async () => {
  cleanCopy();
  const first = await start();
  expect(first).toMatch(/bootstrapping a new repository with 16 bins/);
  expect(statSync(join(dir, ".dev.vars")).mode & 0o777).toBe(0o600);
  expect(readFileSync(join(dir, ".dev.vars"), "utf8")).toMatch(/^ONLINE_KEY=[0-9a-f]{64}$/m);
  expect(existsSync(join(dir, ".dev-keys/root.key.json"))).toBe(true);
  const rootBytes = await (await fetch(`http://127.0.0.1:${port}/metadata/1.root.json`)).arrayBuffer();
  writeFileSync(join(dir, "trusted-root.json"), Buffer.from(rootBytes));
  expect(verify()).toMatch(/every role keeps the margin of a healthy repository/);
  // The cron runs by itself, on wrangler.toml's schedule (first at start).
  const cron = await waitForCron();
  expect(cron.cron).toBe("*/5 * * * *");
  // No network noise (offline: no request.cf download), and a taken port is one line.
  expect(first).not.toMatch(/ENOTFOUND|workers\.cloudflare\.com/);
  const taken = await startAgain();
  expect(taken).toContain(`tuf-edge dev: port ${port} on 127.0.0.1 is taken (another \`npm start\`?): stop it, or use --port N`);
  expect(taken).not.toMatch(/\n\s+at /);
  const vars = readFileSync(join(dir, ".dev.vars"), "utf8");
  await stop();

  const second = await start();
  expect(second).not.toMatch(/bootstrapping/);
  expect(readFileSync(join(dir, ".dev.vars"), "utf8")).toBe(vars);
  expect(Buffer.from(await (await fetch(`http://127.0.0.1:${port}/metadata/1.root.json`)).arrayBuffer())).toEqual(Buffer.from(rootBytes));
  expect(verify()).toMatch(/timestamp/);
  await stop();
});
