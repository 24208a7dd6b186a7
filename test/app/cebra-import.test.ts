/**
 * Models trained and saved by CEBRA 0.6.1 in Python (test/fixtures/cebra-pt, written by make.py there)
 * imported into cebra-mcp: the imported model's embedding of the training data equals CEBRA's
 * transform within float32 tolerance; what cebra-mcp cannot represent is refused.
 */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { test } from "node:test";
import { importCebraCheckpoint, importCebraFile } from "../../src/app/cebra-import.js";
import { parseNpy } from "../../src/data/formats/npy.js";
import { openTorchCheckpointBytes } from "../../src/data/torch-checkpoint.js";
import { transformRecording } from "../../src/engine/train/transform.js";
import { UserError } from "../../src/util/errors.js";
import { CEBRA_PT, READ_LIMITS } from "../data/torch-hostile.js";

const npy = (f: string) => {
  const a = parseNpy(new Uint8Array(readFileSync(resolve(CEBRA_PT, f))), f);
  return { data: Float32Array.from(a.data as Float32Array), shape: a.shape };
};
const load = (name: string) => {
  const bytes = new Uint8Array(readFileSync(resolve(CEBRA_PT, `${name}.pt`)));
  const ck = openTorchCheckpointBytes(bytes, `${name}.pt`, READ_LIMITS);
  try {
    return importCebraCheckpoint(ck, `${name}.pt`, { path: name, sha256: "" });
  } finally {
    ck.close();
  }
};

const CASES: Array<[string, string, "time" | "behavior", string]> = [
  ["offset10-time", "offset10-model", "time", "constant"],
  ["offset5-behavior-auto", "offset5-model", "behavior", "auto"],
  ["mse-v2-2layers", "offset1-model-mse-v2-2layers", "behavior", "constant"],
  ["offset1-discrete", "offset1-model", "behavior", "constant"],
];

for (const [name, arch, mode, tmode] of CASES) {
  test(`${name}: the imported model embeds X as CEBRA's transform does`, async () => {
    const imp = load(name);
    assert.equal(imp.model.config.model_architecture, arch);
    assert.equal(imp.mode, mode);
    assert.equal(imp.model.config.temperature_mode, tmode);
    assert.equal(imp.imported_from.cebra_version, "0.6.1");
    const X = npy(`${name}.X.npy`);
    const Z = npy(`${name}.Z.npy`);
    const [T, N] = X.shape;
    assert.equal(imp.model.n_neurons[0], N);
    const z = await transformRecording(imp.model, X.data, T, N);
    assert.equal(z.length, Z.data.length);
    let max = 0;
    for (let i = 0; i < z.length; i++) max = Math.max(max, Math.abs(z[i] - Z.data[i]));
    console.log(`${name}: max |dz| = ${max.toExponential(2)} over ${Z.shape.join("×")}`);
    assert.ok(max < 1e-5, `max |dz| ${max}`);
  });
}

test("a learnable temperature is imported as θ = CEBRA's log_inverse_temperature (the vector's last element)", () => {
  const imp = load("offset5-behavior-auto");
  const theta = imp.model.params[0][imp.model.params[0].length - 1];
  // make.py starts at temperature 1 (θ = 0); 20 steps move it a little, never to a value far from it.
  assert.ok(theta !== 0 && Math.abs(theta) < 0.5, `θ = ${theta}`);
  assert.equal(imp.model.config.min_temperature, 0.1);
});

test("CEBRA's Adam state and loss log come along: step, moments per tensor (θ's last), one log entry per step", () => {
  for (const name of ["offset5-behavior-auto", "mse-v2-2layers"]) {
    const { model } = load(name);
    assert.equal(model.steps_done, 20);
    assert.equal(model.config.max_iterations, 20);
    assert.equal(model.optimizer[0].step, 20);
    assert.equal(model.log.total.length, 20);
    assert.ok(model.log.total.every(Number.isFinite));
    const { m, v } = model.optimizer[0];
    assert.equal(m.length, model.params[0].length);
    // Every tensor trained, so each slot of the moments was filled (v > 0 wherever a gradient was seen).
    assert.ok(m.some((x) => x !== 0) && v.every((x) => x >= 0) && v.filter((x) => x > 0).length > 0.9 * v.length);
  }
  // The learnable temperature's moments are the vector's last element, as θ is.
  const auto = load("offset5-behavior-auto").model.optimizer[0];
  assert.ok(auto.v[auto.v.length - 1] > 0);
});

test("shared weights (offset1-model-mse-v2-2layers repeats one Linear) are read once and checked equal", () => {
  const imp = load("mse-v2-2layers");
  // N·H + H, H·H + H (shared), H·H/2 + H/2, (H/2)·D + D with N = 12, H = 16, D = 4.
  assert.equal(imp.model.params[0].length, 12 * 16 + 16 + 16 * 16 + 16 + 16 * 8 + 8 + 8 * 4 + 4);
});

test("CEBRA's time_delta with integer labels becomes cebra-mcp's discrete conditional; float labels stay time_delta", () => {
  assert.equal(load("offset1-discrete").model.config.conditional, "discrete");
  assert.equal(load("offset5-behavior-auto").model.config.conditional, "time_delta");
  assert.equal(load("offset10-time").model.config.conditional, "time");
});

test("a multi-session CEBRA model is refused with a message that says so", () => {
  assert.throws(() => load("multi-offset10"), (e: unknown) => e instanceof UserError && /multi-session/.test(e.message));
});

test("a checkpoint outside the allowed roots is refused before it is read", async () => {
  await assert.rejects(
    importCebraFile(resolve(CEBRA_PT, "offset10-time.pt"), () => {
      throw new UserError("outside the allowed roots", "allow it");
    }),
    /outside the allowed roots/,
  );
});

test("a checkpoint that claims a huge neuron count is refused by shape before anything is allocated for it", () => {
  const bytes = new Uint8Array(readFileSync(resolve(CEBRA_PT, "offset10-time.pt")));
  const ck = openTorchCheckpointBytes(bytes, "huge-n.pt", READ_LIMITS);
  try {
    // 2^40 neurons: its first layer alone would be 2^46 floats, past any typed array.
    ((ck.object as Map<string, Map<string, unknown>>).get("state")!).set("n_features_in_", 2 ** 40);
    assert.throws(
      () => importCebraCheckpoint(ck, "huge-n.pt", { path: "huge-n.pt", sha256: "" }),
      (e: unknown) => e instanceof UserError && /has shape \[16, 12, 2\]; offset10-model with 1099511627776 neurons/.test(e.message),
    );
  } finally {
    ck.close();
  }
});
