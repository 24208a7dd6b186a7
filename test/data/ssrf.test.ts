/**
 * SSRF guard and URL credentials (src/data/net-guard.ts, src/data/fetch.ts), with real node:http
 * servers on loopback.
 *
 * Every test server is on loopback, so to observe a check that happens at a later redirect hop, or on
 * the address a socket really connects to, some tests inject a NetPolicy (fetchToCache's third
 * argument) that treats 127.0.0.2 as if it were a public address and resolves made-up names to it:
 * "public" then means "127.0.0.2", and everything else is judged by the real classifier.
 */
import test, { after, before } from "node:test";
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { readdirSync, readFileSync } from "node:fs";
import { createServer, type IncomingMessage, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { cachePaths, fetchToCache, redactUrl } from "../../src/data/fetch.js";
import { loadRecording } from "../../src/data/load.js";
import { writeNpz } from "../../src/data/formats/npz.js";
import { request } from "undici";
import { BlockedAddressError, DEFAULT_NET_POLICY, classifyAddress, guardedAgent, type NetPolicy, type ResolvedAddress } from "../../src/data/net-guard.js";
import { UserError } from "../../src/util/errors.js";
import { ctxFor, tmpDir } from "./helpers.js";

// ---------------------------------------------------------------------------------------------------
// The address classifier

const REFUSED: [string, RegExp][] = [
  ["0.0.0.0", /unspecified/],
  ["0.255.255.255", /unspecified/],
  ["10.0.0.0", /private/],
  ["10.255.255.255", /private/],
  ["100.64.0.0", /carrier-grade NAT/],
  ["100.100.100.200", /carrier-grade NAT/],
  ["100.127.255.255", /carrier-grade NAT/],
  ["127.0.0.1", /loopback/],
  ["127.255.255.255", /loopback/],
  ["169.254.0.0", /link-local/],
  ["169.254.169.254", /link-local/],
  ["169.254.255.255", /link-local/],
  ["172.16.0.0", /private/],
  ["172.31.255.255", /private/],
  ["192.0.0.0", /reserved/],
  ["192.0.0.170", /reserved/],
  ["192.0.0.255", /reserved/],
  ["192.0.2.1", /documentation/],
  ["192.88.99.1", /reserved/],
  ["192.168.0.0", /private/],
  ["192.168.255.255", /private/],
  ["198.18.0.0", /benchmarking/],
  ["198.19.255.255", /benchmarking/],
  ["198.51.100.7", /documentation/],
  ["203.0.113.9", /documentation/],
  ["224.0.0.1", /multicast/],
  ["239.255.255.255", /multicast/],
  ["240.0.0.1", /reserved/],
  ["255.255.255.254", /reserved/],
  ["255.255.255.255", /broadcast/],
  ["::", /unspecified/],
  ["::1", /loopback/],
  ["[::1]", /loopback/],
  ["0:0:0:0:0:0:0:1", /loopback/],
  ["::ffff:127.0.0.1", /loopback.*, in IPv4-mapped IPv6 form/],
  ["::ffff:7f00:1", /loopback.*, in IPv4-mapped IPv6 form/],
  ["::FFFF:169.254.169.254", /link-local.*, in IPv4-mapped IPv6 form/],
  ["::ffff:10.1.2.3", /private.*, in IPv4-mapped IPv6 form/],
  ["::127.0.0.1", /IPv4-compatible/],
  ["::8.8.8.8", /IPv4-compatible/],
  ["64:ff9b::a00:1", /private.*, in NAT64 IPv6 form/],
  ["64:ff9b::127.0.0.1", /loopback.*, in NAT64 IPv6 form/],
  ["64:ff9b:1::1", /local-use NAT64/],
  ["100::1", /discard-only/],
  ["2001::1", /reserved/], // Teredo
  ["2001:2::1", /reserved/], // benchmarking
  ["2001:1ff:ffff::1", /reserved/], // end of 2001::/23
  ["2001:db8::1", /documentation/],
  ["2002:7f00:1::1", /loopback.*, in 6to4 IPv6 form/],
  ["2002:c0a8:101::1", /private.*, in 6to4 IPv6 form/],
  ["3fff::1", /documentation/],
  ["3fff:fff:ffff::1", /documentation/],
  ["5f00::1", /reserved/],
  ["fc00::1", /unique-local/],
  ["fd00:ec2::254", /unique-local/],
  ["fdff:ffff::1", /unique-local/],
  ["fe80::1", /link-local/],
  ["fe80::1%eth0", /link-local/],
  ["FEBF::1", /link-local/],
  ["fec0::1", /site-local/],
  ["ff02::1", /multicast/],
  ["ff0e::1", /multicast/],
  ["1fff:ffff::1", /reserved/], // below 2000::/3
  ["4000::1", /reserved/], // above 2000::/3
  ["localhost", /not an IP address/],
  ["", /not an IP address/],
];

const ALLOWED = [
  "1.1.1.1",
  "8.8.8.8",
  "9.255.255.255",
  "11.0.0.0",
  "100.63.255.255",
  "100.128.0.0",
  "126.255.255.255",
  "128.0.0.0",
  "169.253.255.255",
  "169.255.0.0",
  "172.15.255.255",
  "172.32.0.0",
  "192.0.1.1",
  "192.0.3.0",
  "192.167.255.255",
  "192.169.0.0",
  "198.17.255.255",
  "198.20.0.0",
  "223.255.255.255",
  "::ffff:8.8.8.8",
  "64:ff9b::808:808",
  "2001:200::1", // just past 2001::/23
  "2002:808:808::1",
  "2606:4700:4700::1111",
  "2a00:1450:4001:81c::200e",
  "3fff:1000::1", // just past 3fff::/20
  "3ffe::1",
];

test("the classifier refuses every special-purpose range, at both ends, in every IPv4-embedding form", () => {
  for (const [address, why] of REFUSED) {
    const got = classifyAddress(address);
    assert.ok(got && why.test(got), `${address}: expected ${why}, got ${got}`);
  }
});

test("the classifier allows global unicast addresses just outside each refused range", () => {
  for (const address of ALLOWED) assert.equal(classifyAddress(address), null, address);
});

test("redactUrl removes user name and password and leaves everything else alone", () => {
  assert.equal(redactUrl("http://user:pw@example.org/a/b.npz?x=1#f"), "http://example.org/a/b.npz?x=1#f");
  assert.equal(redactUrl("https://user@example.org/"), "https://example.org/");
  assert.equal(redactUrl("HTTPS://u:p%40ss@Example.ORG:8443/x"), "https://example.org:8443/x");
  assert.equal(redactUrl("http://a:b@c@example.org/x"), "http://example.org/x");
  assert.equal(redactUrl("http://example.org/x@y"), "http://example.org/x@y");
  assert.equal(redactUrl("http://u:p@[::1/x"), "http://[::1/x", "even an invalid URL loses its credentials");
  assert.equal(redactUrl("/data/rec@1.npz"), "/data/rec@1.npz");
  assert.equal(redactUrl("builtin:allen-like"), "builtin:allen-like");
});

// ---------------------------------------------------------------------------------------------------
// Real servers: `secret` on 127.0.0.1 (the internal service), `pub` on 127.0.0.2 (stands in for a public
// server under the injected policy), on the same port so a rebinding resolver can swap between them.

const npz = (v: number) => writeNpz({ neural: { dtype: "<f4", shape: [2, 2], data: [v, v, v, v] }, sampling_rate_hz: { dtype: "<f8", shape: [], data: [10] } });
const SECRET = npz(7);
const PUBLIC = npz(1);
const sha = (b: Uint8Array) => createHash("sha256").update(b).digest("hex");

interface Hit {
  url: string;
  authorization?: string;
}
/** The last hit matching `pred` (Array.prototype.findLast is ES2023, beyond this project's lib). */
function lastHit(hits: Hit[], pred: (h: Hit) => boolean): Hit | undefined {
  return hits.filter(pred).at(-1);
}
const secretHits: Hit[] = [];
const pubHits: Hit[] = [];
let secret: Server;
let pub: Server | null = null;
let v6: Server | null = null;
let port = 0;
let v6port = 0;

function serve(body: Uint8Array, hits: Hit[], redirects: (req: IncomingMessage) => string | undefined = () => undefined): Server {
  return createServer((req, res) => {
    hits.push({ url: req.url ?? "/", ...(req.headers.authorization ? { authorization: req.headers.authorization } : {}) });
    const location = redirects(req);
    if (location) {
      res.writeHead(302, { location });
      return res.end();
    }
    if (req.url?.startsWith("/missing")) {
      res.writeHead(404);
      return res.end();
    }
    res.writeHead(200, { "content-length": body.length });
    res.end(body);
  });
}

function listen(server: Server, p: number, host: string): Promise<number | null> {
  return new Promise((ok) => {
    server.once("error", () => ok(null));
    server.listen(p, host, () => ok((server.address() as AddressInfo).port));
  });
}

before(async () => {
  secret = serve(SECRET, secretHits, (req) => (req.url === "/same-origin-redirect" ? "/data.npz" : undefined));
  port = (await listen(secret, 0, "127.0.0.1"))!;
  const p = serve(PUBLIC, pubHits, (req) => {
    if (req.url === "/to-loopback") return `http://127.0.0.1:${port}/secret.npz`;
    if (req.url === "/to-localhost") return `http://localhost:${port}/secret.npz`;
    if (req.url === "/to-metadata") return "http://169.254.169.254/latest/meta-data/";
    return undefined;
  });
  if ((await listen(p, port, "127.0.0.2")) !== null) pub = p;
  const s6 = serve(SECRET, secretHits);
  const got6 = await listen(s6, 0, "::1");
  if (got6 !== null) [v6, v6port] = [s6, got6];
});

after(() => {
  for (const s of [secret, pub, v6]) {
    s?.closeAllConnections();
    s?.close();
  }
});

/** A policy under which `public.example` (and any address list a test gives) resolves as asked, and 127.0.0.2 counts as public. */
function fakePublicPolicy(resolve: (name: string) => ResolvedAddress[] | null = () => null): NetPolicy & { calls: string[] } {
  const calls: string[] = [];
  return {
    calls,
    resolve: async (name) => {
      calls.push(name);
      return resolve(name) ?? (name === "public.example" ? [{ address: "127.0.0.2", family: 4 }] : DEFAULT_NET_POLICY.resolve(name));
    },
    classify: (address) => (address === "127.0.0.2" || address === "::ffff:127.0.0.2" ? null : classifyAddress(address)),
  };
}

function refused(address: RegExp) {
  return (e: unknown) => {
    assert.ok(e instanceof UserError, `expected a UserError, got ${String(e)}`);
    assert.equal(e.code, "url_not_allowed");
    assert.match(e.message, address);
    assert.match(e.message, /--allow-private-urls/);
    assert.match(e.message, /internal services/);
    assert.match(e.message, /local path/);
    return true;
  };
}

const LITERAL_FORMS = () => [
  [`http://127.0.0.1:${port}/data.npz`, /: 127\.0\.0\.1 is a loopback address/],
  [`http://localhost:${port}/data.npz`, /localhost resolves to (127\.0\.0\.1|::1), a loopback address/],
  [`http://2130706433:${port}/data.npz`, /2130706433.*: 127\.0\.0\.1 is a loopback/],
  [`http://0x7f.1:${port}/data.npz`, /0x7f\.1.*: 127\.0\.0\.1 is a loopback/],
  [`http://127.1:${port}/data.npz`, /127\.1.*: 127\.0\.0\.1 is a loopback/],
  [`http://0177.0.0.1:${port}/data.npz`, /0177.*: 127\.0\.0\.1 is a loopback/],
] as const;

test("loopback URLs in every spelling are refused by default, before any request reaches the server", async () => {
  const before = secretHits.length;
  for (const [url, why] of LITERAL_FORMS()) {
    const root = tmpDir("cebra-ssrf-");
    await assert.rejects(fetchToCache(url, ctxFor(root)), refused(why), url);
    assert.deepEqual(readdirSync(join(root, ".cache", "downloads")), [], `nothing cached for ${url}`);
  }
  assert.equal(secretHits.length, before, "no request reached the loopback server");
});

test("with allowPrivateUrls the same loopback URLs are fetched", async () => {
  for (const [url] of LITERAL_FORMS()) {
    const r = await fetchToCache(url, ctxFor(tmpDir("cebra-ssrf-"), { allowPrivateUrls: true }));
    assert.equal(r.sha256, sha(SECRET), url);
  }
});

test("IPv6 loopback [::1] is refused by default and fetched with allowPrivateUrls", async (t) => {
  if (!v6) return t.skip("no IPv6 loopback on this machine");
  const url = `http://[::1]:${v6port}/data.npz`;
  await assert.rejects(fetchToCache(url, ctxFor(tmpDir("cebra-ssrf-"))), refused(/: ::1 is a loopback address/));
  await assert.rejects(fetchToCache(`http://[::ffff:127.0.0.1]:${port}/data.npz`, ctxFor(tmpDir("cebra-ssrf-"))), refused(/loopback address .*IPv4-mapped/));
  const r = await fetchToCache(url, ctxFor(tmpDir("cebra-ssrf-"), { allowPrivateUrls: true }));
  assert.equal(r.sha256, sha(SECRET));
});

test("the dispatcher itself checks the connected socket: a literal loopback host is refused even without the pre-check", async () => {
  const agent = guardedAgent(DEFAULT_NET_POLICY, 5000);
  const before = secretHits.length;
  try {
    await assert.rejects(request(`http://127.0.0.1:${port}/data.npz`, { dispatcher: agent }), (e) => e instanceof BlockedAddressError && e.address === "127.0.0.1" && /loopback/.test(e.why));
    await assert.rejects(request(`http://localhost:${port}/data.npz`, { dispatcher: agent }), (e) => e instanceof BlockedAddressError);
  } finally {
    await agent.destroy();
  }
  assert.equal(secretHits.length, before, "no request bytes reached the server");
});

test("loadRecording refuses a loopback URL with the same UserError", async () => {
  await assert.rejects(loadRecording(`http://127.0.0.1:${port}/data.npz`, {}, ctxFor(tmpDir("cebra-ssrf-"))), refused(/127\.0\.0\.1/));
});

test("every redirect hop is checked: a 'public' server redirecting to loopback, localhost or metadata is refused at the second hop", async (t) => {
  if (!pub) return t.skip("cannot listen on 127.0.0.2 on this machine");
  const policy = fakePublicPolicy();
  const ok = await fetchToCache(`http://public.example:${port}/data.npz`, ctxFor(tmpDir("cebra-ssrf-")), policy);
  assert.equal(ok.sha256, sha(PUBLIC), "the first hop's server is allowed under the injected policy");
  const before = secretHits.length;
  await assert.rejects(fetchToCache(`http://public.example:${port}/to-loopback`, ctxFor(tmpDir("cebra-ssrf-")), policy), refused(new RegExp(`to-loopback \\(redirected to http://127\\.0\\.0\\.1:${port}/secret\\.npz\\): 127\\.0\\.0\\.1 is a loopback`)));
  await assert.rejects(fetchToCache(`http://public.example:${port}/to-localhost`, ctxFor(tmpDir("cebra-ssrf-")), policy), refused(/localhost resolves to (127\.0\.0\.1|::1)/));
  await assert.rejects(fetchToCache(`http://public.example:${port}/to-metadata`, ctxFor(tmpDir("cebra-ssrf-")), policy), refused(/169\.254\.169\.254 is a link-local/));
  assert.equal(secretHits.length, before, "the loopback server was never asked");
  assert.ok(pubHits.some((h) => h.url === "/to-loopback"), "the first hop was made");
  // Control: with the opt-in, the redirect is followed to the loopback server.
  const followed = await fetchToCache(`http://public.example:${port}/to-loopback`, ctxFor(tmpDir("cebra-ssrf-"), { allowPrivateUrls: true }), policy);
  assert.equal(followed.sha256, sha(SECRET));
  assert.equal(followed.final_url, `http://127.0.0.1:${port}/secret.npz`);
});

test("no DNS-rebinding gap: the socket connects to the one answer that was checked", async (t) => {
  if (!pub) return t.skip("cannot listen on 127.0.0.2 on this machine");
  // First answer: the "public" 127.0.0.2; every later answer: loopback. A guard that resolved once to
  // check and again to connect would be steered to the loopback server on the same port.
  let answers = 0;
  const policy = fakePublicPolicy((name) => (name === "rebind.example" ? [{ address: answers++ === 0 ? "127.0.0.2" : "127.0.0.1", family: 4 }] : null));
  const before = secretHits.length;
  const first = await fetchToCache(`http://rebind.example:${port}/data.npz`, ctxFor(tmpDir("cebra-ssrf-")), policy);
  assert.equal(first.sha256, sha(PUBLIC), "served by the checked address");
  assert.equal(policy.calls.filter((n) => n === "rebind.example").length, 1, "one resolution per connection: the one that was checked");
  await assert.rejects(fetchToCache(`http://rebind.example:${port}/data.npz`, ctxFor(tmpDir("cebra-ssrf-")), policy), refused(/rebind\.example resolves to 127\.0\.0\.1/));
  assert.equal(secretHits.length, before, "the loopback server was never reached");
});

test("of a name's addresses only the allowed ones are handed to the socket", async (t) => {
  if (!pub) return t.skip("cannot listen on 127.0.0.2 on this machine");
  const policy = fakePublicPolicy((name) =>
    name === "mixed.example"
      ? [
          { address: "127.0.0.1", family: 4 },
          { address: "127.0.0.2", family: 4 },
        ]
      : null,
  );
  const before = secretHits.length;
  const r = await fetchToCache(`http://mixed.example:${port}/data.npz`, ctxFor(tmpDir("cebra-ssrf-")), policy);
  assert.equal(r.sha256, sha(PUBLIC));
  assert.equal(secretHits.length, before);
});

// ---------------------------------------------------------------------------------------------------
// Credentials

/** Every file under `dir`, with its text. */
function walk(dir: string): { path: string; text: string }[] {
  return readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((d) => d.isFile())
    .map((d) => {
      const path = join(d.parentPath, d.name);
      return { path, text: readFileSync(path).toString("latin1") };
    });
}

test("credentials go to the server as Basic authorization and nowhere else: not in the cache, the result, provenance or errors", async () => {
  const root = tmpDir("cebra-ssrf-");
  const ctx = ctxFor(root, { allowPrivateUrls: true });
  const url = `http://alice:s3cr3t%40pw@127.0.0.1:${port}/auth.npz`;
  const clean = `http://127.0.0.1:${port}/auth.npz`;
  const rec = await loadRecording(url, {}, ctx);
  const hit = lastHit(secretHits, (h) => h.url === "/auth.npz")!;
  assert.equal(hit.authorization, `Basic ${Buffer.from("alice:s3cr3t@pw").toString("base64")}`);
  assert.equal(rec.provenance.source, clean);
  assert.equal(JSON.stringify(rec.provenance).includes("s3cr3t"), false);
  assert.equal(rec.provenance.cached_path, cachePaths(clean, ctx.cacheDir).file, "the cache is keyed by the URL without credentials");
  const again = await fetchToCache(url, ctx);
  assert.equal(again.from_cache, true);
  assert.equal(again.url, clean);
  for (const f of walk(root)) assert.ok(!f.text.includes("s3cr3t") && !f.text.includes("alice"), `credentials in ${f.path}`);
  await assert.rejects(fetchToCache(`http://alice:s3cr3t@127.0.0.1:${port}/missing.npz`, ctx), (e) => e instanceof UserError && /HTTP 404/.test(e.message) && !e.message.includes("s3cr3t") && e.message.includes(`http://127.0.0.1:${port}/missing.npz`));
  await assert.rejects(fetchToCache(`http://alice:s3cr3t@127.0.0.1:${port}/x.npz`, ctxFor(tmpDir("cebra-ssrf-"))), (e) => e instanceof UserError && !e.message.includes("s3cr3t"));
});

test("credentials follow a same-origin redirect but are never sent to another origin", async (t) => {
  const ctx = () => ctxFor(tmpDir("cebra-ssrf-"), { allowPrivateUrls: true });
  const same = await fetchToCache(`http://bob:pw1@127.0.0.1:${port}/same-origin-redirect`, ctx());
  assert.equal(same.final_url, `http://127.0.0.1:${port}/data.npz`);
  assert.ok(lastHit(secretHits, (h) => h.url === "/data.npz")?.authorization, "same origin: sent");
  if (!pub) return t.skip("cannot listen on 127.0.0.2 on this machine");
  await fetchToCache(`http://bob:pw2@public.example:${port}/to-loopback`, ctx(), fakePublicPolicy());
  assert.ok(lastHit(pubHits, (h) => h.url === "/to-loopback")?.authorization, "first hop: sent");
  assert.equal(lastHit(secretHits, (h) => h.url === "/secret.npz")?.authorization, undefined, "other origin: not sent");
});
