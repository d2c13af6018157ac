import { parseBaseUrl } from "./args.js";
import type { Io } from "./io.js";

/** --url, or else $TUF_EDGE_URL: the repository every command talks to. */
export function repositoryUrl(flag: string | undefined, io: Io): string {
  return parseBaseUrl(flag ?? (io.env.TUF_EDGE_URL || undefined));
}
