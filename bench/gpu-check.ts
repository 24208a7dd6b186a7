/**
 * Standalone entry of the GPU check (`node dist/bench/gpu-check.js [options]`), for carried bundles
 * that contain only the engine (see bench/make-gpu-bundle.sh); `npm run gpu-check` runs the same check.
 */
import { runGpuCheck } from "../src/cli/gpu-check.js";

process.exitCode = await runGpuCheck(process.argv.slice(2));
