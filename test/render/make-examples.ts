/**
 * Writes one example image per layout (and embedding plots) for visual inspection:
 *   node dist/test/render/make-examples.js [outDir=/tmp/render-examples]
 * Not a test; the same fixtures as the tests.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { chanceLoss, plotEmbedding, renderReconstruction, type ReconstructionLayout } from "../../src/render/index.js";
import { Rng } from "../../src/util/rng.js";
import { smoothBrightness, syntheticMovie, syntheticRows, syntheticSummary } from "./fixtures.js";

const outDir = process.argv[2] ?? "/tmp/render-examples";
mkdirSync(outDir, { recursive: true });

const movie = syntheticMovie(150, 152, 304, 30, smoothBrightness);
const rows = syntheticRows(600, movie.n_frames);
const summary = syntheticSummary(rows);
const ext = (mime: string) => mime.split("/")[1]!.replace("jpeg", "jpg");

for (const layout of ["side_by_side", "contact_sheet", "pairs", "animation", "timeline"] as ReconstructionLayout[]) {
  const t0 = Date.now();
  const res = await renderReconstruction({ rows, movie, summary, layout });
  const img = res.images[0]!;
  writeFileSync(join(outDir, `${layout}.${ext(img.mime_type)}`), img.data);
  for (const f of res.full_resolution) writeFileSync(join(outDir, `full-${f.name}`), f.data);
  process.stderr.write(`${layout}: ${img.width}×${img.height} ${img.mime_type} ${img.data.length} B, ${Date.now() - t0} ms\n  ${res.notes.join("\n  ")}\n`);
}

const rng = new Rng(3);
const T = 8000;
const emb = new Float32Array(T * 8);
const label = new Float32Array(T);
for (let t = 0; t < T; t++) {
  const phase = (2 * Math.PI * (t % 900)) / 900;
  label[t] = t % 900;
  const v = [Math.cos(phase), Math.sin(phase), 0.4 * Math.sin(2 * phase), 0, 0, 0, 0, 0].map((x) => x + 0.08 * rng.normal());
  const n = Math.hypot(...v);
  v.forEach((x, j) => (emb[t * 8 + j] = x / n));
}
// Batch size 512: chance log(512) ≈ 6.238; the model's loss falls below it, the control's stays there.
const loss = Array.from({ length: 2000 }, (_, s) => 5.45 + 0.79 * Math.exp(-s / 300) + 0.03 * rng.normal());
const control = Array.from({ length: 2000 }, () => 6.237 + 0.003 * rng.normal());
const temperature = Array.from({ length: 2000 }, (_, s) => 1 - 0.7 * (1 - Math.exp(-s / 500)));
const plots = [
  { name: "embedding-3d", opts: { dims: 3 as const, loss: { total: loss, label: "model", temperature, chance: chanceLoss(512, false), control: { total: control, label: "shuffled-label control" } }, colour_by: { values: label, name: "movie frame", kind: "continuous" as const } } },
  { name: "embedding-2d-pca", opts: { dims: 2 as const, projection: "pca" as const, colour_by: { values: label.map((v) => Math.floor(v / 300)), name: "movie third", kind: "categorical" as const, class_names: ["frames 0–299", "frames 300–599", "frames 600–899"] } } },
];
for (const p of plots) {
  const res = await plotEmbedding({ embedding: { data: emb, n_samples: T, dim: 8 }, title: `CEBRA embedding · model-offset10-d8`, subtitle: "recording rec-synthetic · 2000 steps · seed 3", ...p.opts });
  writeFileSync(join(outDir, `${p.name}.${ext(res.images[0]!.mime_type)}`), res.images[0]!.data);
  process.stderr.write(`${p.name}: ${res.images[0]!.width}×${res.images[0]!.height} ${res.images[0]!.data.length} B\n  ${res.notes.join("\n  ")}\n`);
}
