/**
 * The symlink swap race, through a real MCP client over stdio: inside the allowed root a symlink
 * flips, thousands of times a second, between a recording inside the root and a recognisable recording
 * outside it (7 neurons, every value 777); a second link flips the same way between two movies (the
 * `movie` option, every other load). A separate process does the flipping by atomic renames of
 * prepared symlinks over the link, so the link always exists. While it runs, the client loads the
 * link as often as fits in the time bound (three loads in flight at a time). No load may return the outside file's data: each outcome
 * is the inside recording or a clear refusal (outside the roots, or changed while being opened).
 *
 * Before the file was opened once and its handle verified (src/data/source-file.ts), this test saw
 * outside reads (the path was checked, then reopened by the loaders later): in 40 s on a shared,
 * busy 2-core machine, 14 of 34 recording loads and 5 of 17 movie loads returned the outside file.
 * RACE_LOADS / RACE_SECONDS override the bounds (defaults 300 loads, 40 s).
 */
import test from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { createHash } from "node:crypto";
import { mkdirSync, readFileSync, symlinkSync, writeFileSync } from "node:fs";
import path from "node:path";
import type { CallToolResult } from "@modelcontextprotocol/client";
import { writeNpy } from "../../src/data/formats/npy.js";
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

/** A [F, S, S] uint8 movie of constant `value`. */
function writeMovie(file: string, frames: number, side: number, value: number): void {
  writeFileSync(file, writeNpy({ dtype: "|u1", shape: [frames, side, side], data: new Uint8Array(frames * side * side).fill(value) }));
}

/** The flipper: renames fresh symlinks to `inside` and `outside` over `link` in turn until `seconds` pass. */
const SWAPPER = `
const fs = require("node:fs");
const [seconds, ...pairs] = process.argv.slice(1);
const end = Date.now() + Number(seconds) * 1000;
const pause = new Int32Array(new SharedArrayBuffer(4));
let flips = 0;
while (Date.now() < end) {
  for (let i = 0; i < pairs.length; i += 3) {
    const [link, inside, outside] = pairs.slice(i, i + 3);
    try { fs.symlinkSync(flips % 2 ? inside : outside, link + ".next"); fs.renameSync(link + ".next", link); } catch { try { fs.unlinkSync(link + ".next"); } catch {} }
  }
  flips++;
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
  const insideMovie = path.join(root, "movie.npy");
  const outsideMovie = path.join(outsideDir.dir, "movie.npy");
  writeMovie(insideMovie, 10, 4, 1);
  writeMovie(outsideMovie, 12, 3, 200);
  const movieLink = path.join(root, "flip-movie.npy");
  symlinkSync(insideMovie, movieLink);

  const conn = await connectStdio({ workspace: path.join(tmp.dir, "ws"), cwd: root });
  const swapper = spawn(process.execPath, ["-e", SWAPPER, String(MAX_SECONDS + 5), link, inside, outside, movieLink, insideMovie, outsideMovie], { stdio: "ignore" });
  const counts = { inside: 0, outside: 0, refused_outside_roots: 0, refused_changed: 0, movie_inside: 0, movie_outside: 0, other: [] as string[] };
  try {
    const end = Date.now() + MAX_SECONDS * 1000;
    let started = 0;
    const worker = async () => {
      while (started < MAX_LOADS && Date.now() < end) {
        const withMovie = started++ % 2 === 1; // every other load reads the recording inside and the flipping movie
        const args = withMovie ? { source: "inside.npz", movie: "flip-movie.npy", sampling_rate_hz: 10 } : { source: "flip.npz", sampling_rate_hz: 10 };
        const result = (await conn.client.callTool({ name: "load_recording", arguments: args }, { timeout: 60_000 })) as CallToolResult;
        const text = result.content.map((c) => (c.type === "text" ? c.text : "")).join("\n");
        const data = result.structuredContent as { n_neurons?: number; movie?: { n_frames: number; width: number }; provenance?: { sha256?: string } } | undefined;
        if (withMovie && !result.isError && data?.movie?.n_frames === 10 && data.movie.width === 4) counts.movie_inside++;
        else if (withMovie && !result.isError && data?.movie?.n_frames === 12) counts.movie_outside++;
        else if (!result.isError && data?.provenance?.sha256 === insideSha && data.n_neurons === 5) counts.inside++;
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
  const total = counts.inside + counts.outside + counts.movie_inside + counts.movie_outside + counts.refused_outside_roots + counts.refused_changed + counts.other.length;
  console.log(`symlink race: ${total} loads: ${JSON.stringify({ ...counts, other: counts.other.length })}`);
  assert.equal(counts.outside, 0, `${counts.outside} of ${total} loads returned the file outside the roots`);
  assert.equal(counts.movie_outside, 0, `${counts.movie_outside} of ${total} loads returned the movie outside the roots`);
  assert.deepEqual(counts.other.slice(0, 3), [], "every outcome is the inside recording or a clear refusal");
  assert.ok(counts.inside > 0 && counts.movie_inside > 0 && counts.refused_outside_roots > 0, `the link flipped during the loads (${JSON.stringify(counts)})`);
});
