/** A failure the user can act on: printed as one line, no stack trace, exit status 1. */
export class CliError extends Error {
  /** The (sub)command it came from, when that is more precise than the command: `ceremony sign`. */
  where?: string;

  constructor(
    message: string,
    readonly exitCode = 1,
  ) {
    super(message);
    this.name = "CliError";
  }
}

/** Wrong or missing arguments: exit status 2, with a pointer to --help. */
export class UsageError extends CliError {
  constructor(message: string) {
    super(message, 2);
    this.name = "UsageError";
  }
}

/** Thrown by `parseOptions` when --help was given; the CLI prints `usage` and exits 0. */
export class HelpRequested extends Error {
  constructor(readonly usage: string) {
    super("help requested");
  }
}
