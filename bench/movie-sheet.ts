/**
 * The built-in movie (docs/BUILTIN.md, "The movie"): a contact sheet (one frame every 2 s with its
 * number and scene) written to docs/images/builtin-movie.png, the timeline of shots, generation time
 * and the image statistics compared with natural images. Optional arguments: output path, and
 * parameter overrides as JSON (e.g. '{"seed":1,"optical_blur_deg":0}').
 * With MOVIE_MODULE=<path to another build's movie.js> it measures that movie's generation time and
 * statistics only (e.g. the previous movie, built from an earlier commit).
 *
 *   npx tsc -p tsconfig.json && node dist/bench/movie-sheet.js [docs/images/builtin-movie.png] [params JSON]
 */
import sharp from "sharp";
import { ALLEN_LIKE_DEFAULTS } from "../src/data/builtin/params.js";
import { movieTimeline, renderMovie as ours } from "../src/data/builtin/movie.js";
import { edgeDensity, frameDifference, frameLuminance, spectrumSlope } from "../src/data/builtin/movie-stats.js";
import type { Movie } from "../src/data/recording.js";

const other = process.env.MOVIE_MODULE;
const renderMovie = other ? ((await import(other)) as { renderMovie: typeof ours }).renderMovie : ours;
const out = process.argv[2] ?? "docs/images/builtin-movie.png";
const p = { ...ALLEN_LIKE_DEFAULTS, ...(JSON.parse(process.argv[3] ?? "{}") as Partial<typeof ALLEN_LIKE_DEFAULTS>) };
const wall: number[] = [], cpu: number[] = [];
let movie: Movie = renderMovie(p);
for (let k = 0; k < 3; k++) {
  const t0 = performance.now(), c0 = process.cpuUsage();
  movie = renderMovie(p);
  const c = process.cpuUsage(c0);
  wall.push((performance.now() - t0) / 1000);
  cpu.push((c.user + c.system) / 1e6);
}
const shots = other ? [{ name: "movie", what: "", first: 0, last: movie.n_frames - 1 }] : movieTimeline(p);
const sceneOf = (f: number) => shots.find((s) => f >= s.first && f <= s.last)!.name;
console.log(`${other ?? "this build's movie"}: generation (defaults, seed ${p.seed}, ${movie.n_frames} × ${movie.height} × ${movie.width}), 3 runs after one warm-up: wall ${wall.map((t) => t.toFixed(2)).join(", ")} s; CPU ${cpu.map((t) => t.toFixed(2)).join(", ")} s`);
console.log("| shot | frames | seconds | what is on screen |\n|---|---|---|---|");
for (const s of shots) console.log(`| ${s.name} | ${s.first}–${s.last} | ${(s.first / 30).toFixed(1)}–${((s.last + 1) / 30).toFixed(1)} | ${s.what} |`);

const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
const sample = Array.from({ length: Math.ceil(movie.n_frames / 15) }, (_, i) => i * 15);
const slopes = sample.map((f) => spectrumSlope(movie, f));
const lum = sample.map((f) => frameLuminance(movie, f));
const edges = sample.map((f) => edgeDensity(movie, f));
let total = 0;
for (const v of movie.frames) total += v;
const q = (xs: number[], d = 2) => `${mean(xs).toFixed(d)} (${Math.min(...xs).toFixed(d)} to ${Math.max(...xs).toFixed(d)})`;
console.log(`\nstatistics over ${sample.length} frames (every 15th): mean (min to max over frames)`);
console.log(`power spectrum slope: ${q(slopes)}`);
console.log(`RMS contrast: ${q(lum.map((l) => l.rmsContrast))}`);
console.log(`mean luminance: whole movie ${(total / movie.frames.length).toFixed(1)}; per frame ${q(lum.map((l) => l.mean), 1)}`);
console.log(`edge density (Sobel > 20 gray levels/px): ${q(edges, 3)}`);
const within: number[] = [], across: number[] = [];
for (let f = 0; f + 1 < movie.n_frames; f++) (sceneOf(f) === sceneOf(f + 1) ? within : across).push(frameDifference(movie, f, f + 1));
const second = Array.from({ length: movie.n_frames - 30 }, (_, f) => f).filter((f) => sceneOf(f) === sceneOf(f + 30)).map((f) => frameDifference(movie, f, f + 30));
console.log(`mean |Δ gray| consecutive frames within a shot: ${q(within)}; across a cut: ${across.length ? q(across) : "no cuts"}; 1 s apart within a shot: ${q(second)}`);
if (other) process.exit(0);

// Contact sheet: one frame every 2 s, 5 columns, frame number and scene under each tile.
const step = 60, cols = 5, tileW = 224, tileH = Math.round((tileW * movie.height) / movie.width), label = 18, gap = 4;
const picks = Array.from({ length: Math.ceil(movie.n_frames / step) }, (_, i) => i * step);
const rows = Math.ceil(picks.length / cols);
const W = cols * (tileW + gap) + gap, H = rows * (tileH + label + gap) + gap;
const tiles = await Promise.all(picks.map(async (f, i) => ({
  input: await sharp(Buffer.from(movie.frames.buffer, movie.frames.byteOffset + f * movie.height * movie.width, movie.height * movie.width), { raw: { width: movie.width, height: movie.height, channels: 1 } }).resize(tileW, tileH).png().toBuffer(),
  left: gap + (i % cols) * (tileW + gap),
  top: gap + Math.floor(i / cols) * (tileH + label + gap),
})));
const text = picks.map((f, i) => `<text x="${gap + (i % cols) * (tileW + gap) + 2}" y="${gap + Math.floor(i / cols) * (tileH + label + gap) + tileH + 14}" font-family="DejaVu Sans, sans-serif" font-size="13">frame ${f} · ${(f / 30).toFixed(0)} s · ${sceneOf(f)}</text>`).join("");
const svg = Buffer.from(`<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}">${text}</svg>`);
await sharp({ create: { width: W, height: H, channels: 3, background: "#ffffff" } })
  .composite([...tiles, { input: svg, left: 0, top: 0 }])
  .toColourspace("b-w").png({ compressionLevel: 9, palette: false }).toFile(out);
console.log(`\nwrote ${out} (${W}×${H})`);
