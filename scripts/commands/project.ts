import { type Steps, stepList, stepsCommand } from "../lib/steps.js";

const SUBCOMMANDS: Steps = {
  keygen: { summary: "create your key (the same as `tuf-edge keygen`)", load: () => import("./keygen.js") },
  init: { summary: "a new role file for your project: its maintainers' keys and how many must sign", load: () => import("./project/init.js") },
  add: { summary: "list local files in the role (length and sha256)", load: () => import("./project/files.js").then((m) => ({ default: m.add })) },
  remove: { summary: "take files out of the role", load: () => import("./project/files.js").then((m) => ({ default: m.remove })) },
  delegate: { summary: "let another key sign some of your files (a friend who builds the Windows wheels)", load: () => import("./project/delegate.js") },
  sign: { summary: "add your signature; maintainers sign in turn", load: () => import("./project/sign.js") },
  status: { summary: "who still has to sign, what is listed, and when it expires", load: () => import("./project/status.js") },
  renew: { summary: "a new version with a later expiry, to sign again before it expires", load: () => import("./project/renew.js") },
  rekey: { summary: "new maintainers' keys (someone left, a key was lost): the index then takes the old ones out", load: () => import("./project/rekey.js") },
  push: { summary: "send the signed role to the index (POST /v1/projects/{project}/role)", load: () => import("./project/push.js") },
  claim: { summary: "for the index's operator: hand the project to the keys in a signed role file (POST /v1/admin/claims)", load: () => import("./project/claim.js") },
};

const usage = `Usage: tuf-edge project <step> [options]

Sign your own project's files (PEP 480). The index delegates your project's files to your keys;
from then on only a threshold of your maintainers can change what installers accept, not the
index's online key. One maintainer creates a role file, adds the release files, each maintainer
signs it in turn, and one pushes it.

Steps:
${stepList(SUBCOMMANDS)}

Example (two maintainers, both must sign):
  tuf-edge project keygen --out alice.key --name alice
  tuf-edge project init --project demo --key alice.key.pub.json --key bob.key.pub.json --threshold 2 --out demo.role.json
  tuf-edge project add demo.role.json --file dist/demo-1.0.tar.gz --file dist/demo-1.0-py3-none-any.whl
  tuf-edge project sign demo.role.json --key alice.key      # then bob, on his machine
  tuf-edge project claim demo.role.json      # the index's operator, once: hands demo to these keys
  tuf-edge project push demo.role.json --key bob.key   # every later version

Run \`tuf-edge project <step> --help\` for a step's options.`;

export default stepsCommand("project", usage, SUBCOMMANDS);
