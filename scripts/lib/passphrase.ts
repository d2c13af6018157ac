import { CliError, UsageError } from "./errors.js";
import type { Io } from "./io.js";

/** Shorter passphrases are refused for a new key: scrypt slows guessing, it cannot save a short one. */
export const MIN_PASSPHRASE_LENGTH = 12;

/** TUF_EDGE_INSECURE_TEST_KEYS=1: cheap keys with any passphrase, for tests and throw-away dev keys only. */
export const insecureTestKeys = (io: Io): boolean => io.env.TUF_EDGE_INSECURE_TEST_KEYS === "1";

function checkNewPassphrase(io: Io, value: string): string {
  if (value === "") throw new CliError("a key needs a passphrase");
  if ([...value].length < MIN_PASSPHRASE_LENGTH && !insecureTestKeys(io)) {
    throw new CliError(`the passphrase is shorter than ${MIN_PASSPHRASE_LENGTH} characters; choose a longer one (a few words)`);
  }
  return value;
}

/**
 * The passphrase of an offline key: from the environment variable named by --passphrase-env, or
 * asked on the terminal (twice when `confirm`, for a new key).
 */
export async function readPassphrase(io: Io, envVar: string | undefined, prompt: string, confirm = false): Promise<string> {
  if (envVar !== undefined) {
    const value = io.env[envVar];
    if (value === undefined) throw new UsageError(`environment variable ${envVar} (named by --passphrase-env) is not set`);
    if (confirm && value === "") throw new CliError(`environment variable ${envVar} is empty; a key needs a passphrase`);
    return confirm ? checkNewPassphrase(io, value) : value;
  }
  const value = await io.readSecret(`${prompt}: `);
  if (!confirm) return value;
  checkNewPassphrase(io, value);
  if ((await io.readSecret("Repeat the passphrase: ")) !== value) throw new CliError("the passphrases do not match");
  return value;
}
