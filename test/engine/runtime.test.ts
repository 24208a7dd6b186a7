import test from "node:test";
import assert from "node:assert/strict";
import { buildInferenceGraph } from "../../src/engine/cebra/inference.js";
import { initParams } from "../../src/engine/cebra/init.js";
import {
  AUTO_DEVICE_ORDER,
  CUDA_INSTALL_COMMAND,
  createSession,
  defaultThreadCount,
  diagnoseFailure,
  f32,
  sessionOptionsFor,
} from "../../src/engine/runtime/sessions.js";
import { UserError } from "../../src/util/errors.js";

const shape = { architecture: "offset1-model", n_neurons: 6, num_hidden_units: 8, output_dimension: 4 };
const onnx = buildInferenceGraph({ ...shape, params: initParams({ ...shape, temperature: 1, temperature_mode: "constant" }, 3) }).onnx;

test("default thread count: 1 on ≤ 2 cores, else half the cores, at most 4", () => {
  assert.deepEqual([1, 2, 3, 4, 8, 16, 64].map(defaultThreadCount), [1, 1, 1, 2, 4, 4, 4]);
});

test("session options: full optimisation, spinning off only with several threads, bad thread counts rejected", () => {
  const one = sessionOptionsFor("cpu", 1);
  assert.equal(one.graphOptimizationLevel, "all");
  assert.equal(one.intraOpNumThreads, 1);
  assert.equal(one.extra, undefined);
  assert.deepEqual(sessionOptionsFor("cpu", 3).extra, { session: { intra_op: { allow_spinning: "0" } } });
  assert.deepEqual(sessionOptionsFor("cuda", 1).executionProviders, [{ name: "cuda", deviceId: 0 }]);
  assert.throws(() => sessionOptionsFor("cpu", 0), UserError);
  assert.throws(() => sessionOptionsFor("cpu", 1.5), UserError);
});

test("auto picks the first device that starts and notes why each earlier one was skipped", async () => {
  const { session, device_used, notes } = await createSession(onnx, { device: "auto" });
  const skipped = AUTO_DEVICE_ORDER.slice(0, AUTO_DEVICE_ORDER.indexOf(device_used));
  assert.equal(notes.length, skipped.length);
  skipped.forEach((d, i) => assert.ok(notes[i].startsWith(`${d} skipped: `), notes[i]));
  const out = await session.run({ X: f32(new Float32Array(5 * 6).fill(0.5), [5, 6]) });
  assert.deepEqual(out.Z.dims, [5, 4]);
  await session.release();
});

test("cpu always starts", async () => {
  const { device_used, notes, session } = await createSession(onnx, { device: "cpu", threads: 2 });
  assert.equal(device_used, "cpu");
  assert.deepEqual(notes, []);
  await session.release();
});

for (const device of ["cuda", "webgpu"] as const) {
  test(`an explicit ${device} device that cannot start is a UserError with the reason and the fix`, async (t) => {
    try {
      const { session } = await createSession(onnx, { device });
      await session.release();
      t.skip(`${device} is available on this machine`);
    } catch (e) {
      assert.ok(e instanceof UserError, String(e));
      assert.equal(e.code, "device_unavailable");
      assert.match(e.problem, new RegExp(`Device "${device}" could not start`));
      assert.match(e.fix, device === "cuda" ? /ONNXRUNTIME_NODE_INSTALL=cuda12|CUDA 12/ : /Vulkan/);
    }
  });
}

test("failure diagnosis names the missing piece for each known ORT error", () => {
  const providers = diagnoseFailure("cuda", "OrtSessionOptionsAppendExecutionProvider_Cuda: Failed to load shared library");
  assert.match(providers.reason, /CUDA provider libraries are not installed/);
  assert.ok(providers.fix.includes(CUDA_INSTALL_COMMAND));
  const cudnn = diagnoseFailure("cuda", "Failed to load library libonnxruntime_providers_cuda.so with error: libcudnn.so.9: cannot open shared object file: No such file or directory");
  assert.match(cudnn.reason, /libcudnn\.so\.9 is missing/);
  assert.match(cudnn.fix, /cuDNN 9/);
  assert.match(diagnoseFailure("cuda", "CUDA failure 100: no CUDA-capable device is detected ; GPU=0").reason, /no CUDA-capable GPU/);
  const webgpu = diagnoseFailure("webgpu", "Failed to get a WebGPU adapter: No supported adapters");
  assert.match(webgpu.reason, /no WebGPU adapter/);
  assert.match(webgpu.fix, /libvulkan1/);
});
