import { assertSafeForSecrets } from "../lib/http.js";
import type { Command } from "../cli.js";
import { SUBMIT_OPTIONS, parseOptions, required, secretFromEnv } from "../lib/args.js";
import { repositoryUrl } from "../lib/repository-url.js";
import { assertComplete } from "../lib/signoff.js";
import { readCeremonyFile } from "../lib/ceremony-file.js";
import { CliError } from "../lib/errors.js";
import { postAdmin, printAnswer, request } from "../lib/http.js";
import { pollUntil } from "../lib/poll.js";

const usage = `Usage: tuf-edge bootstrap [--url URL] --file CEREMONY [--token-env ADMIN_TOKEN] [--wait]

Publishes root v1 and targets v1 from a signed \`ceremony init\` file: POST
URL/v1/admin/bootstrap with {"root": ..., "targets": ...}. Thresholds are checked here first;
the Worker verifies everything again, then signs and publishes the bins, snapshot and timestamp
in the background (202). A repository that exists already answers 409.

Options:
  --url URL          the Worker's base URL (default: $TUF_EDGE_URL)
  --file CEREMONY    the signed ceremony file
  --token-env VAR    environment variable holding the admin token (default ADMIN_TOKEN)
  --wait             wait until the repository is published (GET URL/v1/status); a job that
                     fails ends the wait with its reason
  -h, --help         show this help`;

const command: Command = {
  usage,
  async run(args, io) {
    const { values } = parseOptions(args, {
      ...SUBMIT_OPTIONS,
      wait: { type: "boolean" },
    }, usage);
    const url = repositoryUrl(values.url, io);
    assertSafeForSecrets(url);
    const file = required(values.file, "--file");
    const ceremony = await readCeremonyFile(file);
    if (ceremony.kind !== "init") throw new CliError(`${file} is a ${ceremony.kind} ceremony; bootstrap publishes an init ceremony`);
    assertComplete(ceremony);
    const token = secretFromEnv(io.env, values["token-env"], "the Worker's admin token", "--token-env");
    const body = { root: ceremony.root!.toJSON(), targets: ceremony.targets!.toJSON() };
    const answer = await postAdmin(url, "/v1/admin/bootstrap", body, token);
    printAnswer(io, answer);
    if (!values.wait) return;
    const job = (answer.body as { job?: string }).job;
    // The job publishes, or ends with the reason it could not (the Worker's online key not named, say).
    await pollUntil("the bootstrap to publish", async () => {
      const status = (await request(`${url}/v1/status`)).body as { published?: boolean; job?: { id?: string; error?: string } };
      if (status.job?.id === job && status.job?.error) throw new CliError(`the bootstrap job failed: ${status.job.error}`);
      return status.published === true ? true : undefined;
    }, {
      onWait: (ms) => io.progress(`waiting for the bootstrap job ${job} … ${Math.round(ms / 1000)}s`),
    });
    io.progress("");
    io.out(`published: ${url}/metadata/timestamp.json is served`);
  },
};
export default command;
