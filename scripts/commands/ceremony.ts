import { type Steps, stepList, stepsCommand } from "../lib/steps.js";

const SUBCOMMANDS: Steps = {
  init: { summary: "root v1 and targets v1 for a new repository", load: () => import("./ceremony/init.js") },
  rotate: { summary: "root N+1 from root N: keys, thresholds, online key, expiry", load: () => import("./ceremony/rotate.js") },
  targets: { summary: "a new targets version with the same content (e.g. before it expires)", load: () => import("./ceremony/targets.js") },
  layout: { summary: "move to per-project signing (PEP 480): targets M+1, claimed and unclaimed", load: () => import("./ceremony/layout.js") },
  claims: { summary: "move recent project claims into claimed (PEP 480), and renew claimed", load: () => import("./ceremony/claims.js") },
  sign: { summary: "add your signatures to a ceremony file", load: () => import("./ceremony/sign.js") },
  status: { summary: "show what a ceremony file holds and which signatures are missing", load: () => import("./ceremony/status.js") },
};

const usage = `Usage: tuf-edge ceremony <step> [options]

The offline key ceremony: one person creates a ceremony file, each key holder adds their
signatures with \`ceremony sign\`, then \`bootstrap\`, \`rotate\` or \`targets\` publishes it.
Per-project signing (PEP 480): \`ceremony layout\` once, then \`ceremony claims\` now and then.

Steps:
${stepList(SUBCOMMANDS)}

Run \`tuf-edge ceremony <step> --help\` for a step's options.`;

export default stepsCommand("ceremony", usage, SUBCOMMANDS);
