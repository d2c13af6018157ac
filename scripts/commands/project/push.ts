import { utf8 } from "../../../shared/index.js";
import { pushAuthorization } from "../../../shared/projects/index.js";
import type { Command } from "../../cli.js";
import { parseOptions } from "../../lib/args.js";
import { CliError, UsageError } from "../../lib/errors.js";
import { assertSafeForSecrets, postJson, printAnswer } from "../../lib/http.js";
import { decryptKeyFile, loadKeyFile } from "../../lib/keyfile.js";
import { readPassphrase } from "../../lib/passphrase.js";
import { projectStatus, readProjectFile, replaceProjectFile } from "../../lib/project-file.js";
import { repositoryUrl } from "../../lib/repository-url.js";

const usage = `Usage: tuf-edge project push FILE --key KEYFILE [--url URL] [--passphrase-env VAR]

Sends the signed role in FILE to the index: POST URL/v1/projects/{project}/role. The index checks
it before it publishes it (enough maintainers' signatures, a higher version than the published
one, an expiry within a year and a month, every file within your project's patterns) and answers
with the reason when it refuses. The request itself is signed with your key (any one of the
role's keys): no index token is needed.

Options:
  --key KEYFILE         your encrypted key file
  --url URL             the index (default: $TUF_EDGE_URL)
  --passphrase-env VAR  read the key's passphrase from environment variable VAR (default: ask)
  -h, --help            show this help`;

const command: Command = {
  usage,
  async run(args, io) {
    const { values, positionals } = parseOptions(args, { key: { type: "string" }, url: { type: "string" }, "passphrase-env": { type: "string" } }, usage, true);
    if (positionals.length !== 1) throw new UsageError("give exactly one role FILE");
    if (values.key === undefined) throw new UsageError("--key is required");
    const url = repositoryUrl(values.url, io);
    assertSafeForSecrets(url);
    const file = positionals[0]!;
    const f = await readProjectFile(file);
    const st = projectStatus(f, Date.now());
    if (!st.complete) throw new CliError(`${f.role} v${st.version} has ${st.signedBy.length} of the ${st.threshold} signatures it needs (missing: ${st.missing.join(", ")}); collect them with \`tuf-edge project sign\``);
    if (st.expired) throw new CliError(`${f.role} v${st.version} expired at ${st.expires}; renew it first (tuf-edge project renew)`);
    if (st.outside.length) throw new CliError(`${f.role} lists files it does not cover: ${st.outside.join(", ")}`);
    if (st.version <= f.pushedVersion) throw new CliError(`${f.role} v${st.version} was pushed already; change, renew or sign a new version first`);
    const keyFile = await loadKeyFile(values.key);
    if (!Object.hasOwn(f.keys, keyFile.keyid)) throw new CliError(`key ${keyFile.keyid} (${values.key}) is not one of ${f.role}'s keys`);
    const signer = await decryptKeyFile(keyFile, await readPassphrase(io, values["passphrase-env"], `Passphrase for key ${keyFile.keyid}`));
    const body = JSON.stringify({ role: f.role, metadata: f.metadata.toJSON() });
    const authorization = await pushAuthorization(signer, f.project, utf8(body), Date.now());
    const answer = await postJson(`${url}/v1/projects/${encodeURIComponent(f.project)}/role`, body, { authorization });
    printAnswer(io, answer);
    await replaceProjectFile(file, { ...f, pushedVersion: st.version });
    io.err(`pushed ${f.role} v${st.version}`);
  },
};
export default command;
