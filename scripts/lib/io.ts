import { CliError } from "./errors.js";

/** Everything a command reads from or writes to its surroundings, so tests can run it in-process. */
export interface Io {
  readonly env: Readonly<Record<string, string | undefined>>;
  /** A line of the command's result, on stdout. */
  out(line: string): void;
  /** A line of warning or error, on stderr. */
  err(line: string): void;
  /** A transient progress line (shown only on a terminal). */
  progress(line: string): void;
  /** Asks for a secret on the terminal without echoing it. */
  readSecret(prompt: string): Promise<string>;
}

export const processIo = (): Io => ({
  env: process.env,
  out: (line) => void process.stdout.write(`${line}\n`),
  err: (line) => void process.stderr.write(`${line}\n`),
  progress: (line) => {
    if (process.stderr.isTTY) process.stderr.write(`\r\x1b[K${line}`);
  },
  readSecret: readSecretFromTty,
});

/**
 * `tuf-edge status | head`: once the reader is gone, stop quietly (as cat does) instead of
 * printing an EPIPE stack trace.
 */
export function exitQuietlyOnClosedPipe(): void {
  for (const stream of [process.stdout, process.stderr]) {
    stream.on("error", (e: NodeJS.ErrnoException) => {
      if (e.code === "EPIPE") process.exit(process.exitCode ?? 0);
      throw e;
    });
  }
}

/** Raw-mode read of one line from the terminal: nothing is echoed; Ctrl-C aborts. */
function readSecretFromTty(prompt: string): Promise<string> {
  const stdin = process.stdin;
  if (!stdin.isTTY) {
    return Promise.reject(new CliError("no terminal to ask for the passphrase on; name an environment variable with --passphrase-env"));
  }
  process.stderr.write(prompt);
  return new Promise((resolve, reject) => {
    let text = "";
    const done = (error?: Error) => {
      stdin.off("data", onData);
      stdin.setRawMode(false);
      stdin.pause();
      process.stderr.write("\n");
      if (error) reject(error);
      else resolve(text);
    };
    const onData = (chunk: Buffer) => {
      for (const ch of chunk.toString("utf8")) {
        if (ch === "\r" || ch === "\n" || ch === "\u0004") return done();
        if (ch === "\u0003") return done(new CliError("aborted", 130));
        if (ch === "\u007f" || ch === "\b") text = [...text].slice(0, -1).join("");
        else text += ch;
      }
    };
    stdin.setRawMode(true);
    stdin.resume();
    stdin.on("data", onData);
  });
}
