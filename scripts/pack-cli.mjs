#!/usr/bin/env node
// npm run pack:cli: bundles the carried CLI (scripts/cli-carry.ts) into cli/tuf-edge.mjs, one file
// with no runtime dependencies, and packs cli/ into dist/tuf-edge-cli-<version>.tgz.
import { execFileSync } from "node:child_process";
import { chmodSync, mkdirSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";

const root = fileURLToPath(new URL("../", import.meta.url));
const { version } = JSON.parse(readFileSync(`${root}cli/package.json`, "utf8"));
const out = `${root}cli/tuf-edge.mjs`;
const result = await build({
  entryPoints: [`${root}scripts/cli-carry.ts`],
  outfile: out,
  bundle: true,
  platform: "node",
  format: "esm",
  target: "node20",
  define: { __TUF_EDGE_VERSION__: JSON.stringify(version) },
  banner: { js: "#!/usr/bin/env node" },
  legalComments: "inline",
  metafile: true,
  logLevel: "warning",
});
chmodSync(out, 0o755);
// Nothing outside the repository's own code and its three small crypto/JSON dependencies.
const inputs = Object.keys(result.metafile.inputs).filter((f) => f.includes("node_modules"));
const packages = [...new Set(inputs.map((f) => f.replace(/^.*node_modules\/((@[^/]+\/)?[^/]+).*$/, "$1")))].sort();
const allowed = new Set(["@noble/ed25519", "@noble/hashes", "canonicalize"]);
const extra = packages.filter((p) => !allowed.has(p));
if (extra.length) throw new Error(`the packed CLI would carry ${extra.join(", ")}; keep it to ${[...allowed].join(", ")}`);
mkdirSync(`${root}dist`, { recursive: true });
const packed = execFileSync("npm", ["pack", "--pack-destination", `${root}dist`, "--silent"], { cwd: `${root}cli`, encoding: "utf8" }).trim();
console.log(`${root}dist/${packed} (bundles ${packages.join(", ")})`);
