/**
 * The format registry (src/data/formats/index.ts): one entry per LOAD_FORMATS name, in the same
 * order, and detection by signature before extension.
 */
import test from "node:test";
import assert from "node:assert/strict";
import { FORMATS, detectFormat, formatNamed } from "../../src/data/formats/index.js";
import { PROBE_BYTES } from "../../src/data/formats/format.js";
import { writeNpy } from "../../src/data/formats/npy.js";
import { writeNpz } from "../../src/data/formats/npz.js";
import { LOAD_FORMATS } from "../../src/data/options.js";

function head(bytes: Uint8Array, at = 0): Uint8Array {
  const out = new Uint8Array(PROBE_BYTES);
  out.set(bytes.subarray(0, PROBE_BYTES - at), at);
  return out;
}

const NPY = writeNpy({ dtype: "<f4", shape: [2], data: [1, 2] });
const NPZ = writeNpz({ a: { dtype: "<f4", shape: [2], data: [1, 2] } });
const HDF5 = Uint8Array.from([0x89, 0x48, 0x44, 0x46, 0x0d, 0x0a, 0x1a, 0x0a]);

test("the registry has one format per LOAD_FORMATS name, in that order", () => {
  assert.deepEqual(FORMATS.map((f) => f.name), [...LOAD_FORMATS]);
  for (const name of LOAD_FORMATS) assert.equal(formatNamed(name)?.name, name);
});

test("signatures decide before extensions", () => {
  assert.equal(detectFormat({ head: head(NPY), ext: ".npz" })?.name, "npy");
  assert.equal(detectFormat({ head: head(NPZ), ext: ".npy" })?.name, "npz");
  assert.equal(detectFormat({ head: head(HDF5), ext: ".npy" })?.name, "hdf5");
  assert.equal(detectFormat({ head: head(HDF5, 512), ext: "" })?.name, "hdf5");
});

test("without a signature the extension decides; otherwise nothing is detected", () => {
  const blank = new Uint8Array(PROBE_BYTES);
  assert.equal(detectFormat({ head: blank, ext: ".npy" })?.name, "npy");
  assert.equal(detectFormat({ head: blank, ext: ".npz" })?.name, "npz");
  for (const ext of [".h5", ".hdf5", ".hdf", ".nwb", ".mat"]) assert.equal(detectFormat({ head: blank, ext })?.name, "hdf5", ext);
  assert.equal(detectFormat({ head: blank, ext: ".bin" }), undefined);
  assert.equal(detectFormat({ head: blank, ext: "" }), undefined);
});
