import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { afterAll, expect, test } from "vitest";
import { ROOT } from "../../scripts/lib/local-worker.js";
import { PASSPHRASES } from "./fixtures.js";

// `npm start` from a clean copy of the repository reaches a state where `tuf-edge verify` passes,
// and a second start reuses everything it made.

const dir = mkdtempSync(join(tmpdir(), "tuf-edge-start-"));
const port = 18_000 + Math.floor(Math.random() * 2000);
let running: ChildProcess | undefined;

afterAll(() => {
  if (running?.pid) process.kill(-running.pid, "SIGKILL");
  rmSync(dir, { recursive: true, force: true });
});

function cleanCopy(into = dir) {
  const dir = into;
  const files = execFileSync("git", ["ls-files", "-z", "--cached", "--others", "--exclude-standard"], { cwd: ROOT, encoding: "utf8" }).split("\0").filter(Boolean);
  for (const f of files) {
    if (!existsSync(join(ROOT, f))) continue;
    mkdirSync(dirname(join(dir, f)), { recursive: true });
    cpSync(join(ROOT, f), join(dir, f));
  }
  symlinkSync(join(ROOT, "node_modules"), join(dir, "node_modules"));
}

/** Everything the running `npm start` has written so far. */
let output = "";

/** Starts `npm start` and resolves with its output once it says it is serving. */
function start(extra: string[] = [], cwd = dir): Promise<string> {
  let out = "";
  output = "";
  running = spawn("npm", ["start", "--", "--port", String(port), "--bits", "4", ...extra], { cwd, detached: true, env: { ...process.env, CI: "true" } });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`npm start did not get ready:\n${out}`)), 150_000);
    const read = (chunk: Buffer) => {
      out += chunk.toString();
      output += chunk.toString();
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

function verify(cwd = dir): string {
  const root = join(cwd, "trusted-root.json");
  return execFileSync(process.execPath, ["scripts/bin.mjs", "verify", "--url", `http://127.0.0.1:${port}`, "--root", root, "--min-valid", "auto"], { cwd, encoding: "utf8" });
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
  // One "ready" (ours, once bootstrapped), and no request line per metadata read: the verify made 20.
  expect(output.match(/tuf-edge is serving/g)).toHaveLength(1);
  expect(output).not.toMatch(/Ready on/);
  expect(output).not.toMatch(/GET \/metadata\//);
  expect(output).toContain("export TUF_EDGE_URL=");
  expect(output).toContain("$TUF_EDGE_URL/v1/admin/files/packages/demo/");
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

test("npm start -- --no-bootstrap leaves the repository to your own key ceremony", { timeout: 300_000 }, async () => {
  const own = mkdtempSync(join(tmpdir(), "tuf-edge-start-own-"));
  try {
    cleanCopy(own);
    const out = await start(["--no-bootstrap"], own);
    expect(out).not.toMatch(/bootstrapping/);
    expect(out).toContain("tuf-edge is serving a local Worker with no repository yet");
    expect(out).toContain("--online-key .dev-keys/online.pub.json --bits 4");
    expect(((await (await fetch(`http://127.0.0.1:${port}/v1/status`)).json()) as { published: boolean }).published).toBe(false);

    // The rehearsal as printed: own keys, a ceremony naming the Worker's online key, bootstrap.
    const cli = (args: string[], env: Record<string, string> = {}) =>
      execFileSync(process.execPath, ["scripts/bin.mjs", ...args], { cwd: own, encoding: "utf8", env: { ...process.env, ...PASSPHRASES, ...env } });
    for (const name of ["alice", "targets"]) cli(["keygen", "--out", `${name}.key`, "--passphrase-env", "PASS"]);
    cli(["ceremony", "init", "--root-key", "alice.key.pub.json", "--root-threshold", "1", "--targets-key", "targets.key.pub.json",
      "--targets-threshold", "1", "--online-key", ".dev-keys/online.pub.json", "--bits", "4", "--out", "ceremony.json"]);
    for (const key of ["alice.key", "targets.key"]) cli(["ceremony", "sign", "ceremony.json", "--key", key, "--passphrase-env", "PASS"]);
    const token = /^ADMIN_TOKEN=(.*)$/m.exec(readFileSync(join(own, ".dev.vars"), "utf8"))![1]!;
    expect(cli(["bootstrap", "--url", `http://127.0.0.1:${port}`, "--file", "ceremony.json", "--wait"], { ADMIN_TOKEN: token })).toContain("published");
    cpSync(join(own, "1.root.json"), join(own, "trusted-root.json"));
    expect(verify(own)).toMatch(/^OK: /m);
    await stop();
  } finally {
    rmSync(own, { recursive: true, force: true });
  }
});
