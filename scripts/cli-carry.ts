// The packed CLI's entry (npm run pack:cli bundles it into one file with no dependencies).
import { runFromProcess } from "./cli.js";
import { CARRIED } from "./commands-carried.js";

await runFromProcess(CARRIED);
