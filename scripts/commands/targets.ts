import { assertSafeForSecrets } from "../lib/http.js";
import type { Command } from "../cli.js";
import { SUBMIT_OPTIONS, parseOptions, required, secretFromEnv } from "../lib/args.js";
import { repositoryUrl } from "../lib/repository-url.js";
import { CEREMONY_FORMAT, parseCeremony } from "../lib/ceremony.js";
import { assertComplete } from "../lib/signoff.js";
import { CliError } from "../lib/errors.js";
import { postAdmin } from "../lib/http.js";
import { reportJob } from "../lib/admin-job.js";
import { readJsonFile } from "../lib/keyfile.js";
import { FieldError, Metadata, type Targets } from "../../shared/index.js";

const usage = `Usage: tuf-edge targets [--url URL] --file FILE [--token-env ADMIN_TOKEN] [--wait] [--json]

Publishes a new targets version: POST URL/v1/admin/targets with {"targets": ...}. FILE is a
signed \`ceremony targets\` file (its threshold is checked here first), or a signed targets
envelope made some other way (then only the Worker checks it).

Options:
  --url URL        the Worker's base URL (default: $TUF_EDGE_URL)
  --file FILE      the ceremony file or targets envelope
  --token-env VAR  environment variable holding the admin token (default ADMIN_TOKEN)
  --wait           wait until the job has published (progress on stderr); a job that fails ends
                   the wait with its reason (exit 1)
  --json           print the Worker's answer as JSON
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
      wait: { type: "boolean" },
      json: { type: "boolean" },
    }, usage);
    const url = repositoryUrl(values.url, io);
    assertSafeForSecrets(url);
    const targets = await readTargets(required(values.file, "--file"));
    const token = secretFromEnv(io.env, values["token-env"], "the Worker's admin token", "--token-env");
    const answer = await postAdmin(url, "/v1/admin/targets", { targets: targets.toJSON() }, token);
    await reportJob(io, url, answer, `targets v${targets.signed.version}`, { wait: values.wait, json: values.json });
  },
};
export default command;
