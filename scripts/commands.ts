import type { CommandTable } from "./cli.js";
import { CARRIED } from "./commands-carried.js";

/**
 * Every command. To add one, add a file under scripts/commands/ whose default export is a Command,
 * and a line here, or in commands-carried.ts if key holders need it away from the repository.
 */
export const COMMANDS: CommandTable = {
  ...CARRIED,
  import: { summary: "back-sign existing files from a JSON-lines listing, grouped by bin (resumable)", load: () => import("./commands/import.js") },
  bench: { summary: "measure publish, import, read path, renewal and invocation costs locally (npm run bench)", load: () => import("./commands/bench.js") },
  dev: { summary: "run a local repository in workerd, bootstrapped with dev keys (npm start)", load: () => import("./commands/dev.js") },
};
