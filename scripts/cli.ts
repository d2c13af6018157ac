import { FieldError, VerificationError } from "../shared/index.js";
import { CliError, HelpRequested, UsageError } from "./lib/errors.js";
import { type Io, processIo } from "./lib/io.js";

/** One `tuf-edge <name>` command: its --help text and what it does. Failures are thrown. */
export interface Command {
  readonly usage: string;
  run(args: string[], io: Io): Promise<void>;
}

/**
 * The command table. To add a command, add a file under scripts/commands/ whose default export is a
 * Command, and a line here; modules load only when their command runs.
 */
const COMMANDS: Record<string, { summary: string; load: () => Promise<{ default: Command }> }> = {
  keygen: { summary: "create an offline key (passphrase-encrypted) or the online key", load: () => import("./commands/keygen.js") },
  ceremony: { summary: "create root and targets metadata, and sign them by several key holders", load: () => import("./commands/ceremony.js") },
  bootstrap: { summary: "publish root v1 and targets v1 from a signed ceremony file", load: () => import("./commands/bootstrap.js") },
  rotate: { summary: "publish a new root version (root keys, thresholds, online key)", load: () => import("./commands/rotate.js") },
  targets: { summary: "publish a new targets version", load: () => import("./commands/targets.js") },
  upload: { summary: "send a file's length and sha256 to the upload webhook", load: () => import("./commands/upload.js") },
  import: { summary: "back-sign existing files from a JSON-lines listing, grouped by bin (resumable)", load: () => import("./commands/import.js") },
  verify: { summary: "refresh a live repository with tuf-js and report how long each role stays valid", load: () => import("./commands/verify.js") },
  bench: { summary: "measure publish, import, read path, renewal and invocation costs locally (npm run bench)", load: () => import("./commands/bench.js") },
  dev: { summary: "run a local repository in workerd, bootstrapped with dev keys (npm start)", load: () => import("./commands/dev.js") },
  status: { summary: "show the repository's status (GET /v1/status)", load: () => import("./commands/status.js") },
};

export function overview(): string {
  const width = Math.max(...Object.keys(COMMANDS).map((n) => n.length));
  return [
    "Usage: tuf-edge <command> [options]",
    "",
    "Commands:",
    ...Object.entries(COMMANDS).map(([name, c]) => `  ${name.padEnd(width)}  ${c.summary}`),
    "",
    "Run `tuf-edge <command> --help` for a command's options.",
  ].join("\n");
}

/** Runs the CLI and returns the exit status; never throws. */
export async function main(argv: string[], io: Io): Promise<number> {
  const [name, ...args] = argv;
  if (name === undefined || name === "--help" || name === "-h" || name === "help") {
    (name === undefined ? io.err : io.out)(overview());
    return name === undefined ? 2 : 0;
  }
  const entry = Object.hasOwn(COMMANDS, name) ? COMMANDS[name] : undefined;
  if (!entry) {
    io.err(`tuf-edge: unknown command ${JSON.stringify(name)}; run \`tuf-edge --help\` for the list`);
    return 2;
  }
  try {
    await (await entry.load()).default.run(args, io);
    return 0;
  } catch (e) {
    return reportError(e, name, io);
  }
}

/** One line per failure; a stack trace only for a bug, and only with TUF_EDGE_DEBUG set. */
export function reportError(e: unknown, command: string, io: Io): number {
  const prefix = `tuf-edge ${(e instanceof CliError && e.where) || command}`;
  if (e instanceof HelpRequested) {
    io.out(e.usage);
    return 0;
  }
  if (e instanceof UsageError) {
    io.err(`${prefix}: ${e.message} (see ${prefix} --help)`);
    return e.exitCode;
  }
  if (e instanceof CliError) {
    io.err(`${prefix}: ${e.message}`);
    return e.exitCode;
  }
  if (e instanceof FieldError || e instanceof VerificationError) {
    io.err(`${prefix}: ${e.message}`);
    return 1;
  }
  io.err(`${prefix}: unexpected error: ${(e as Error)?.message ?? String(e)}`);
  if (io.env.TUF_EDGE_DEBUG) io.err(String((e as Error)?.stack));
  else io.err("(set TUF_EDGE_DEBUG=1 to see where it happened)");
  return 1;
}

export async function runFromProcess(): Promise<void> {
  process.exitCode = await main(process.argv.slice(2), processIo());
}
