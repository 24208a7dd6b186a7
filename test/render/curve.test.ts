import test from "node:test";
import assert from "node:assert/strict";
import sharp from "sharp";
import { curveSvg, renderCurve } from "../../src/render/curve.js";

const series = [
  { label: "CEBRA", colour: "#1f77b4", points: [{ x: 50, y: 20, lo: 15, hi: 25 }, { x: 100, y: 30, lo: 28, hi: 33 }, { x: 400, y: 60 }] },
  { label: "chance", colour: "#7f7f7f", dashed: true, points: [{ x: 50, y: 6 }, { x: 400, y: 6 }] },
];

test("curve: a band where points carry a spread, dashed series, log-x ticks at the data's x values", async () => {
  const { svg, width, height } = curveSvg({ title: "t", x_label: "cells", y_label: "%", series, log_x: true, y_domain: [0, 100] });
  assert.equal((svg.match(/<polygon /g) ?? []).length, 1, "one band (only CEBRA has two or more points with a spread)");
  assert.equal((svg.match(/stroke-dasharray="6 4"/g) ?? []).length, 1);
  for (const tick of ["50", "100", "400"]) assert.match(svg, new RegExp(`>${tick}</text>`));
  // On a log axis 100 sits halfway between 50 and 200, so 50→100 and 100→400 span 1 : 2.
  const xs = [...svg.matchAll(/<circle cx="([\d.]+)"/g)].slice(0, 3).map((m) => Number(m[1]));
  assert.ok(Math.abs((xs[2]! - xs[1]!) / (xs[1]! - xs[0]!) - 2) < 0.02, `${xs}`);
  const png = await renderCurve({ title: "t", x_label: "cells", y_label: "%", series, log_x: true });
  const meta = await sharp(png).metadata();
  assert.deepEqual([meta.format, meta.width, meta.height], ["png", width, height]);
  assert.ok(png.length < 100_000);
});
