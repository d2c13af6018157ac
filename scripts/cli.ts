import { FieldError, VerificationError } from "../shared/index.js";
import { CliError, HelpRequested, UsageError } from "./lib/errors.js";
import { type Io, exitQuietlyOnClosedPipe, processIo } from "./lib/io.js";
import { cliVersion } from "./lib/version.js";

/** One `tuf-edge <name>` command: its --help text and what it does. Failures are thrown. */
export interface Command {
  readonly usage: string;
  run(args: string[], io: Io): Promise<void>;
}

/** Commands by name; modules load only when their command runs (scripts/commands.ts lists them). */
export type CommandTable = Record<string, { summary: string; load: () => Promise<{ default: Command }> }>;

export function overview(commands: CommandTable): string {
  const width = Math.max(...Object.keys(commands).map((n) => n.length));
  return [
    "Usage: tuf-edge <command> [options]",
    "",
    "Commands:",
    ...Object.entries(commands).map(([name, c]) => `  ${name.padEnd(width)}  ${c.summary}`),
    "",
    "Options:",
    "  -h, --help     show this help",
    "  -V, --version  print the version",
    "",
    "Run `tuf-edge <command> --help` for a command's options. Every command that talks to a",
    "repository takes --url URL, or $TUF_EDGE_URL.",
  ].join("\n");
}

/** Runs the CLI and returns the exit status; never throws. */
export async function main(argv: string[], io: Io, commands: CommandTable): Promise<number> {
  const [name, ...args] = argv;
  if (name === undefined || name === "--help" || name === "-h" || name === "help") {
    (name === undefined ? io.err : io.out)(overview(commands));
    return name === undefined ? 2 : 0;
  }
  if (name === "--version" || name === "-V" || name === "version") {
    io.out(`tuf-edge ${cliVersion()}`);
    return 0;
  }
  const entry = Object.hasOwn(commands, name) ? commands[name] : undefined;
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

export async function runFromProcess(commands: CommandTable): Promise<void> {
  exitQuietlyOnClosedPipe();
  process.exitCode = await main(process.argv.slice(2), processIo(), commands);
}
