/**
 * DANDI sources (src/data/remote/dandi.ts): the URI and URL forms, resolution through a fake DANDI
 * API on loopback (test/data/remote-server.ts), and the SSRF guard on every hop: the API itself, and
 * the S3 URL (or the API's download redirect) it points to.
 *
 * To see a refusal at a later hop, one fake API listens on 127.0.0.2 and an injected NetPolicy treats
 * that address as public (as test/data/ssrf.test.ts does); the "S3" server is on 127.0.0.1 (loopback).
 */
import test, { after, before } from "node:test";
import assert from "node:assert/strict";
import { classifyAddress, type NetPolicy } from "../../src/data/net-guard.js";
import { parseDandi, resolveDandi } from "../../src/data/remote/dandi.js";
import { probeRemote } from "../../src/data/remote/range-file.js";
import { DEFAULT_INTAKE_LIMITS } from "../../src/data/load.js";
import { UserError } from "../../src/util/errors.js";
import { parseServeArgs } from "../../src/cli/args.js";
import { ctxFor, tmpDir } from "./helpers.js";
import { serveDandiAsset, startRangeServer, type RangeServer } from "./remote-server.js";

const API = "https://api.dandiarchive.org/api";
const ASSET = "5f4b3f3a-1c2d-4e5f-8a9b-0c1d2e3f4a5b";
const HDF5_HEAD = Uint8Array.from([0x89, 0x48, 0x44, 0x46, 0x0d, 0x0a, 0x1a, 0x0a, ...new Array(4096).fill(0)]);

let s3: RangeServer;
let pub: RangeServer | null = null;

before(async () => {
  s3 = await startRangeServer();
  s3.files.set("/blobs/abc", { bytes: HDF5_HEAD, etag: '"e1"' });
  serveDandiAsset(s3, { dandiset: "000123", version: "0.230101.0000", path: "sub-1/sub-1_ophys.nwb", assetId: ASSET, blob: "/blobs/abc", size: HDF5_HEAD.length });
  try {
    pub = await startRangeServer("127.0.0.2");
    // The "public" API points at the loopback server for the bytes.
    serveDandiAsset(pub, { dandiset: "000123", version: "0.230101.0000", path: "sub-1/sub-1_ophys.nwb", assetId: ASSET, blob: `${s3.base}/blobs/abc`, size: HDF5_HEAD.length });
  } catch {
    pub = null;
  }
});

after(async () => {
  await s3?.close();
  await pub?.close();
});

test("the DANDI URI and URL forms parse to dandiset, version, path or asset id", () => {
  assert.deepEqual(parseDandi("dandi:000021/sub-718/sub-718_ecephys.nwb@0.210913.1639", API), { api: API, dandiset: "000021", path: "sub-718/sub-718_ecephys.nwb", version: "0.210913.1639" });
  assert.deepEqual(parseDandi("DANDI:000021/sub-1/a@b.nwb", API), { api: API, dandiset: "000021", path: "sub-1/a@b.nwb" }, "an @ that is not a version stays in the path");
  assert.deepEqual(parseDandi("dandi:000021/x.nwb@draft", API), { api: API, dandiset: "000021", path: "x.nwb", version: "draft" });
  assert.deepEqual(parseDandi(`https://dandiarchive.org/dandiset/000021/0.210913.1639/files?location=sub-718%2Fa.nwb`, API), { api: API, dandiset: "000021", path: "sub-718/a.nwb", version: "0.210913.1639" });
  assert.deepEqual(parseDandi(`https://api.dandiarchive.org/api/assets/${ASSET}/download/`, API), { api: API, asset_id: ASSET });
  assert.deepEqual(parseDandi(`https://api.dandiarchive.org/api/dandisets/000021/versions/draft/assets/?path=sub-1/a.nwb`, API), { api: API, dandiset: "000021", version: "draft", path: "sub-1/a.nwb" });
  assert.deepEqual(parseDandi(`http://127.0.0.1:9/api/assets/${ASSET}/`, "http://127.0.0.1:9/api"), { api: "http://127.0.0.1:9/api", asset_id: ASSET }, "URLs under the configured API");
  assert.equal(parseDandi("https://example.org/data.nwb", API), null, "other URLs are plain URLs");
  assert.throws(() => parseDandi("dandi:21/x.nwb", API), (e: unknown) => e instanceof UserError && /6-digit/.test(e.fix));
  assert.throws(() => parseDandi("https://dandiarchive.org/dandiset/000021", API), (e: unknown) => e instanceof UserError && /does not name one DANDI asset/.test(e.problem));
});

test("dandi: URIs resolve through the API to the asset's S3 URL (most recent published version when none is given)", async () => {
  const ctx = ctxFor(tmpDir("cebra-dandi-"), { allowPrivateUrls: true, dandiApi: `${s3.base}/api` });
  const a = await resolveDandi("dandi:000123/sub-1/sub-1_ophys.nwb", ctx);
  assert.deepEqual({ ...a }, {
    dandiset: "000123",
    version: "0.230101.0000",
    path: "sub-1/sub-1_ophys.nwb",
    asset_id: ASSET,
    api: `${s3.base}/api`,
    url: `${s3.base}/blobs/abc`,
    size: HDF5_HEAD.length,
    sha256: null,
    uri: "dandi:000123/sub-1/sub-1_ophys.nwb@0.230101.0000",
  });
  const byId = await resolveDandi(`${s3.base}/api/assets/${ASSET}/download/`, ctx);
  assert.equal(byId.url, `${s3.base}/blobs/abc`);
  assert.equal(byId.path, "sub-1/sub-1_ophys.nwb");
  const missing = await resolveDandi("dandi:000123/sub-1/none.nwb@0.230101.0000", ctx).catch((e: unknown) => e);
  assert.ok(missing instanceof UserError && /has no asset sub-1\/none\.nwb/.test(missing.problem), String(missing));
});

test("without the opt-in, a DANDI API on a private address is refused at the first request", async () => {
  const ctx = ctxFor(tmpDir("cebra-dandi-"), { allowPrivateUrls: false, dandiApi: `${s3.base}/api` });
  const hits = s3.sent.requests.length;
  const err = await resolveDandi("dandi:000123/sub-1/sub-1_ophys.nwb", ctx).catch((e: unknown) => e);
  assert.ok(err instanceof UserError && err.code === "url_not_allowed" && /loopback/.test(err.problem), String(err));
  assert.equal(s3.sent.requests.length, hits, "nothing was asked");
});

test("a 'public' DANDI API whose S3 URL (or download redirect) is on loopback: the hop to loopback is refused without the opt-in", async (t) => {
  if (!pub) return t.skip("cannot listen on 127.0.0.2 on this machine");
  const policy: NetPolicy = {
    resolve: async () => [{ address: "127.0.0.2", family: 4 }],
    classify: (address) => (address === "127.0.0.2" || address === "::ffff:127.0.0.2" ? null : classifyAddress(address)),
  };
  const ctx = ctxFor(tmpDir("cebra-dandi-"), { allowPrivateUrls: false, dandiApi: `${pub.base}/api`, remoteCacheBytes: DEFAULT_INTAKE_LIMITS.remoteCacheBytes });
  const a = await resolveDandi("dandi:000123/sub-1/sub-1_ophys.nwb", ctx, policy);
  assert.equal(a.url, `${s3.base}/blobs/abc`, "the API (treated as public) answered");
  const hits = s3.sent.requests.length;
  const direct = await probeRemote(a.url, ctx, policy).catch((e: unknown) => e);
  assert.ok(direct instanceof UserError && direct.code === "url_not_allowed" && /127\.0\.0\.1 is a loopback/.test(direct.problem), String(direct));
  const viaRedirect = await probeRemote(`${pub.base}/api/assets/${ASSET}/download/`, ctx, policy).catch((e: unknown) => e);
  assert.ok(viaRedirect instanceof UserError && viaRedirect.code === "url_not_allowed" && /redirected to http:\/\/127\.0\.0\.1/.test(viaRedirect.problem), String(viaRedirect));
  assert.equal(s3.sent.requests.length, hits, "the loopback server was never asked");
  // Control: with the opt-in the redirect is followed and the probe sees the HDF5 file's size.
  const ok = await probeRemote(`${pub.base}/api/assets/${ASSET}/download/`, { ...ctx, allowPrivateUrls: true }, policy);
  assert.equal(ok.size, HDF5_HEAD.length);
  assert.equal(ok.finalUrl, `${s3.base}/blobs/abc`);
  assert.ok(ok.ranges);
});

test("CEBRA_MCP_DANDI_API, CEBRA_MCP_LAZY_MIN_BYTES and CEBRA_MCP_REMOTE_CACHE_BYTES configure the intake; a bad API URL is refused", () => {
  const dflt = parseServeArgs([], {}, "/");
  assert.equal(dflt.intake.dandiApi, "https://api.dandiarchive.org/api");
  const set = parseServeArgs([], { CEBRA_MCP_DANDI_API: "http://127.0.0.1:8000/api/", CEBRA_MCP_LAZY_MIN_BYTES: "1MiB", CEBRA_MCP_REMOTE_CACHE_BYTES: "512MiB" }, "/");
  assert.equal(set.intake.dandiApi, "http://127.0.0.1:8000/api");
  assert.equal(set.intake.lazyMinBytes, 1024 ** 2);
  assert.equal(set.intake.remoteCacheBytes, 512 * 1024 ** 2);
  assert.throws(() => parseServeArgs([], { CEBRA_MCP_DANDI_API: "ftp://x/api" }, "/"), (e: unknown) => e instanceof UserError && /not an http\(s\) URL/.test(e.problem));
});
