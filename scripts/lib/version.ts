import { readFileSync } from "node:fs";

// Set by the packed CLI's build (scripts/pack-cli.mjs); from package.json when run from the repository.
declare const __TUF_EDGE_VERSION__: string | undefined;

export function cliVersion(): string {
  if (typeof __TUF_EDGE_VERSION__ === "string") return __TUF_EDGE_VERSION__;
  const pkg = JSON.parse(readFileSync(new URL("../../package.json", import.meta.url), "utf8")) as { version: string };
  return pkg.version;
}
