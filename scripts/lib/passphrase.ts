import { CliError, UsageError } from "./errors.js";
import type { Io } from "./io.js";

/**
 * The passphrase of an offline key: from the environment variable named by --passphrase-env, or
 * asked on the terminal (twice when `confirm`, for a new key).
 */
export async function readPassphrase(io: Io, envVar: string | undefined, prompt: string, confirm = false): Promise<string> {
  if (envVar !== undefined) {
    const value = io.env[envVar];
    if (value === undefined) throw new UsageError(`environment variable ${envVar} (named by --passphrase-env) is not set`);
    if (confirm && value === "") throw new CliError(`environment variable ${envVar} is empty; a key needs a passphrase`);
    return value;
  }
  const value = await io.readSecret(`${prompt}: `);
  if (!confirm) return value;
  if (value === "") throw new CliError("a key needs a passphrase");
  if ((await io.readSecret("Repeat the passphrase: ")) !== value) throw new CliError("the passphrases do not match");
  return value;
}
