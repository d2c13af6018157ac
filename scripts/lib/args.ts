import { type ParseArgsConfig, parseArgs } from "node:util";
import { HelpRequested, UsageError } from "./errors.js";

type Options = NonNullable<ParseArgsConfig["options"]>;

/**
 * node:util parseArgs with the CLI's conventions: strict, `--help`/`-h` on every command, and a
 * parse error turned into a one-line UsageError.
 */
export function parseOptions<const O extends Options>(args: string[], options: O, usage: string, positionals = false) {
  const all = { ...options, help: { type: "boolean", short: "h" } } as const;
  let parsed;
  try {
    parsed = parseArgs({ args, options: all, allowPositionals: positionals, strict: true });
  } catch (e) {
    throw new UsageError((e as Error).message.split("\n")[0]!);
  }
  if ((parsed.values as { help?: boolean }).help) throw new HelpRequested(usage);
  return parsed;
}

/** The options of every command that submits a ceremony file to the admin API. */
export const SUBMIT_OPTIONS = {
  url: { type: "string" },
  file: { type: "string" },
  "token-env": { type: "string", default: "ADMIN_TOKEN" },
} as const;

export function required<T>(value: T | undefined, flag: string): T {
  if (value === undefined || (Array.isArray(value) && value.length === 0)) throw new UsageError(`${flag} is required`);
  return value;
}

export function parsePositiveInt(text: string | undefined, flag: string): number | undefined {
  if (text === undefined) return undefined;
  if (!/^[1-9]\d{0,8}$/.test(text)) throw new UsageError(`${flag} must be a positive whole number, got ${JSON.stringify(text)}`);
  return Number(text);
}

export const requiredPositiveInt = (text: string | undefined, flag: string): number => parsePositiveInt(required(text, flag), flag)!;

/** The repository's base URL without a trailing slash; only http(s). */
export function parseBaseUrl(text: string | undefined): string {
  if (text === undefined) throw new UsageError("--url is required (or set TUF_EDGE_URL)");
  const value = text;
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new UsageError(`--url is not a URL: ${JSON.stringify(value)}`);
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") throw new UsageError("--url must be http:// or https://");
  return url.href.replace(/\/+$/, "");
}

/** The value of the environment variable `name`, which must be set and not empty. */
export function secretFromEnv(env: Readonly<Record<string, string | undefined>>, name: string, what: string, flag: string): string {
  const value = env[name];
  if (!value) throw new UsageError(`environment variable ${name} (${what}) is not set; set it or name another with ${flag}`);
  return value;
}
