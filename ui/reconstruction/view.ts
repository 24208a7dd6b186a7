/*
 * The reconstruction viewer: an MCP App (SEP-1865) that a host renders in a sandboxed iframe beside a
 * decode_video_frames or render_reconstruction result. It talks to the host only by postMessage
 * (JSON-RPC 2.0, the Apps protocol: ui/initialize, tool-input/tool-result notifications, and the
 * server's resources/read and tools/call proxied by the host's AppBridge); it has no network access
 * (its CSP forbids it) and no dependencies, so the page stays a few tens of KB.
 *
 * Data: decoding://{id} (summary: scores, controls) and decoding://{id}?offset=&limit= (bounded pages of
 * per-sample rows, the same reads an agent gets), votes://{id}/{sample} (the k voting training samples)
 * and frame://{recording}/{index}?w= (one movie frame as a small PNG), each read on demand.
 *
 * Compiled by `tsc -p ui/tsconfig.json`; src/app/viewer.ts drops the module marker, wraps the script in a
 * function (nothing leaks into the page's globals) and inlines it, allowed by its sha256 hash.
 */

// ------------------------------------------------------------------ the bridge (view side)

type Json = Record<string, unknown>;
interface RpcMessage { jsonrpc: "2.0"; id?: number | string; method?: string; params?: Json; result?: Json; error?: { code: number; message: string } }

const PROTOCOL_VERSION = "2026-01-26";
const pending = new Map<number, { resolve(v: Json): void; reject(e: Error): void }>();
let nextId = 1;

function post(msg: RpcMessage): void {
  window.parent.postMessage(msg, "*");
}

function request(method: string, params: Json): Promise<Json> {
  const id = nextId++;
  post({ jsonrpc: "2.0", id, method, params });
  return new Promise((resolve, reject) => pending.set(id, { resolve, reject }));
}

function notify(method: string, params: Json = {}): void {
  post({ jsonrpc: "2.0", method, params });
}

window.addEventListener("message", (e: MessageEvent) => {
  if (e.source !== window.parent) return;
  const m = e.data as RpcMessage;
  if (!m || m.jsonrpc !== "2.0") return;
  if (m.method === undefined && typeof m.id === "number") {
    const p = pending.get(m.id);
    if (!p) return;
    pending.delete(m.id);
    if (m.error) p.reject(new Error(m.error.message));
    else p.resolve(m.result ?? {});
  } else if (m.method !== undefined && m.id !== undefined) {
    // Host requests: teardown and ping need only an empty answer.
    const known = m.method === "ui/resource-teardown" || m.method === "ping";
    post(known ? { jsonrpc: "2.0", id: m.id, result: {} } : { jsonrpc: "2.0", id: m.id, error: { code: -32601, message: `Method not found: ${m.method}` } });
  } else if (m.method) {
    onNotification(m.method, m.params ?? {});
  }
});

async function readText(uri: string): Promise<string> {
  const r = await request("resources/read", { uri });
  const c = (r.contents as { text?: string }[] | undefined)?.[0];
  if (typeof c?.text !== "string") throw new Error(`${uri}: no text`);
  return c.text;
}

async function readImage(uri: string): Promise<string> {
  const r = await request("resources/read", { uri });
  const c = (r.contents as { blob?: string; mimeType?: string }[] | undefined)?.[0];
  if (typeof c?.blob !== "string") throw new Error(`${uri}: no image`);
  return `data:${c.mimeType ?? "image/png"};base64,${c.blob}`;
}

// ------------------------------------------------------------------ state

interface Row { sample: number; time_s: number | null; true_frame: number | null; pred: Record<string, number | null>; confidence: number | null }
interface Source { key: string; label: string; accuracy: number | null }

const S = {
  decodingId: "",
  recordingId: "",
  window: 30,
  k: 0,
  chance: null as number | null,
  total: 0,
  rows: [] as Row[],
  sources: [] as Source[],
  source: "cebra",
  i: 0,
  playing: false,
  rate: 10,
  timer: 0,
  votesFor: -1,
};

/** The controls whose decoded frames the toggle can show (each is a column `<key>_predicted` of the decoding's pages). */
const RAW = [["raw_window_averaged", "raw, window-avg"], ["raw_per_sample", "raw, per sample"], ["untrained_encoder", "untrained encoder"], ["shuffled_labels", "shuffled labels"]] as const;

/** The host's theme (hostContext.theme), when it gives one; otherwise the system's. */
function applyContext(ctx: Json | undefined): void {
  const theme = ctx?.theme;
  if (theme === "light" || theme === "dark") document.documentElement.dataset.theme = theme;
  if (S.rows.length) drawTimeline();
}

function onNotification(method: string, params: Json): void {
  if (method === "ui/notifications/host-context-changed") applyContext(params);
  else if (method === "ui/notifications/tool-input") {
    const id = (params.arguments as Json | undefined)?.decoding_id;
    if (typeof id === "string" && !S.decodingId) void open(id);
  } else if (method === "ui/notifications/tool-result") {
    const id = decodingIdOf(params);
    if (id && id !== S.decodingId) void open(id);
    else if (!id && !S.decodingId) setStatus("This result names no frame decoding to show.");
  }
}

/** The decoding a tool result is about: decode_video_frames' structuredContent, or render_reconstruction's images. */
function decodingIdOf(result: Json): string | undefined {
  const sc = result.structuredContent as Json | undefined;
  if (typeof sc?.decoding_id === "string") return sc.decoding_id;
  for (const c of (result.content as Json[] | undefined) ?? []) {
    const id = (c._meta as Json | undefined)?.["cebra-mcp/decoding_id"];
    if (typeof id === "string") return id;
    const m = typeof c.text === "string" ? /"decoding_id":"(dec_[A-Za-z0-9_-]+)"/.exec(c.text) : null;
    if (m) return m[1];
  }
  return undefined;
}

// ------------------------------------------------------------------ loading

async function open(id: string): Promise<void> {
  S.decodingId = id;
  setStatus(`Loading ${id}…`);
  try {
    const summary = JSON.parse(await readText(`decoding://${id}`)) as Json;
    if (summary.kind !== "frames") return setStatus(`${id} decoded labels, not movie frames: there are no frames to show.`);
    const main = summary.main as Json;
    S.recordingId = String(summary.recording_id);
    S.window = Number(main.window);
    S.k = Number(main.k);
    S.chance = num((main.chance as Json | undefined)?.accuracy);
    S.total = Number((summary.rows as Json).total);
    S.sources = [{ key: "cebra", label: "CEBRA", accuracy: num((main.scores as Json).accuracy) }];
    const controls = summary.controls as Record<string, Json>;
    for (const [key, label] of RAW) {
      const c = controls[key];
      if (c?.status === "ok") S.sources.push({ key, label, accuracy: num((c.scores as Json | undefined)?.accuracy) });
    }
    build();
    // Pages of rows, as an agent reads them (each page bounded; the server lowers limit if needed).
    let uri: string | null = `decoding://${id}?offset=0&limit=500`;
    while (uri) {
      const page = JSON.parse(await readText(uri)) as { page: { next: string | null }; rows: Json[] };
      for (const r of page.rows) S.rows.push(toRow(r));
      uri = page.page.next;
      $("load").textContent = S.rows.length < S.total ? `rows ${S.rows.length} / ${S.total}…` : "";
      if (S.rows.length === page.rows.length) show(0);
      drawTimeline();
      renderWorst();
    }
  } catch (e) {
    setStatus(`Could not load ${id}: ${(e as Error).message}`);
  }
}

const num = (v: unknown): number | null => (typeof v === "number" && Number.isFinite(v) ? v : null);

function toRow(r: Json): Row {
  const pred: Record<string, number | null> = { cebra: num(r.predicted_frame) };
  for (const [key] of RAW) pred[key] = num(r[`${key}_predicted`]);
  return { sample: Number(r.sample), time_s: num(r.time_s), true_frame: num(r.true_frame), pred, confidence: num(r.confidence) };
}

const predOf = (r: Row): number | null => r.pred[S.source] ?? null;
const errOf = (r: Row): number | null => (r.true_frame === null || predOf(r) === null ? null : (predOf(r) as number) - r.true_frame);

// ------------------------------------------------------------------ the page

const $ = (id: string): HTMLElement => document.getElementById(id) as HTMLElement;

function setStatus(text: string): void {
  const app = $("app");
  if (!S.rows.length) app.textContent = text;
}

const STYLE = `
:root{color-scheme:light dark;--fg:#1b1f24;--bg:#fff;--mute:#5b6470;--line:#d0d7de;--ok:#1a7f37;--bad:#cf222e;--band:rgba(31,111,235,.14);--acc:#1f6feb}
@media (prefers-color-scheme:dark){:root:not([data-theme=light]){color-scheme:dark;--fg:#e6edf3;--bg:#0d1117;--mute:#9da7b3;--line:#30363d;--band:rgba(56,139,253,.2);--acc:#4493f8}}
:root[data-theme=dark]{color-scheme:dark;--fg:#e6edf3;--bg:#0d1117;--mute:#9da7b3;--line:#30363d;--band:rgba(56,139,253,.2);--acc:#4493f8}
:root[data-theme=light]{color-scheme:light}
*{box-sizing:border-box}body{margin:0;font:13px/1.4 system-ui,sans-serif;color:var(--fg);background:var(--bg)}
main{padding:10px;max-width:900px;outline:none}h1{font-size:14px;margin:0 0 2px}.mute{color:var(--mute)}
.frames{display:grid;grid-template-columns:1fr 1fr;gap:8px;margin:8px 0}figure{margin:0}
figure img{width:100%;aspect-ratio:var(--ar,2);background:#808080;image-rendering:pixelated;border:1px solid var(--line);display:block}
figcaption{font-weight:600;margin-top:2px}.bar{display:flex;flex-wrap:wrap;gap:4px;align-items:center;margin:4px 0}
button,select{font:inherit;padding:3px 8px;border:1px solid var(--line);border-radius:5px;background:transparent;color:var(--fg);cursor:pointer}
button:focus-visible,select:focus-visible,canvas:focus-visible,input:focus-visible{outline:2px solid var(--acc);outline-offset:1px}
fieldset{border:0;padding:0;margin:0 0 0 6px;display:flex;gap:6px;align-items:center}
.cols{display:grid;grid-template-columns:3fr 2fr;gap:10px}@media (max-width:680px){.cols{grid-template-columns:1fr}}
dl{display:grid;grid-template-columns:auto 1fr;gap:1px 8px;margin:4px 0}dt{color:var(--mute)}dd{margin:0;font-variant-numeric:tabular-nums}
table{border-collapse:collapse;width:100%;font-variant-numeric:tabular-nums}td,th{padding:1px 4px;text-align:right;border-bottom:1px solid var(--line)}
th{color:var(--mute);font-weight:500}td img{height:20px;image-rendering:pixelated;vertical-align:middle}
canvas{width:100%;height:130px;display:block;border:1px solid var(--line)}.ok{color:var(--ok)}.bad{color:var(--bad)}
ol{margin:2px 0;padding-left:20px}ol button{padding:0 6px;margin:1px 0}h2{font-size:13px;margin:8px 0 2px}
`;

function build(): void {
  const style = document.createElement("style");
  style.textContent = STYLE;
  document.head.append(style);
  const acc = S.sources.map((s) => `${s.label} ${pct(s.accuracy)}`).join(" · ");
  $("app").innerHTML = `
<h1>Decoded movie <span class="mute">${esc(S.decodingId)}</span></h1>
<div class="mute" id="scores">within ±${S.window} frames: ${esc(acc)} · chance ${pct(S.chance)} · kNN k=${S.k}</div>
<div class="frames">
 <figure><img id="img-true" alt="frame on screen"><figcaption id="cap-true">On screen</figcaption></figure>
 <figure><img id="img-pred" alt="decoded frame"><figcaption id="cap-pred">Decoded</figcaption></figure>
</div>
<div class="bar" role="toolbar" aria-label="Player">
 <button id="first" aria-label="First sample (Home)">|◀</button>
 <button id="prev" aria-label="Previous sample (←)">◀</button>
 <button id="play" aria-label="Play (Space)">▶ Play</button>
 <button id="next" aria-label="Next sample (→)">▶</button>
 <label>speed <select id="rate" aria-label="Samples per second">${[2, 5, 10, 30].map((r) => `<option value="${r}"${r === S.rate ? " selected" : ""}>${r}/s</option>`).join("")}</select></label>
 <span class="mute">decoder:</span><fieldset id="sources" role="radiogroup" aria-label="Decoder whose frames are shown (C cycles)">${S.sources.map((s) => `<label><input type="radio" name="src" value="${s.key}"${s.key === S.source ? " checked" : ""}> ${esc(s.label)}</label>`).join("")}</fieldset>
 <span id="load" class="mute"></span>
</div>
<canvas id="tl" tabindex="0" role="slider" aria-label="Timeline: decoded vs true frame; arrows step" aria-valuemin="0"></canvas>
<div class="mute" id="legend"></div>
<div class="cols">
 <section aria-label="Provenance"><h2>This sample</h2><dl id="prov"></dl>
  <h2>Votes <span class="mute" id="votes-note"></span></h2><table id="votes"><thead><tr><th>#</th><th>train sample</th><th>repeat</th><th>frame</th><th>distance</th><th></th></tr></thead><tbody></tbody></table></section>
 <section aria-label="Worst errors"><h2>Worst errors <span class="mute">(W: next)</span></h2><ol id="worst"></ol>
  <h2>Keep</h2><button id="still" aria-label="Render this sample as an image in the workspace">Render still (render_reconstruction)</button><div id="still-out" class="mute"></div></section>
</div>`;
  $("first").onclick = () => show(0);
  $("prev").onclick = () => step(-1);
  $("next").onclick = () => step(1);
  $("play").onclick = () => toggle();
  ($("rate") as HTMLSelectElement).onchange = (e) => {
    S.rate = Number((e.target as HTMLSelectElement).value);
    if (S.playing) { toggle(); toggle(); }
  };
  for (const r of document.querySelectorAll<HTMLInputElement>("input[name=src]")) r.onchange = () => setSource(r.value);
  $("still").onclick = () => void still();
  const tl = $("tl") as HTMLCanvasElement;
  tl.onclick = (e) => {
    const box = tl.getBoundingClientRect();
    show(Math.round(((e.clientX - box.left) / box.width) * (S.rows.length - 1)));
  };
  document.addEventListener("keydown", onKey);
  new ResizeObserver(() => { drawTimeline(); sendSize(); }).observe($("app"));
}

function onKey(e: KeyboardEvent): void {
  const tag = (e.target as HTMLElement).tagName;
  if (tag === "SELECT" || (tag === "INPUT" && e.key !== " ")) return;
  const keys: Record<string, () => void> = {
    ArrowRight: () => step(e.shiftKey ? 10 : 1),
    ArrowLeft: () => step(e.shiftKey ? -10 : -1),
    Home: () => show(0),
    End: () => show(S.rows.length - 1),
    " ": () => toggle(),
    w: () => nextWorst(),
    c: () => setSource(S.sources[(S.sources.findIndex((s) => s.key === S.source) + 1) % S.sources.length].key),
  };
  const f = keys[e.key];
  if (!f || (e.key === " " && tag === "BUTTON")) return;
  e.preventDefault();
  f();
}

function sendSize(): void {
  const box = $("app").getBoundingClientRect();
  notify("ui/notifications/size-changed", { width: Math.ceil(box.width), height: Math.ceil(box.bottom + 4) });
}

const pct = (v: number | null): string => (v === null ? "–" : `${(100 * v).toFixed(1)}%`);
const esc = (s: string): string => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
const signed = (v: number | null): string => (v === null ? "–" : v > 0 ? `+${v}` : String(v));

// ------------------------------------------------------------------ player

function step(d: number): void {
  show(Math.max(0, Math.min(S.rows.length - 1, S.i + d)));
}

function toggle(): void {
  S.playing = !S.playing;
  const b = $("play");
  b.textContent = S.playing ? "⏸ Pause" : "▶ Play";
  b.setAttribute("aria-label", S.playing ? "Pause (Space)" : "Play (Space)");
  clearInterval(S.timer);
  if (S.playing) {
    S.timer = window.setInterval(() => {
      if (S.i >= S.rows.length - 1) return toggle();
      step(1);
    }, 1000 / S.rate);
  } else {
    show(S.i);
  }
}

function setSource(key: string): void {
  S.source = key;
  for (const r of document.querySelectorAll<HTMLInputElement>("input[name=src]")) r.checked = r.value === key;
  renderWorst();
  show(S.i);
}

function show(i: number): void {
  const r = S.rows[i];
  if (!r) return;
  S.i = i;
  const pred = predOf(r);
  const err = errOf(r);
  const inside = err === null ? null : Math.abs(err) < S.window;
  const label = S.sources.find((s) => s.key === S.source)?.label ?? S.source;
  $("cap-true").textContent = `On screen: frame ${r.true_frame ?? "–"}`;
  $("cap-pred").textContent = `Decoded (${label}): frame ${pred ?? "–"}`;
  $("prov").innerHTML = [
    ["sample", `<span id="p-sample">${r.sample}</span> <span class="mute">(${i + 1} of ${S.total})</span>`],
    ["time", r.time_s === null ? "–" : `${r.time_s.toFixed(2)} s`],
    ["true frame", `<span id="p-true">${r.true_frame ?? "–"}</span>`],
    [`decoded (${esc(label)})`, `<span id="p-pred">${pred ?? "–"}</span>`],
    ["signed error", `<span id="p-err" class="${inside === null ? "" : inside ? "ok" : "bad"}">${signed(err)}</span> frames ${inside === null ? "" : inside ? "(inside ±" + S.window + ")" : "(outside ±" + S.window + ")"}`],
    ["confidence", r.confidence === null ? "–" : `${(100 * r.confidence).toFixed(0)}% of k=${S.k} votes (CEBRA)`],
  ].map(([k, v]) => `<dt>${k}</dt><dd>${v}</dd>`).join("");
  const tl = $("tl");
  tl.setAttribute("aria-valuemax", String(S.rows.length - 1));
  tl.setAttribute("aria-valuenow", String(i));
  tl.setAttribute("aria-valuetext", `sample ${r.sample}, true ${r.true_frame}, decoded ${pred}`);
  drawTimeline();
  want.true = r.true_frame;
  want.pred = pred;
  void pumpFrames();
  if (!S.playing) void loadVotes(r.sample);
  else $("votes-note").textContent = "(paused to load)";
}

// Latest-wins frame loading: while playing, only the newest wanted frame is fetched after each read.
const want = { true: null as number | null, pred: null as number | null };
const busy = { true: false, pred: false };
const cache = new Map<string, string>();

async function frameUrl(frame: number, w: number): Promise<string> {
  const uri = `frame://${S.recordingId}/${frame}?w=${w}`;
  let url = cache.get(uri);
  if (!url) {
    url = await readImage(uri);
    if (cache.size > 400) cache.delete(cache.keys().next().value as string);
    cache.set(uri, url);
  }
  return url;
}

async function pumpFrames(): Promise<void> {
  for (const which of ["true", "pred"] as const) {
    if (busy[which]) continue;
    busy[which] = true;
    try {
      let shown: number | null | undefined;
      while (want[which] !== shown) {
        shown = want[which];
        const img = $(`img-${which}`) as HTMLImageElement;
        if (shown === null) img.removeAttribute("src");
        else img.src = await frameUrl(shown, 320);
        img.dataset.frame = String(shown);
        img.onload = () => img.style.setProperty("--ar", String(img.naturalWidth / img.naturalHeight));
      }
    } catch (e) {
      $(`cap-${which}`).textContent += ` (image failed: ${(e as Error).message})`;
    } finally {
      busy[which] = false;
    }
  }
}

async function loadVotes(sample: number): Promise<void> {
  S.votesFor = sample;
  $("votes-note").textContent = "(loading)";
  try {
    const v = JSON.parse(await readText(`votes://${S.decodingId}/${sample}`)) as { neighbours: { train_sample: number; repeat: number; frame: number; distance: number }[]; neighbours_total: number; metric: string };
    if (S.votesFor !== sample) return;
    const body = document.querySelector("#votes tbody") as HTMLElement;
    body.innerHTML = v.neighbours.map((n, j) => `<tr><td>${j + 1}</td><td>${n.train_sample}</td><td>${n.repeat}</td><td>${n.frame}</td><td>${n.distance.toFixed(3)}</td><td>${j < 12 ? `<img alt="frame ${n.frame}" data-frame="${n.frame}">` : ""}</td></tr>`).join("");
    $("votes-note").textContent = `(CEBRA's k=${v.neighbours_total}, ${v.metric}, nearest first${v.neighbours.length < v.neighbours_total ? `; first ${v.neighbours.length} shown` : ""})`;
    for (const img of body.querySelectorAll<HTMLImageElement>("img[data-frame]")) {
      if (S.votesFor !== sample) return;
      img.src = await frameUrl(Number(img.dataset.frame), 64);
    }
  } catch (e) {
    $("votes-note").textContent = `(votes failed: ${(e as Error).message})`;
  }
}

// ------------------------------------------------------------------ timeline and worst errors

function drawTimeline(): void {
  const c = document.getElementById("tl") as HTMLCanvasElement | null;
  if (!c || !S.rows.length) return;
  const dpr = window.devicePixelRatio || 1;
  const W = c.clientWidth, H = c.clientHeight;
  c.width = Math.round(W * dpr);
  c.height = Math.round(H * dpr);
  const g = c.getContext("2d") as CanvasRenderingContext2D;
  g.scale(dpr, dpr);
  let fmax = 1;
  for (const r of S.rows) fmax = Math.max(fmax, r.true_frame ?? 0, predOf(r) ?? 0);
  const n = Math.max(1, S.total - 1);
  const x = (i: number) => 2 + (i / n) * (W - 4);
  const y = (f: number) => H - 3 - (f / fmax) * (H - 6);
  const css = getComputedStyle(document.documentElement);
  g.fillStyle = css.getPropertyValue("--band");
  g.beginPath();
  S.rows.forEach((r, i) => r.true_frame !== null && g.lineTo(x(i), y(Math.min(fmax, r.true_frame + S.window))));
  for (let i = S.rows.length - 1; i >= 0; i--) { const t = S.rows[i].true_frame; if (t !== null) g.lineTo(x(i), y(Math.max(0, t - S.window))); }
  g.fill();
  for (const [i, r] of S.rows.entries()) {
    const p = predOf(r), e = errOf(r);
    if (p === null) continue;
    g.fillStyle = e !== null && Math.abs(e) < S.window ? css.getPropertyValue("--ok") : css.getPropertyValue("--bad");
    g.fillRect(x(i) - 1, y(p) - 1, 2.5, 2.5);
  }
  g.fillStyle = css.getPropertyValue("--mute");
  g.font = "10px system-ui, sans-serif";
  g.fillText(`frame ${fmax}`, 4, 11);
  g.fillText("0", 4, H - 5);
  const src = S.sources.find((s) => s.key === S.source);
  $("legend").textContent = `x: sample ${S.rows[0].sample}…${S.rows[S.rows.length - 1].sample} · y: frame · shaded band: true frame ±${S.window} (accepted) · dots: ${src?.label ?? S.source}'s decoded frame, green inside (${pct(src?.accuracy ?? null)}), red outside · line: cursor`;
  g.strokeStyle = css.getPropertyValue("--acc");
  g.lineWidth = 1.5;
  g.beginPath();
  g.moveTo(x(S.i), 0);
  g.lineTo(x(S.i), H);
  g.stroke();
}

function worst(): number[] {
  return S.rows.map((r, i) => ({ i, e: errOf(r) })).filter((x) => x.e !== null).sort((a, b) => Math.abs(b.e as number) - Math.abs(a.e as number) || a.i - b.i).slice(0, 10).map((x) => x.i);
}

function renderWorst(): void {
  const ol = document.getElementById("worst");
  if (!ol) return;
  ol.innerHTML = worst().map((i) => `<li><button data-i="${i}">sample ${S.rows[i].sample}: ${signed(errOf(S.rows[i]))} frames</button></li>`).join("");
  for (const b of ol.querySelectorAll<HTMLButtonElement>("button")) b.onclick = () => { if (S.playing) toggle(); show(Number(b.dataset.i)); };
}

function nextWorst(): void {
  const list = worst();
  const at = list.indexOf(S.i);
  if (list.length) show(list[(at + 1) % list.length]);
}

// ------------------------------------------------------------------ a tool call from the view

async function still(): Promise<void> {
  const r = S.rows[S.i];
  const out = $("still-out");
  out.textContent = `rendering sample ${r.sample}…`;
  try {
    const res = await request("tools/call", { name: "render_reconstruction", arguments: { decoding_id: S.decodingId, layout: "pairs", samples: [r.sample] } });
    const text = ((res.content as { type: string; text?: string }[]) ?? []).filter((c) => c.type === "text").map((c) => c.text).join(" ");
    if (res.isError) throw new Error(text.slice(0, 200));
    const id = /render:\/\/(rnd_[A-Za-z0-9_-]+)/.exec(text)?.[1];
    out.textContent = id ? `saved render://${id} (sample ${r.sample})` : text.slice(0, 200);
    out.dataset.render = id ?? "";
  } catch (e) {
    out.textContent = `render failed: ${(e as Error).message}`;
  }
}

// ------------------------------------------------------------------ start

void (async () => {
  try {
    const init = await request("ui/initialize", { appInfo: { name: "cebra-mcp-viewer", version: "0.1.0" }, appCapabilities: {}, protocolVersion: PROTOCOL_VERSION });
    applyContext(init.hostContext as Json | undefined);
    notify("ui/notifications/initialized");
    sendSize();
  } catch (e) {
    setStatus(`The host refused the view: ${(e as Error).message}`);
  }
})();

export {};
