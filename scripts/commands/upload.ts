import { FieldError, parseUploadRequest } from "../../shared/index.js";
import type { Command } from "../cli.js";
import { parseOptions, required, secretFromEnv } from "../lib/args.js";
import { repositoryUrl } from "../lib/repository-url.js";
import { CliError, UsageError } from "../lib/errors.js";
import { postJson, printAnswer, request } from "../lib/http.js";
import { pollUntil } from "../lib/poll.js";
import { hashFile, webhookHeaders } from "../lib/upload.js";

const usage = `Usage: tuf-edge upload --url URL --path TARGET --file LOCALFILE
         [--secret-env WEBHOOK_SECRET] [--wait]

Publishes a target: computes the length and sha256 of LOCALFILE and sends them for the target
path TARGET to the upload webhook (POST URL/v1/uploads), signed with HMAC-SHA256 of the webhook
secret. The file itself is not sent: it must be (or will be) served by the file host at that path.

Options:
  --url URL         the Worker's base URL
  --path TARGET     the target path, e.g. packages/ab/cd/…/example-1.0-py3-none-any.whl
  --file LOCALFILE  the local copy of the file
  --secret-env VAR  environment variable holding the webhook secret (default WEBHOOK_SECRET)
  --wait            wait until the upload is published (or rejected)
  -h, --help        show this help`;

const command: Command = {
  usage,
  async run(args, io) {
    const { values } = parseOptions(args, {
      url: { type: "string" },
      path: { type: "string" },
      file: { type: "string" },
      "secret-env": { type: "string", default: "WEBHOOK_SECRET" },
      wait: { type: "boolean" },
    }, usage);
    const url = repositoryUrl(values.url, io);
    const path = required(values.path, "--path");
    const { length, sha256 } = await hashFile(required(values.file, "--file"));
    const secret = secretFromEnv(io.env, values["secret-env"], "the webhook secret", "--secret-env");
    const body = JSON.stringify({ targets: [{ path, length, hashes: { sha256 } }] });
    try {
      parseUploadRequest(JSON.parse(body));
    } catch (e) {
      if (e instanceof FieldError) throw new UsageError(`--path ${JSON.stringify(path)} is not a valid target path: ${e.reason}`);
      throw e;
    }
    io.err(`${path}: ${length} bytes, sha256 ${sha256}`);
    const answer = await postJson(`${url}/v1/uploads`, body, await webhookHeaders(secret, body, Date.now()));
    printAnswer(io, answer);
    const id = (answer.body as { id?: unknown } | null)?.id;
    if (!values.wait) return;
    if (typeof id !== "string") throw new CliError("the answer has no upload id to wait for");
    const final = await pollUntil(`upload ${id}`, async () => {
      const state = await request(`${url}/v1/uploads/${encodeURIComponent(id)}`);
      if (!state.ok) printAnswer(io, state);
      const body = state.body as { state?: unknown };
      return body.state === "queued" ? undefined : body;
    }, { onWait: (ms) => io.progress(`upload ${id} queued … ${Math.round(ms / 1000)}s`) });
    io.progress("");
    io.out(JSON.stringify(final, null, 2));
    if (final.state !== "published") throw new CliError(`upload ${id} was ${String(final.state)}`);
  },
};
export default command;
