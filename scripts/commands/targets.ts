import { assertSafeForSecrets } from "../lib/http.js";
import type { Command } from "../cli.js";
import { SUBMIT_OPTIONS, parseOptions, required, secretFromEnv } from "../lib/args.js";
import { repositoryUrl } from "../lib/repository-url.js";
import { CEREMONY_FORMAT, parseCeremony } from "../lib/ceremony.js";
import { assertComplete } from "../lib/signoff.js";
import { CliError } from "../lib/errors.js";
import { postAdmin, printAnswer } from "../lib/http.js";
import { readJsonFile } from "../lib/keyfile.js";
import { FieldError, Metadata, type Targets } from "../../shared/index.js";

const usage = `Usage: tuf-edge targets --url URL --file FILE [--token-env ADMIN_TOKEN]

Publishes a new targets version: POST URL/v1/admin/targets with {"targets": ...}. FILE is a
signed \`ceremony targets\` file (its threshold is checked here first), or a signed targets
envelope made some other way (then only the Worker checks it).

Options:
  --url URL        the Worker's base URL
  --file FILE      the ceremony file or targets envelope
  --token-env VAR  environment variable holding the admin token (default ADMIN_TOKEN)
  -h, --help       show this help`;

async function readTargets(file: string): Promise<Metadata<Targets>> {
  const json = await readJsonFile(file);
  if ((json as { format?: unknown } | null)?.format === CEREMONY_FORMAT) {
    const ceremony = parseCeremony(json, file);
    if (ceremony.kind !== "targets") throw new CliError(`${file} is a ${ceremony.kind} ceremony; targets publishes a targets ceremony`);
    assertComplete(ceremony);
    return ceremony.targets!;
  }
  try {
    return Metadata.fromJSON(json, "targets");
  } catch (e) {
    if (e instanceof FieldError) throw new CliError(`${file} is neither a ceremony file nor targets metadata: ${e.message}`);
    throw e;
  }
}

const command: Command = {
  usage,
  async run(args, io) {
    const { values } = parseOptions(args, {
      ...SUBMIT_OPTIONS,
    }, usage);
    const url = repositoryUrl(values.url, io);
    assertSafeForSecrets(url);
    const targets = await readTargets(required(values.file, "--file"));
    const token = secretFromEnv(io.env, values["token-env"], "the Worker's admin token", "--token-env");
    printAnswer(io, await postAdmin(url, "/v1/admin/targets", { targets: targets.toJSON() }, token));
  },
};
export default command;
