import { FieldError, parseUploadRequest } from "../../shared/index.js";
import type { Command } from "../cli.js";
import { parseOptions, required, secretFromEnv } from "../lib/args.js";
import { UsageError } from "../lib/errors.js";
import { repositoryUrl } from "../lib/repository-url.js";
import { reportUpload, sendWebhook } from "../lib/upload.js";

const usage = `Usage: tuf-edge remove [--url URL] --path TARGET... [--secret-env WEBHOOK_SECRET] [--wait] [--json]

Revokes targets: sends {"remove": [TARGET, …]} to the upload webhook (POST URL/v1/uploads),
signed with HMAC-SHA256 of the webhook secret. Once published, clients no longer find them.
A removal lasts: a path published without a serial is never published again, whatever is
re-delivered or replayed (publish fixed bytes under a new file name, as on PyPI). The file host's
copy is not touched: delete it there too (e.g. \`wrangler r2 object delete BUCKET/TARGET --remote\`).

Options:
  --url URL         the Worker's base URL (default: $TUF_EDGE_URL)
  --path TARGET     a target path to remove (repeatable)
  --secret-env VAR  environment variable holding the webhook secret (default WEBHOOK_SECRET)
  --wait            wait until the removal is published
  --json            print the answer as one line of JSON
  -h, --help        show this help`;

const command: Command = {
  usage,
  async run(args, io) {
    const { values } = parseOptions(args, {
      url: { type: "string" },
      path: { type: "string", multiple: true },
      "secret-env": { type: "string", default: "WEBHOOK_SECRET" },
      wait: { type: "boolean" },
      json: { type: "boolean" },
    }, usage);
    const url = repositoryUrl(values.url, io);
    const paths = required(values.path, "--path");
    const secret = secretFromEnv(io.env, values["secret-env"], "the webhook secret", "--secret-env");
    const body = JSON.stringify({ remove: paths });
    try {
      parseUploadRequest(JSON.parse(body));
    } catch (e) {
      if (e instanceof FieldError) throw new UsageError(`--path: ${e.message}`);
      throw e;
    }
    await reportUpload(io, url, await sendWebhook(url, secret, body), values.wait === true, values.json === true);
  },
};
export default command;
