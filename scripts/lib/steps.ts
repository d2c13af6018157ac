import type { Command } from "../cli.js";
import { CliError, HelpRequested, UsageError } from "./errors.js";

/** A command's steps (`tuf-edge ceremony sign`, `tuf-edge project push`), each loaded when run. */
export type Steps = Record<string, { summary: string; load: () => Promise<{ default: Command }> }>;

/** The steps' lines for a usage text, names padded to the longest. */
export function stepList(steps: Steps): string {
  const width = Math.max(...Object.keys(steps).map((n) => n.length)) + 1;
  return Object.entries(steps).map(([n, s]) => `  ${n.padEnd(width)}${s.summary}`).join("\n");
}

/** A command made of steps: `<name> <step> [options]`; errors name the step they came from. */
export function stepsCommand(name: string, usage: string, steps: Steps): Command {
  return {
    usage,
    async run(args, io) {
      const [step, ...rest] = args;
      if (step === "--help" || step === "-h") throw new HelpRequested(usage);
      if (step === undefined) throw new UsageError(`name a step: ${Object.keys(steps).join(", ")}`);
      const entry = Object.hasOwn(steps, step) ? steps[step] : undefined;
      if (!entry) throw new UsageError(`unknown step ${JSON.stringify(step)}`);
      try {
        await (await entry.load()).default.run(rest, io);
      } catch (e) {
        if (e instanceof CliError) e.where ??= `${name} ${step}`;
        throw e;
      }
    },
  };
}
