import { type Steps, stepList, stepsCommand } from "../lib/steps.js";

const SUBCOMMANDS: Steps = {
  init: { summary: "root v1 and targets v1 for a new repository", load: () => import("./ceremony/init.js") },
  rotate: { summary: "root N+1 from root N: keys, thresholds, online key, expiry", load: () => import("./ceremony/rotate.js") },
  targets: { summary: "a new targets version with the same content (e.g. before it expires)", load: () => import("./ceremony/targets.js") },
  sign: { summary: "add your signatures to a ceremony file", load: () => import("./ceremony/sign.js") },
  status: { summary: "show what a ceremony file holds and which signatures are missing", load: () => import("./ceremony/status.js") },
};

const usage = `Usage: tuf-edge ceremony <step> [options]

The offline key ceremony: one person creates a ceremony file, each key holder adds their
signatures with \`ceremony sign\`, then \`bootstrap\`, \`rotate\` or \`targets\` publishes it.

Steps:
${stepList(SUBCOMMANDS)}

Run \`tuf-edge ceremony <step> --help\` for a step's options.`;

export default stepsCommand("ceremony", usage, SUBCOMMANDS);
