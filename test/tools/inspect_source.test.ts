/**
 * inspect_source through a real MCP client (Streamable HTTP, in-process server): a standard NWB ophys
 * file, an ecephys file, an Allen file, an .npz and a file with no neural data; then load_recording with
 * the arguments the inspection suggests. Results stay a few KB (the tool_result budget is 12,000).
 */
import test, { after, before } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import type { Client } from "@modelcontextprotocol/client";
import { writeNpz } from "../../src/data/formats/npz.js";
import { toolResultChars } from "../../tools/kit/budget.js";
import { writeAllenNeuropixels } from "../data/nwb-fixtures.js";
import { OPHYS, intervals, nwbRoot, series, writeNoNeural, writeStandardEcephys, writeStandardOphys } from "../data/nwb-standard-fixtures.js";
import { put, writeH5 } from "../data/helpers.js";
import { MAIN_JS, callError, callOk, connectHttp, startTestHttpServer, type HttpTestServer } from "../helpers/mcp.js";
import { tempDir } from "../helpers/tmp.js";

interface Inspection {
  format: string;
  layout?: string;
  nwb_version?: string;
  neural: { type: string; path: string; shape: number[]; rate_hz?: number; n_units: number; bytes: number }[];
  labels: { kind: string; path: string; becomes: string; columns?: string[] }[];
  movies: { path: string; shape: number[] }[];
  unusable: { path: string; type: string; why: string }[];
  arrays: { path: string; shape: number[] }[];
  load_calls: { what: string; arguments: Record<string, unknown> }[];
  notes: string[];
}

const tmp = tempDir();
const data = path.join(tmp.dir, "data");
let server: HttpTestServer;
let client: Client;

before(async () => {
  mkdirSync(data);
  await Promise.all([
    writeStandardOphys(path.join(data, "ophys.nwb"), { extras: true, rawSide: 64 }),
    writeStandardEcephys(path.join(data, "ephys.nwb")),
    writeAllenNeuropixels(path.join(data, "allen-np.nwb")),
    writeNoNeural(path.join(data, "none.nwb")),
    writeCrowded(path.join(data, "crowded.nwb")),
  ]);
  writeFileSync(path.join(data, "arrays.npz"), writeNpz({ spikes: { dtype: "<f4", shape: [50, 3], data: new Array(150).fill(1) }, t: { dtype: "<f8", shape: [50], data: new Array(50).fill(0) } }));
  server = await startTestHttpServer({ workspace: path.join(tmp.dir, "ws"), cwd: data });
  client = await connectHttp(server.url);
});
after(async () => {
  await client.close();
  await server.close();
  tmp.cleanup();
});

/** 30 RoiResponseSeries, 40 behaviour series, 30 movie presentation tables and 30 raw TwoPhotonSeries, with long names. */
async function writeCrowded(file: string): Promise<void> {
  const long = (i: number) => `a_rather_long_descriptive_name_as_labs_write_them_number_${i}`;
  await writeH5(file, (f) => {
    nwbRoot(f);
    for (let i = 0; i < 30; i++) {
      series(f, `/processing/ophys/DfOverF/${long(i)}`, "RoiResponseSeries", new Float32Array(20 * 3), [20, 3], { rate: 10, start: 0 });
      series(f, `/acquisition/raw_${long(i)}`, "TwoPhotonSeries", new Uint16Array(2 * 2 * 2), [2, 2, 2], { rate: 10, start: 0 }, "<H");
      intervals(f, `/intervals/${long(i)}_presentations`, [0, 1], [1, 2]);
      put(f, `/intervals/${long(i)}_presentations/frame`, Int32Array.of(0, 1));
    }
    for (let i = 0; i < 40; i++) series(f, `/processing/behavior/${long(i)}`, "TimeSeries", new Float64Array(20), [20], { rate: 10, start: 0 });
  });
}

async function inspect(source: string) {
  const r = await callOk<Inspection>(client, "inspect_source", { source });
  assert.ok(toolResultChars(r.result) < 8000, `${source}: ${toolResultChars(r.result)} characters`);
  return r;
}

test("a standard ophys NWB: series, labels, movie and the raw TwoPhotonSeries as unusable; each suggested call loads", async () => {
  const { data: r, text } = await inspect("ophys.nwb");
  assert.deepEqual([r.format, r.layout, r.nwb_version], ["nwb", "nwb-standard", "2.2.5"]);
  assert.deepEqual(r.neural.map((n) => n.path), ["/processing/ophys/DfOverF/RoiResponseSeries", "/processing/ophys/Fluorescence/RoiResponseSeries"]);
  assert.deepEqual([r.neural[0].shape, r.neural[0].rate_hz, r.neural[0].n_units], [[OPHYS.T, OPHYS.N], OPHYS.RATE, OPHYS.N]);
  assert.ok(r.labels.some((l) => l.path === "/intervals/movie_presentations" && /frame/.test(l.becomes) && l.columns!.includes("frame")));
  assert.ok(r.labels.some((l) => l.kind === "behaviour" && l.path === "/processing/behavior/Position/SpatialSeries"));
  assert.deepEqual(r.movies.map((m) => m.path), ["/stimulus/templates/movie/data"]);
  assert.ok(r.unusable.some((u) => u.type === "TwoPhotonSeries" && /never read/.test(u.why)));
  assert.match(text, /load_recording \{"source":/);
  assert.equal(r.load_calls.length, 2);
  for (const call of r.load_calls) {
    const { data: loaded } = await callOk<{ n_samples: number; sampling_rate_hz: number; has_movie: boolean; provenance: { format: string } }>(client, "load_recording", call.arguments);
    assert.deepEqual([loaded.n_samples, loaded.sampling_rate_hz, loaded.has_movie, loaded.provenance.format], [OPHYS.T, OPHYS.RATE, true, "nwb-standard"], call.what);
  }
});

test("an ecephys NWB: the Units table with its unit count; ElectricalSeries unusable; the suggested call bins it", async () => {
  const { data: r } = await inspect("ephys.nwb");
  assert.deepEqual(r.neural.map((n) => [n.type, n.n_units]), [["Units", 4]]);
  assert.ok(r.unusable.some((u) => u.type === "ElectricalSeries" && /not treated as units/.test(u.why)));
  assert.ok(r.labels.some((l) => l.path === "/intervals/grating_presentations" && /discrete/.test(l.becomes)));
  const { data: loaded } = await callOk<{ n_neurons: number; modality: string }>(client, "load_recording", r.load_calls[0].arguments);
  assert.deepEqual([loaded.n_neurons, loaded.modality], [4, "spikes"]);
});

test("an Allen file names its layout; an .npz lists its arrays and suggests keys; no neural data is said up front", async () => {
  const allen = (await inspect("allen-np.nwb")).data;
  assert.equal(allen.layout, "nwb-allen-neuropixels");
  assert.equal(allen.load_calls.length, 1);
  const npz = (await inspect("arrays.npz")).data;
  assert.deepEqual(npz.arrays.map((a) => [a.path, a.shape]), [["spikes", [50, 3]], ["t", [50]]]);
  assert.deepEqual(npz.load_calls[0].arguments.keys, { neural: "spikes" });
  const none = (await inspect("none.nwb")).data;
  assert.equal(none.neural.length, 0);
  assert.ok(none.notes.some((n) => /No neural data/.test(n)));
  assert.match(await callError(client, "load_recording", { source: "none.nwb" }), /no neural data/);
  assert.match(await callError(client, "inspect_source", { source: "missing.nwb" }), /not found/i);
});

test("a crowded file: the answer stays a few KB, saying how much was left out", async () => {
  const { data: r, text } = await inspect("crowded.nwb");
  assert.ok(r.notes.some((n) => /more .* (not listed|left out)/.test(n)), r.notes.join("; "));
  assert.ok(r.load_calls.length >= 1);
  assert.match(text, /more in the structured result/);
});

// Last: it runs a child process while the HTTP client idles (an idle keep-alive socket may be closed meanwhile).
test("cebra-mcp inspect PATH prints the same answer (text, or JSON with --json)", () => {
  const run = (...args: string[]) => execFileSync(process.execPath, [MAIN_JS, "inspect", ...args, "--workspace", path.join(tmp.dir, "ws")], { cwd: data, encoding: "utf8" });
  const text = run("ephys.nwb");
  assert.match(text, /nwb 2\.5\.0 \(nwb-standard\)/);
  assert.match(text, /neural: Units \/units 4 units, 8 spikes/);
  assert.match(text, /load_recording \{"source":"[^"]*ephys\.nwb"\}/);
  const json = JSON.parse(run("ophys.nwb", "--json")) as Inspection;
  assert.equal(json.neural.length, 2);
});
