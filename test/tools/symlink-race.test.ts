/**
 * The symlink swap race, through a real MCP client over stdio: inside the allowed root a symlink
 * flips, many times a millisecond, between a recording inside the root and a recognisable recording
 * outside it (7 neurons, every value 777). A separate process does the flipping by atomic renames of
 * prepared symlinks over the link, so the link always exists. While it runs, the client loads the
 * link as often as fits in the time bound (three loads in flight at a time). No load may return the outside file's data: each outcome
 * is the inside recording or a clear refusal (outside the roots, or changed while being opened).
 *
 * Before the file was opened once and its handle verified (src/data/source-file.ts), this test saw
 * outside reads (the path was checked, then reopened by the loaders later): 36 of 96 loads in 40 s
 * on a shared 2-core machine.
 * RACE_LOADS / RACE_SECONDS override the bounds (defaults 300 loads, 40 s).
 */
import test from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { createHash } from "node:crypto";
import { mkdirSync, readFileSync, symlinkSync, writeFileSync } from "node:fs";
import path from "node:path";
import type { CallToolResult } from "@modelcontextprotocol/client";
import { writeNpz } from "../../src/data/formats/npz.js";
import { connectStdio } from "../helpers/mcp.js";
import { tempDir } from "../helpers/tmp.js";

const MAX_LOADS = Number(process.env.RACE_LOADS ?? 300);
const MAX_SECONDS = Number(process.env.RACE_SECONDS ?? 40);
/** Loads in flight at once (the server runs each in its own worker). */
const PARALLEL = 3;

function writeRecording(file: string, n: number, value: (i: number) => number): string {
  const T = 30;
  const bytes = writeNpz({
    neural: { dtype: "<f4", shape: [T, n], data: Float32Array.from({ length: T * n }, (_, i) => value(i)) },
    frame: { dtype: "<i4", shape: [T], data: Int32Array.from({ length: T }, (_, t) => t % 10) },
  });
  writeFileSync(file, bytes);
  return createHash("sha256").update(readFileSync(file)).digest("hex");
}

/** The flipper: renames fresh symlinks to `inside` and `outside` over `link` in turn until `seconds` pass. */
const SWAPPER = `
const fs = require("node:fs");
const [link, inside, outside, seconds] = process.argv.slice(1);
const tmp = link + ".next";
const end = Date.now() + Number(seconds) * 1000;
const pause = new Int32Array(new SharedArrayBuffer(4));
let flips = 0;
while (Date.now() < end) {
  try { fs.symlinkSync(flips % 2 ? inside : outside, tmp); fs.renameSync(tmp, link); flips++; } catch { try { fs.unlinkSync(tmp); } catch {} }
  Atomics.wait(pause, 0, 0, 0.05); // a short pause between flips leaves the CPU to the server
}
`;

test("a symlink flipped between a file inside the root and one outside never loads the outside file", { timeout: (MAX_SECONDS + 60) * 1000 }, async () => {
  const tmp = tempDir();
  const outsideDir = tempDir("cebra-mcp-outside-");
  const root = path.join(tmp.dir, "root");
  mkdirSync(root);
  const inside = path.join(root, "inside.npz");
  const outside = path.join(outsideDir.dir, "secret.npz");
  const insideSha = writeRecording(inside, 5, (i) => (i % 7) - 3);
  const outsideSha = writeRecording(outside, 7, () => 777);
  const link = path.join(root, "flip.npz");
  symlinkSync(inside, link);

  const conn = await connectStdio({ workspace: path.join(tmp.dir, "ws"), cwd: root });
  const swapper = spawn(process.execPath, ["-e", SWAPPER, link, inside, outside, String(MAX_SECONDS + 5)], { stdio: "ignore" });
  const counts = { inside: 0, outside: 0, refused_outside_roots: 0, refused_changed: 0, other: [] as string[] };
  try {
    const end = Date.now() + MAX_SECONDS * 1000;
    let started = 0;
    const worker = async () => {
      while (started < MAX_LOADS && Date.now() < end) {
        started++;
        const result = (await conn.client.callTool({ name: "load_recording", arguments: { source: "flip.npz", sampling_rate_hz: 10 } }, { timeout: 60_000 })) as CallToolResult;
        const text = result.content.map((c) => (c.type === "text" ? c.text : "")).join("\n");
        const data = result.structuredContent as { n_neurons?: number; provenance?: { sha256?: string } } | undefined;
        if (!result.isError && data?.provenance?.sha256 === insideSha && data.n_neurons === 5) counts.inside++;
        else if (!result.isError && (data?.provenance?.sha256 === outsideSha || data?.n_neurons === 7)) counts.outside++;
        else if (result.isError && /outside the allowed roots/.test(text)) counts.refused_outside_roots++;
        else if (result.isError && /changed while it was being opened/.test(text)) counts.refused_changed++;
        else counts.other.push(text.slice(0, 300));
      }
    };
    await Promise.all(Array.from({ length: PARALLEL }, worker));
  } finally {
    swapper.kill();
    await conn.close();
    tmp.cleanup();
    outsideDir.cleanup();
  }
  const total = counts.inside + counts.outside + counts.refused_outside_roots + counts.refused_changed + counts.other.length;
  console.log(`symlink race: ${total} loads: ${JSON.stringify({ ...counts, other: counts.other.length })}`);
  assert.equal(counts.outside, 0, `${counts.outside} of ${total} loads returned the file outside the roots`);
  assert.deepEqual(counts.other.slice(0, 3), [], "every outcome is the inside recording or a clear refusal");
  assert.ok(counts.inside > 0 && counts.refused_outside_roots > 0, `the link flipped during the loads (${JSON.stringify(counts)})`);
});
