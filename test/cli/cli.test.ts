import { execFile } from "node:child_process";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";
import { formatDuration, parseDuration, parseExpiry } from "../../scripts/lib/duration.js";
import { json, runCli, startServer } from "./helpers.js";

const BIN = fileURLToPath(new URL("../../scripts/bin.mjs", import.meta.url));

async function runBin(args: string[], env: Record<string, string> = {}) {
  try {
    const { stdout, stderr } = await promisify(execFile)(process.execPath, [BIN, ...args], { env: { ...process.env, ...env } });
    return { code: 0, stdout, stderr };
  } catch (e) {
    const err = e as { code: number; stdout: string; stderr: string };
    return { code: err.code, stdout: err.stdout, stderr: err.stderr };
  }
}

const COMMANDS = ["keygen", "ceremony", "bootstrap", "rotate", "targets", "upload", "remove", "verify", "status"];
const STEPS = ["init", "rotate", "targets", "sign", "status"];

describe("the tuf-edge command line", () => {
  it("bin.mjs runs the TypeScript CLI: --help lists every command; exit codes 0, 1, 2; no stack traces", async () => {
    const help = await runBin(["--help"]);
    expect(help.code).toBe(0);
    for (const c of COMMANDS) expect(help.stdout).toMatch(new RegExp(`^  ${c} `, "m"));
    expect(help.stdout).toMatch(/^  -V, --version +print the version$/m);

    const unknown = await runBin(["frobnicate"]);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain('unknown command "frobnicate"');

    const userError = await runBin(["ceremony", "status", "/nonexistent/ceremony.json"]);
    expect(userError.code).toBe(1);
    expect(userError.stderr).toBe("tuf-edge ceremony status: cannot read /nonexistent/ceremony.json: ENOENT\n");
  });

  it("`status | head -1` ends quietly when the reader goes away (no EPIPE stack trace)", async () => {
    // A status with thousands of lines: more than a pipe holds, so the CLI writes after head exits.
    const body = { published: true, recentCommits: Array.from({ length: 20_000 }, (_, i) => ({ timestampVersion: i, reason: "renewal" })) };
    const server = await startServer((_req, res) => json(res, 200, body));
    try {
      const { stdout, stderr } = await promisify(execFile)("sh", ["-c", `"${process.execPath}" "${BIN}" status --url ${server.url} | head -1`]);
      expect(stdout).toBe("published: true\n");
      expect(stderr).toBe("");
    } finally {
      await server.close();
    }
  });

  it("every command and ceremony step has --help", async () => {
    for (const args of [...COMMANDS.map((c) => [c]), ...STEPS.map((s) => ["ceremony", s])]) {
      const r = await runCli([...args, "--help"]);
      expect(r.code, args.join(" ")).toBe(0);
      expect(r.stdout, args.join(" ")).toMatch(/^Usage: tuf-edge /);
      // --url has a default ($TUF_EDGE_URL): no usage line shows it as required.
      expect(r.stdout.split("\n")[0], args.join(" ")).not.toMatch(/ --url URL(?!\])/);
    }
  });

  it("usage errors name the option and point to --help", async () => {
    const r = await runCli(["verify", "--url", "ftp://example.org"]);
    expect(r).toMatchObject({ code: 2, stderr: "tuf-edge verify: --url must be http:// or https:// (see tuf-edge verify --help)" });
    const missing = await runCli(["ceremony", "init", "--root-key", "a.pub.json"]);
    expect(missing).toMatchObject({ code: 2, stderr: "tuf-edge ceremony init: --out is required (see tuf-edge ceremony init --help)" });
    const unknown = await runCli(["status", "--bogus"]);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(/^tuf-edge status: Unknown option '--bogus'/);
  });

  it("durations: parse, format, and expiries as a duration or a date", () => {
    expect(parseDuration("12h", "--x")).toBe(12 * 3600_000);
    expect(parseDuration("1d12h", "--x")).toBe(36 * 3600_000);
    expect(() => parseDuration("12", "--x")).toThrow("--x must be a duration");
    expect(formatDuration(90_061_000)).toBe("1d 1h");
    expect(formatDuration(59_000)).toBe("59s");
    expect(parseExpiry("2027-01-01T00:00:00Z", "--expires", 0)).toBe(Date.UTC(2027, 0, 1));
    expect(parseExpiry("1d", "--expires", 1500)).toBe(86_401_000);
    expect(() => parseExpiry("2027-02-30T00:00:00Z", "--expires", 0)).toThrow("not a real date");
  });
});
