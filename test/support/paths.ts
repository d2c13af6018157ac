import { fileURLToPath } from "node:url";

export const ROOT = fileURLToPath(new URL("../../", import.meta.url));
export const BUNDLE_DIR = `${ROOT}.test-dist`;
/** Entry → bundle `${BUNDLE_DIR}/<basename>.js`. */
export const ENTRIES = { index: `${ROOT}worker/index.ts`, faulty: `${ROOT}test/support/faulty-worker.ts` };
