import { FieldError, parseUploadRequest } from "../../shared/index.js";
import type { Command } from "../cli.js";
import { parseOptions, required, secretFromEnv } from "../lib/args.js";
import { repositoryUrl } from "../lib/repository-url.js";
import { UsageError } from "../lib/errors.js";
import { hashFile, reportUpload, sendWebhook } from "../lib/upload.js";

const usage = `Usage: tuf-edge upload [--url URL] --path TARGET --file LOCALFILE
         [--secret-env WEBHOOK_SECRET] [--wait] [--json]

Publishes a target: computes the length and sha256 of LOCALFILE and sends them for the target
path TARGET to the upload webhook (POST URL/v1/uploads), signed with HMAC-SHA256 of the webhook
secret. The file itself is not sent: it must be (or will be) served by the file host at that path.
Prints the upload id; GET URL/v1/uploads/{id} says whether it was published or rejected, and why.

Options:
  --url URL         the Worker's base URL (default: $TUF_EDGE_URL)
  --path TARGET     the target path, e.g. packages/ab/cd/…/example-1.0-py3-none-any.whl
  --file LOCALFILE  the local copy of the file
  --secret-env VAR  environment variable holding the webhook secret (default WEBHOOK_SECRET)
  --wait            wait until the upload is published (or rejected)
  --json            print the answer as one line of JSON
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
      json: { type: "boolean" },
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
    await reportUpload(io, url, await sendWebhook(url, secret, body), values.wait === true, values.json === true);
  },
};
export default command;
