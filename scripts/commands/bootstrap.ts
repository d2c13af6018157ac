import { assertSafeForSecrets } from "../lib/http.js";
import type { Command } from "../cli.js";
import { SUBMIT_OPTIONS, parseOptions, required, secretFromEnv } from "../lib/args.js";
import { repositoryUrl } from "../lib/repository-url.js";
import { assertComplete } from "../lib/signoff.js";
import { readCeremonyFile } from "../lib/ceremony-file.js";
import { CliError } from "../lib/errors.js";
import { fetchBytes, postAdmin, printAnswer } from "../lib/http.js";
import { pollUntil } from "../lib/poll.js";

const usage = `Usage: tuf-edge bootstrap --url URL --file CEREMONY [--token-env ADMIN_TOKEN] [--wait]

Publishes root v1 and targets v1 from a signed \`ceremony init\` file: POST
URL/v1/admin/bootstrap with {"root": ..., "targets": ...}. Thresholds are checked here first;
the Worker verifies everything again, then signs and publishes the bins, snapshot and timestamp
in the background (202). A repository that exists already answers 409.

Options:
  --url URL          the Worker's base URL (https://tuf.example.org, http://127.0.0.1:8787)
  --file CEREMONY    the signed ceremony file
  --token-env VAR    environment variable holding the admin token (default ADMIN_TOKEN)
  --wait             wait until URL/metadata/timestamp.json is served
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
    printAnswer(io, await postAdmin(url, "/v1/admin/bootstrap", body, token));
    if (!values.wait) return;
    await pollUntil("the first timestamp", async () => ((await fetchBytes(`${url}/metadata/timestamp.json`)) ? true : undefined), {
      onWait: (ms) => io.progress(`waiting for ${url}/metadata/timestamp.json … ${Math.round(ms / 1000)}s`),
    });
    io.progress("");
    io.out(`published: ${url}/metadata/timestamp.json is served`);
  },
};
export default command;
