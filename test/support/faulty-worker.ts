// Test-only entry: the real Worker with its METADATA bucket wrapped so tests can make R2 writes fail.
import worker from "../../worker/index.js";
export default worker;
