/**
 * The reconstruction viewer (an MCP App) in a real headless Chromium (Debian's /usr/bin/chromium, driven by
 * puppeteer-core), embedded as a host embeds it: a host page with a sandboxed iframe (`allow-scripts`
 * only: an opaque origin, no network), the extension's host-side bridge (`AppBridge` from
 * @modelcontextprotocol/ext-apps, run here in the test process, its messages relayed to and from the
 * iframe by postMessage), and a real MCP client connected over Streamable HTTP to a real cebra-mcp server
 * that has just loaded, trained and decoded a small builtin:allen-like recording.
 *
 * Asserts: the tools link the viewer (`_meta.ui.resourceUri`), the resource is a self-contained
 * `text/html;profile=mcp-app` page; in the browser the player steps (buttons, keys, play), the provenance
 * panel shows each sample's truth, decoding, signed error and the k votes the server returns, the
 * worst-error jump lands on the largest error, the CEBRA/raw toggle shows the raw control's decoded
 * frames, the host's theme is followed, and a tool call from the view reaches the server (a render
 * artifact appears). No CSP violations, no page errors, no network from the view. Screenshots at 640
 * and 800 px go to a temp folder, or to docs/images with CEBRA_MCP_SCREENSHOTS=docs.
 *
 * Skips (saying why) where /usr/bin/chromium is absent, except under CI=true, where it fails: CI
 * installs Chromium (.ci/run).
 */
import assert from "node:assert/strict";
import { existsSync, mkdirSync } from "node:fs";
import path from "node:path";
import { test } from "node:test";
import { AppBridge, getToolUiResourceUri, RESOURCE_MIME_TYPE } from "@modelcontextprotocol/ext-apps/app-bridge";
import type { CallToolResult, JSONRPCMessage, Transport } from "@modelcontextprotocol/client";
import puppeteer, { type Browser, type Frame, type Page } from "puppeteer-core";
import { callOk, connectHttp, startTestHttpServer } from "../helpers/mcp.js";
import { tempDir } from "../helpers/tmp.js";
import { MOVIE_BUILTIN, SMALL_TRAINING, type FrameDecoding, type TrainResult } from "../tools/analysis-fixtures.js";
import { REPO } from "../architecture/graph.js";

const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
const HAVE_CHROMIUM = existsSync(CHROMIUM);

/** What a host page looks like: one sandboxed iframe, and a relay of the view's messages to the bridge. */
const HOST_PAGE = `<!doctype html><html><head><title>test host</title></head><body style="margin:0;font:13px sans-serif">
<iframe id="view" title="CEBRA viewer" sandbox="allow-scripts" style="width:100%;height:900px;border:0;display:block"></iframe>
<script>window.addEventListener("message", (e) => { const f = document.getElementById("view"); if (e.source === f.contentWindow) window.__toHost(e.data); });</script>
</body></html>`;

/** The host side of the postMessage channel, for AppBridge: sends into the iframe, receives what the relay forwards. */
class IframeTransport implements Transport {
  onmessage?: (message: JSONRPCMessage) => void;
  onclose?: () => void;
  onerror?: (error: Error) => void;
  constructor(private readonly page: Page) {}
  async start(): Promise<void> {
    await this.page.exposeFunction("__toHost", (m: JSONRPCMessage) => this.onmessage?.(m));
  }
  async send(message: JSONRPCMessage): Promise<void> {
    await this.page.evaluate(`document.getElementById("view").contentWindow.postMessage(${JSON.stringify(message)}, "*")`);
  }
  async close(): Promise<void> {
    this.onclose?.();
  }
}

interface PageRow { sample: number; true_frame: number | null; predicted_frame: number; error_frames: number | null; raw_window_averaged_predicted: number | null }

const text = async (f: Frame, id: string): Promise<string> => String(await f.evaluate(`document.getElementById(${JSON.stringify(id)})?.textContent ?? ""`));
const signed = (v: number | null) => (v === null ? "–" : v > 0 ? `+${v}` : String(v));

/** Waits until the view shows `sample` with its votes and both frames loaded. */
async function waitShown(f: Frame, sample: number): Promise<void> {
  await f.waitForFunction(
    `document.getElementById("p-sample")?.textContent === "${sample}" && /nearest first/.test(document.getElementById("votes-note")?.textContent ?? "")
     && document.getElementById("img-true")?.dataset.frame !== undefined && document.getElementById("img-pred")?.complete`,
    { timeout: 20_000 },
  );
}

if (!HAVE_CHROMIUM && process.env.CI === "true") {
  test("the viewer in a real browser", () => assert.fail(`CI=true but ${CHROMIUM} is missing: .ci/run installs Debian's chromium; the viewer test must run in CI.`));
} else {
  test("the viewer in a real browser: player, provenance, worst errors, raw toggle, a tool call", { skip: HAVE_CHROMIUM ? false : `${CHROMIUM} not found (apt-get install chromium); CI installs it and runs this test`, timeout: 240_000 }, async (t) => {
    const tmp = tempDir();
    const srv = await startTestHttpServer({ workspace: path.join(tmp.dir, "ws") });
    const client = await connectHttp(srv.url);
    let browser: Browser | undefined;
    t.after(async () => {
      await browser?.close();
      await client.close();
      await srv.close();
      tmp.cleanup();
    });

    // A small decoding through the real protocol.
    const rec = await callOk<{ recording_id: string }>(client, "load_recording", { source: "builtin:allen-like", builtin: MOVIE_BUILTIN });
    const trained = await callOk<TrainResult>(client, "train_embedding", { recording_id: rec.data.recording_id, ...SMALL_TRAINING, wait_seconds: 55 });
    assert.ok(trained.data.model_id, "training finished");
    const decodeArgs = { model_id: trained.data.model_id };
    const decoded = await callOk<FrameDecoding>(client, "decode_video_frames", decodeArgs);
    const decodingId = decoded.data.decoding_id;

    // The link and the resource, as a host reads them.
    const { tools } = await client.listTools();
    const uri = getToolUiResourceUri(tools.find((x) => x.name === "decode_video_frames")!);
    assert.equal(uri, "ui://cebra-mcp/viewer.html");
    assert.equal(getToolUiResourceUri(tools.find((x) => x.name === "render_reconstruction")!), uri);
    const res = await client.readResource({ uri: uri! });
    const content = res.contents[0] as { mimeType: string; text: string; _meta?: { ui?: { csp?: Record<string, string[]> } } };
    assert.equal(content.mimeType, RESOURCE_MIME_TYPE);
    assert.deepEqual(content._meta?.ui?.csp, { connectDomains: [], resourceDomains: [] });
    const html = content.text;
    assert.ok(html.length < 100_000, `the page is ${html.length} characters`);
    assert.match(html, /Content-Security-Policy" content="default-src 'none'; script-src 'sha256-[A-Za-z0-9+/=]+'/);
    assert.doesNotMatch(html, /(src|href)="?https?:|import\(|<script src/, "no external script, style or image");

    // Ground truth: the decoding's rows as an agent pages them.
    const rows: PageRow[] = [];
    for (let next: string | null = `decoding://${decodingId}?offset=0&limit=500`; next; ) {
      const page = JSON.parse(((await client.readResource({ uri: next })).contents[0] as { text: string }).text) as { page: { next: string | null }; rows: PageRow[] };
      rows.push(...page.rows);
      next = page.page.next;
    }
    assert.equal(rows.length, 120);
    assert.ok(rows.some((r) => r.raw_window_averaged_predicted !== null), "the raw window-averaged control ran");
    const votesOf = async (sample: number) => JSON.parse(((await client.readResource({ uri: `votes://${decodingId}/${sample}` })).contents[0] as { text: string }).text) as { neighbours: { train_sample: number }[] };

    // The browser, the host page, the bridge.
    browser = await puppeteer.launch({ executablePath: CHROMIUM, headless: true, args: ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"] });
    const page = await browser.newPage();
    await page.setViewport({ width: 800, height: 1000 });
    const problems: string[] = [];
    page.on("console", (m) => { if (/Content Security Policy|Refused to|Uncaught/i.test(m.text())) problems.push(m.text()); });
    page.on("pageerror", (e) => problems.push(String(e)));
    await page.setContent(HOST_PAGE);
    const bridge = new AppBridge(client, { name: "cebra-mcp-test-host", version: "0.0.0" }, { serverTools: {}, serverResources: {}, logging: {} }, { hostContext: { theme: "light", displayMode: "inline" } });
    const initialized = new Promise<void>((resolve) => (bridge.oninitialized = () => resolve()));
    bridge.onsizechange = ({ height }) => void page.evaluate(`document.getElementById("view").style.height = "${Math.max(300, height ?? 0)}px"`);
    await bridge.connect(new IframeTransport(page));
    // connect() installed the forwarding of tools/call to the server; count the calls that pass through it.
    let toolCalls = 0;
    const forward = bridge.oncalltool;
    assert.ok(forward, "the bridge forwards tools/call to the server");
    bridge.oncalltool = async (params, extra) => {
      toolCalls++;
      return (await forward(params, extra)) as CallToolResult;
    };
    await page.evaluate(`document.getElementById("view").srcdoc = ${JSON.stringify(html)}`);
    await initialized;
    await bridge.sendToolInput({ arguments: decodeArgs });
    await bridge.sendToolResult(decoded.result as never);
    const view = (await (await page.$("#view"))!.contentFrame())!;

    await t.test("the first sample's provenance: truth, decoding, signed error, the k votes", async () => {
      await waitShown(view, rows[0].sample);
      assert.equal(await text(view, "p-true"), String(rows[0].true_frame));
      assert.equal(await text(view, "p-pred"), String(rows[0].predicted_frame));
      assert.equal(await text(view, "p-err"), signed(rows[0].error_frames));
      const votes = (await votesOf(rows[0].sample)).neighbours;
      assert.equal(await view.evaluate(`document.querySelectorAll("#votes tbody tr").length`), votes.length);
      assert.equal(await view.evaluate(`document.querySelector("#votes tbody tr td:nth-child(2)").textContent`), String(votes[0].train_sample));
      assert.match(await text(view, "scores"), new RegExp(`CEBRA ${(100 * decoded.data.accuracy).toFixed(1)}%`));
    });

    await t.test("the host's theme is followed", async () => {
      assert.equal(await view.evaluate(`document.documentElement.dataset.theme`), "light");
      await bridge.sendHostContextChange({ theme: "dark" });
      await view.waitForFunction(`document.documentElement.dataset.theme === "dark"`, { timeout: 5_000 });
      await bridge.sendHostContextChange({ theme: "light" });
      await view.waitForFunction(`document.documentElement.dataset.theme === "light"`, { timeout: 5_000 });
    });

    await t.test("the player steps: button, keys, play and pause", async () => {
      await view.click("#next");
      await waitShown(view, rows[1].sample);
      assert.equal(await text(view, "p-true"), String(rows[1].true_frame));
      const votes = (await votesOf(rows[1].sample)).neighbours;
      assert.equal(await view.evaluate(`document.querySelector("#votes tbody tr td:nth-child(2)").textContent`), String(votes[0].train_sample));
      await view.focus("#tl");
      await page.keyboard.press("ArrowRight");
      await waitShown(view, rows[2].sample);
      await page.keyboard.press("End");
      await waitShown(view, rows[rows.length - 1].sample);
      await page.keyboard.press("Home");
      await waitShown(view, rows[0].sample);
      await view.click("#play");
      await view.waitForFunction(`Number(document.getElementById("p-sample").textContent) >= ${rows[4].sample}`, { timeout: 10_000 });
      await view.click("#play");
      assert.match(await text(view, "play"), /Play/);
      const at = Number(await text(view, "p-sample"));
      await new Promise((r) => setTimeout(r, 400));
      assert.equal(Number(await text(view, "p-sample")), at, "paused: the sample no longer changes");
    });

    await t.test("the worst-error list jumps to the largest error", async () => {
      const worst = rows.map((r, i) => ({ r, i })).filter((x) => x.r.error_frames !== null).sort((a, b) => Math.abs(b.r.error_frames!) - Math.abs(a.r.error_frames!) || a.i - b.i)[0].r;
      await view.click("#worst li:first-child button");
      await waitShown(view, worst.sample);
      assert.equal(await text(view, "p-err"), signed(worst.error_frames));
      assert.equal(await text(view, "p-pred"), String(worst.predicted_frame));
    });

    await t.test("the toggle shows the raw control's decoded frames, and back", async () => {
      const i = rows.findIndex((r) => r.raw_window_averaged_predicted !== null && r.raw_window_averaged_predicted !== r.predicted_frame);
      assert.ok(i >= 0, "some sample where raw and CEBRA disagree");
      await view.focus("#tl");
      await page.keyboard.press("Home");
      for (let j = 0; j < i; j++) await page.keyboard.press("ArrowRight");
      await waitShown(view, rows[i].sample);
      await view.click(`input[value="raw_window_averaged"]`);
      await view.waitForFunction(`document.getElementById("p-pred").textContent === "${rows[i].raw_window_averaged_predicted}"`, { timeout: 10_000 });
      assert.match(await text(view, "cap-pred"), /raw, window-avg/);
      await view.waitForFunction(`document.getElementById("img-pred").dataset.frame === "${rows[i].raw_window_averaged_predicted}"`, { timeout: 10_000 });
      await view.click(`input[value="cebra"]`);
      await view.waitForFunction(`document.getElementById("p-pred").textContent === "${rows[i].predicted_frame}"`, { timeout: 10_000 });
    });

    await t.test("a tool call from the view reaches the server", async () => {
      const before = (await srv.app.workspace.list("render")).map((a) => a.id);
      await view.click("#still");
      await view.waitForFunction(`!!document.getElementById("still-out").dataset.render`, { timeout: 30_000 });
      const id = String(await view.evaluate(`document.getElementById("still-out").dataset.render`));
      const after = (await srv.app.workspace.list("render")).map((a) => a.id);
      assert.equal(toolCalls, 1, "the bridge forwarded one tools/call");
      assert.deepEqual(after.filter((x) => !before.includes(x)), [id], "the server stored the render the view names");
    });

    await t.test("screenshots at 640 and 800 px; no CSP violations or page errors", async () => {
      const out = process.env.CEBRA_MCP_SCREENSHOTS === "docs" ? path.join(REPO, "docs/images") : path.join(tmp.dir, "shots");
      mkdirSync(out, { recursive: true });
      await view.focus("#tl");
      await page.keyboard.press("Home");
      await page.keyboard.down("Shift");
      for (let j = 0; j < 3; j++) await page.keyboard.press("ArrowRight");
      await page.keyboard.up("Shift");
      for (const width of [640, 800]) {
        await page.setViewport({ width, height: 1100 });
        await waitShown(view, rows[30].sample);
        await view.waitForFunction(`[...document.querySelectorAll("#votes img")].every((i) => i.complete && i.naturalWidth > 0)`, { timeout: 20_000 });
        await new Promise((r) => setTimeout(r, 300));
        const file = path.join(out, `viewer-${width}.png`);
        await (await page.$("#view"))!.screenshot({ path: file as `${string}.png` });
        assert.ok(existsSync(file));
        t.diagnostic(`screenshot ${file}`);
      }
      assert.deepEqual(problems, []);
    });

    await t.test("the view has an opaque origin and no network: a fetch of the server itself is refused", async () => {
      assert.equal(await view.evaluate(`self.origin`), "null");
      // no-cors, so that only a policy (the view's CSP) can stop it; the host page, without that policy, reaches the server.
      const attempt = `fetch(${JSON.stringify(srv.url.href)}, { mode: "no-cors" }).then(() => "reached", () => "refused")`;
      assert.equal(await page.evaluate(attempt), "reached", "control: the same request from the host page");
      assert.equal(await view.evaluate(attempt), "refused");
    });
  });
}
