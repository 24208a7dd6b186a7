/**
 * DANDI sources: `dandi:<dandiset>/<path>[@<version>]` and DANDI archive / API URLs, resolved through
 * the DANDI REST API (base IntakeLimits.dandiApi, env CEBRA_MCP_DANDI_API) to the asset's S3 URL.
 *
 * The API shapes used (DANDI Archive REST API, https://api.dandiarchive.org/swagger/; the URL forms
 * follow dandi-cli, docs/source/ref/urls.rst in github.com/dandi/dandi-cli, and the requests
 * github.com/dandi/dandidav doc/api-requests.md; the asset metadata fields follow the dandischema
 * Asset model, e.g. "contentUrl": [".../api/assets/<id>/download/", "https://dandiarchive.s3.amazonaws.com/blobs/..."]):
 * - GET {api}/dandisets/{id}/ → { identifier, most_recent_published_version: { version } | null,
 *   draft_version: { version } }. A version left out means the most recent published version, else
 *   the draft (as dandi-cli does).
 * - GET {api}/dandisets/{id}/versions/{version}/assets/?path={path} → { count, next, results: [{
 *   asset_id, path, size, ... }] } (path is a prefix filter: the exact path is picked from the results).
 * - GET {api}/dandisets/{id}/versions/{version}/assets/{asset_id}/ and GET {api}/assets/{asset_id}/ →
 *   the asset's metadata: { identifier, path, contentSize, encodingFormat, digest: { "dandi:sha2-256" },
 *   contentUrl: [API download URL, S3 URL] }.
 * - GET {api}/assets/{asset_id}/download/ → a redirect to the S3 object (used when no S3 URL is listed).
 *
 * Every request goes through the SSRF guard (fetch.ts), and so does the S3 URL when it is read.
 */
import { UserError } from "../../util/errors.js";
import { fetchJson, redactUrl, type RequestLimits } from "../fetch.js";
import { DEFAULT_NET_POLICY, type NetPolicy } from "../net-guard.js";

/** A DANDI asset resolved to the URL its bytes are read from. */
export interface DandiAsset {
  dandiset: string | null;
  version: string | null;
  path: string | null;
  asset_id: string;
  /** The API base used. */
  api: string;
  /** Where the bytes are (the S3 URL from contentUrl, or the API's download URL). */
  url: string;
  size: number | null;
  /** SHA-256 of the asset as the archive records it (digest "dandi:sha2-256"), when listed. */
  sha256: string | null;
  /** The source in canonical form: dandi:<dandiset>/<path>@<version>, or the asset's API URL. */
  uri: string;
}

type DandiContext = RequestLimits & { allowPrivateUrls: boolean; dandiApi: string; signal?: AbortSignal };

/** What a DANDI source names before resolution. */
interface DandiRef {
  api: string;
  dandiset?: string;
  version?: string;
  path?: string;
  asset_id?: string;
}

const VERSION = /^(draft|\d+\.\d+\.\d+)$/;
const DANDI_HOSTS = /^(www\.|gui\.|api\.)?dandiarchive\.org$/i;

/** True for `dandi:` sources and URLs of the DANDI archive or of the configured DANDI API. */
export function isDandiSource(source: string, api: string): boolean {
  if (/^dandi:/i.test(source)) return true;
  if (!/^https?:\/\//i.test(source)) return false;
  return parseDandi(source, api) !== null;
}

/** Parse a DANDI source, or null if it is not one (a URL elsewhere). Throws for a malformed dandi: URI. */
export function parseDandi(source: string, api: string): DandiRef | null {
  const base = api.replace(/\/+$/, "");
  const m = /^dandi:(?:\/\/)?(\d{6})\/(.+)$/i.exec(source);
  if (/^dandi:/i.test(source)) {
    if (!m) throw new UserError(`${source} is not a DANDI asset URI.`, "Write dandi:<6-digit dandiset>/<asset path>[@version], e.g. dandi:000021/sub-718/sub-718_ecephys.nwb@draft.");
    let path = m[2]!;
    let version: string | undefined;
    const at = path.lastIndexOf("@");
    if (at > 0 && VERSION.test(path.slice(at + 1))) {
      version = path.slice(at + 1);
      path = path.slice(0, at);
    }
    return { api: base, dandiset: m[1]!, path, ...(version ? { version } : {}) };
  }
  let u: URL;
  try {
    u = new URL(source);
  } catch {
    return null;
  }
  const underApi = source.startsWith(`${base}/`);
  if (!underApi && !DANDI_HOSTS.test(u.hostname)) return null;
  const apiBase = underApi ? base : u.hostname.toLowerCase().startsWith("api.") ? `${u.origin}/api` : base;
  const rest = underApi ? source.slice(base.length).split(/[?#]/)[0]! : u.pathname.replace(/^\/api(?=\/)/, "");
  const fragment = u.hash.replace(/^#/, "");
  // GUI: /dandiset/<id>[/<version>][/files]?location=<path> (also behind #/).
  const gui = /^\/dandiset\/(\d{6})(?:\/([^/?]+))?(?:\/files)?\/?$/.exec(fragment.startsWith("/") ? fragment.split("?")[0]! : rest);
  const location = u.searchParams.get("location") ?? new URLSearchParams(fragment.split("?")[1] ?? "").get("location");
  if (gui && location && !location.endsWith("/")) return { api: apiBase, dandiset: gui[1]!, path: location, ...(gui[2] && gui[2] !== "files" ? { version: gui[2] } : {}) };
  const asset = /^\/assets\/([0-9a-f-]{36})(?:\/download)?\/?$/i.exec(rest);
  if (asset) return { api: apiBase, asset_id: asset[1]! };
  const versioned = /^\/dandisets\/(\d{6})\/versions\/([^/]+)\/assets\/(?:([0-9a-f-]{36})(?:\/download)?\/?)?$/i.exec(rest);
  if (versioned) {
    const path = u.searchParams.get("path");
    if (versioned[3]) return { api: apiBase, dandiset: versioned[1]!, version: versioned[2]!, asset_id: versioned[3] };
    if (path) return { api: apiBase, dandiset: versioned[1]!, version: versioned[2]!, path };
  }
  if (DANDI_HOSTS.test(u.hostname) || underApi) {
    throw new UserError(
      `${redactUrl(source)} does not name one DANDI asset.`,
      "Use dandi:<dandiset>/<path>[@version], https://dandiarchive.org/dandiset/<id>/<version>/files?location=<path>, or an asset URL …/api/assets/<asset_id>/download/.",
    );
  }
  return null;
}

/** Resolve a DANDI source to its asset and the URL of its bytes (every request through the SSRF guard). */
export async function resolveDandi(source: string, ctx: DandiContext, policy: NetPolicy = DEFAULT_NET_POLICY): Promise<DandiAsset> {
  const ref = parseDandi(source, ctx.dandiApi);
  if (!ref) throw new UserError(`${redactUrl(source)} is not a DANDI source.`, "Use dandi:<dandiset>/<path>[@version].");
  const get = async (url: string) => (await fetchJson(url, ctx, policy)).json as Record<string, unknown> | null;
  let version = ref.version ?? null;
  if (ref.dandiset && !version) {
    const info = await get(`${ref.api}/dandisets/${ref.dandiset}/`);
    if (!info) throw new UserError(`Dandiset ${ref.dandiset} was not found at ${ref.api}.`, "Check the dandiset number (6 digits) and CEBRA_MCP_DANDI_API.");
    const published = (info.most_recent_published_version as { version?: string } | null)?.version;
    version = published ?? (info.draft_version as { version?: string } | null)?.version ?? "draft";
  }
  let assetId = ref.asset_id ?? null;
  if (!assetId) {
    const list = await get(`${ref.api}/dandisets/${ref.dandiset}/versions/${encodeURIComponent(version!)}/assets/?path=${encodeURIComponent(ref.path!)}&page_size=100`);
    const results = Array.isArray(list?.results) ? (list!.results as { asset_id?: string; path?: string }[]) : [];
    assetId = results.find((r) => r.path === ref.path)?.asset_id ?? null;
    if (!assetId) {
      const near = results.slice(0, 5).map((r) => r.path).filter(Boolean);
      throw new UserError(
        `Dandiset ${ref.dandiset} version ${version} has no asset ${ref.path}${list ? "" : " (the version was not found)"}.`,
        near.length ? `Assets whose path starts the same: ${near.join(", ")}.` : "Check the path (as listed on dandiarchive.org, without a leading /) and the version.",
      );
    }
  }
  const metaUrl = ref.dandiset && version ? `${ref.api}/dandisets/${ref.dandiset}/versions/${encodeURIComponent(version)}/assets/${assetId}/` : `${ref.api}/assets/${assetId}/`;
  const meta = await get(metaUrl);
  if (!meta) throw new UserError(`DANDI asset ${assetId} was not found at ${ref.api}.`, "Check the asset id and CEBRA_MCP_DANDI_API.");
  if (/zarr/i.test(String(meta.encodingFormat ?? ""))) {
    throw new UserError(`DANDI asset ${assetId} is a Zarr folder, which cebra-mcp does not read.`, "Pick an .nwb (HDF5) asset of the dandiset.");
  }
  const urls = (Array.isArray(meta.contentUrl) ? meta.contentUrl : []).filter((x): x is string => typeof x === "string" && /^https?:\/\//i.test(x));
  const direct = urls.find((x) => !x.startsWith(`${ref.api}/`)) ?? urls[0] ?? `${ref.api}/assets/${assetId}/download/`;
  const digest = (meta.digest as Record<string, unknown> | undefined)?.["dandi:sha2-256"];
  const path = ref.path ?? (typeof meta.path === "string" ? meta.path : null);
  const dandiset = ref.dandiset ?? null;
  return {
    dandiset,
    version,
    path,
    asset_id: assetId,
    api: ref.api,
    url: direct,
    size: typeof meta.contentSize === "number" ? meta.contentSize : null,
    sha256: typeof digest === "string" && /^[0-9a-f]{64}$/i.test(digest) ? digest.toLowerCase() : null,
    uri: dandiset && path ? `dandi:${dandiset}/${path}@${version}` : `${ref.api}/assets/${assetId}/`,
  };
}
