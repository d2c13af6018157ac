import type { Command } from "../cli.js";
import { parseOptions } from "../lib/args.js";
import { repositoryUrl } from "../lib/repository-url.js";
import { request } from "../lib/http.js";
import { printAnswer } from "../lib/http.js";
import { prettyLines } from "../lib/pretty.js";

const usage = `Usage: tuf-edge status [--url URL] [--json]

Shows GET URL/v1/status: each role's version and expiry (with the time left), the last publish,
the oldest upload not yet published, and the online key id.

Options:
  --url URL   the Worker's base URL (default: $TUF_EDGE_URL)
  --json      print the JSON as the Worker sent it
  -h, --help  show this help`;

const command: Command = {
  usage,
  async run(args, io) {
    const { values } = parseOptions(args, { url: { type: "string" }, json: { type: "boolean" } }, usage);
    const answer = await request(`${repositoryUrl(values.url, io)}/v1/status`);
    if (values.json || !answer.ok || typeof answer.body !== "object") {
      printAnswer(io, answer);
      return;
    }
    for (const line of prettyLines(answer.body, Date.now())) io.out(line);
  },
};
export default command;
