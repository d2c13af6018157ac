import type { Command } from "../cli.js";
import { CliError, HelpRequested, UsageError } from "../lib/errors.js";

const SUBCOMMANDS: Record<string, { summary: string; load: () => Promise<{ default: Command }> }> = {
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
${Object.entries(SUBCOMMANDS).map(([n, s]) => `  ${n.padEnd(8)}${s.summary}`).join("\n")}

Run \`tuf-edge ceremony <step> --help\` for a step's options.`;

const command: Command = {
  usage,
  async run(args, io) {
    const [step, ...rest] = args;
    if (step === "--help" || step === "-h") throw new HelpRequested(usage);
    if (step === undefined) throw new UsageError(`name a step: ${Object.keys(SUBCOMMANDS).join(", ")}`);
    const entry = Object.hasOwn(SUBCOMMANDS, step) ? SUBCOMMANDS[step] : undefined;
    if (!entry) throw new UsageError(`unknown step ${JSON.stringify(step)}`);
    try {
      await (await entry.load()).default.run(rest, io);
    } catch (e) {
      if (e instanceof CliError) e.where ??= `ceremony ${step}`;
      throw e;
    }
  },
};
export default command;
