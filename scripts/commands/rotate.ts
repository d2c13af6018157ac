import { assertSafeForSecrets } from "../lib/http.js";
import type { Command } from "../cli.js";
import { SUBMIT_OPTIONS, parseOptions, required, secretFromEnv } from "../lib/args.js";
import { repositoryUrl } from "../lib/repository-url.js";
import { assertComplete } from "../lib/signoff.js";
import { readCeremonyFile } from "../lib/ceremony-file.js";
import { CliError } from "../lib/errors.js";
import { postAdmin } from "../lib/http.js";
import { reportJob } from "../lib/admin-job.js";

const usage = `Usage: tuf-edge rotate [--url URL] --file CEREMONY [--token-env ADMIN_TOKEN] [--wait] [--json]

Publishes root N+1 from a signed \`ceremony rotate\` file: POST URL/v1/admin/root with
{"root": ...} and, when the ceremony made one (online or targets keys changed), {"targets": ...}.
Both thresholds (root N's keys and root N+1's own) are checked here first; the Worker verifies
again before it stores anything.

Options:
  --url URL        the Worker's base URL (default: $TUF_EDGE_URL)
  --file CEREMONY  the signed ceremony file
  --token-env VAR  environment variable holding the admin token (default ADMIN_TOKEN)
  --wait           wait until the job has published (progress on stderr); a job that fails ends
                   the wait with its reason (exit 1)
  --json           print the Worker's answer as JSON
  -h, --help       show this help`;

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
    const file = required(values.file, "--file");
    const ceremony = await readCeremonyFile(file);
    if (ceremony.kind !== "rotate") throw new CliError(`${file} is a ${ceremony.kind} ceremony; rotate publishes a rotate ceremony`);
    assertComplete(ceremony);
    const token = secretFromEnv(io.env, values["token-env"], "the Worker's admin token", "--token-env");
    const roles = [...(ceremony.roles ?? [])];
    const body = {
      root: ceremony.root!.toJSON(),
      ...(ceremony.targets && { targets: ceremony.targets.toJSON() }),
      ...(roles.length ? { roles: Object.fromEntries(roles.map(([name, m]) => [name, m.toJSON()])) } : {}),
    };
    const what = `root v${ceremony.root!.signed.version}${ceremony.targets ? ` and targets v${ceremony.targets.signed.version}` : ""}${roles.map(([name, m]) => ` and ${name} v${m.signed.version}`).join("")}`;
    await reportJob(io, url, await postAdmin(url, "/v1/admin/root", body, token), what, { wait: values.wait, json: values.json });
  },
};
export default command;
