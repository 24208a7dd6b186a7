/**
 * SSRF guard for downloads: which IP addresses a URL load may connect to, and an undici dispatcher
 * that enforces it on the address each socket actually connects to.
 *
 * By default (LoadContext.allowPrivateUrls false) a download may only reach globally routable unicast
 * addresses. The check happens inside the connection itself, so there is no gap between "check" and
 * "connect" for DNS rebinding to slip through:
 *  - host names are resolved by our own `lookup` (handed to net/tls.connect), which drops every
 *    refused address and gives the socket only the checked ones (no second resolution happens);
 *  - literal IP hosts (which never reach `lookup`; WHATWG URL parsing has already turned
 *    `http://2130706433/` and `http://0x7f.1/` into `127.0.0.1`) are checked before the request;
 *  - and the connected socket's `remoteAddress` is checked again before a byte of the request is sent.
 * Redirects are followed by fetch.ts one hop at a time, each hop a new request through the same
 * dispatcher, so every hop is checked. The dispatcher is explicit, so HTTP(S)_PROXY / NO_PROXY
 * environment variables are never consulted (the undici package only honours them through an
 * EnvHttpProxyAgent, which we do not use): a proxy would connect to the target for us, out of reach of
 * this check.
 *
 * Refused ranges (IANA IPv4 and IPv6 Special-Purpose Address Registries, RFC 6890 and updates, plus the
 * forms that embed an IPv4 address):
 *   IPv4  0.0.0.0/8 unspecified ("this network") · 10/8, 172.16/12, 192.168/16 private (RFC 1918) ·
 *         100.64/10 shared / carrier-grade NAT (RFC 6598; also Alibaba's metadata 100.100.100.200) ·
 *         127/8 loopback · 169.254/16 link-local (incl. cloud metadata 169.254.169.254) ·
 *         192.0.0/24 IETF protocol assignments (DS-Lite, NAT64 discovery…) · 192.0.2/24, 198.51.100/24,
 *         203.0.113/24 documentation · 192.88.99/24 deprecated 6to4 relay anycast · 198.18/15
 *         benchmarking · 224/4 multicast · 240/4 reserved, incl. 255.255.255.255 broadcast.
 *   IPv6  ::/128 unspecified · ::1/128 loopback · ::ffff:0:0/96 IPv4-mapped and ::/96 IPv4-compatible
 *         (judged by the embedded IPv4 address; ::/96 is deprecated and refused anyway) · 64:ff9b::/96
 *         NAT64 (judged by the embedded IPv4) · 64:ff9b:1::/48 local-use NAT64 · 100::/64 discard-only ·
 *         2001::/23 IETF protocol assignments (incl. 2001::/32 Teredo, whose obfuscated IPv4 could be
 *         private, and 2001:2::/48 benchmarking) · 2001:db8::/32 and 3fff::/20 documentation ·
 *         2002::/16 6to4 (judged by the embedded IPv4) · 5f00::/16 SRv6 SIDs · fc00::/7 unique-local
 *         (incl. AWS's fd00:ec2::254 metadata) · fe80::/10 link-local · fec0::/10 deprecated site-local ·
 *         ff00::/8 multicast · and everything else outside 2000::/3 (not global unicast).
 */
import { lookup as dnsLookup } from "node:dns";
import { isIP, type LookupFunction, type Socket } from "node:net";
import { Agent, buildConnector } from "undici";

/** A refused range: the address bytes' prefix and why it is refused. */
interface Range {
  bytes: number[];
  bits: number;
  why: string;
}

function v4(cidr: string, why: string): Range {
  const [addr, bits] = cidr.split("/");
  return { bytes: addr!.split(".").map(Number), bits: Number(bits), why };
}

function v6(cidr: string, why: string): Range {
  const [addr, bits] = cidr.split("/");
  return { bytes: [...parseIPv6(addr!)!], bits: Number(bits), why };
}

const LOOPBACK = "a loopback address (this machine)";
const PRIVATE = "a private network address";
const LINK_LOCAL = "a link-local address (incl. cloud metadata services)";
const MULTICAST = "a multicast address";
const UNSPECIFIED = "the unspecified address (reaches this machine)";
const RESERVED = "a reserved special-purpose address";

const IPV4_RANGES: Range[] = [
  v4("0.0.0.0/8", UNSPECIFIED),
  v4("10.0.0.0/8", PRIVATE),
  v4("100.64.0.0/10", "a shared carrier-grade NAT address (private)"),
  v4("127.0.0.0/8", LOOPBACK),
  v4("169.254.0.0/16", LINK_LOCAL),
  v4("172.16.0.0/12", PRIVATE),
  v4("192.0.0.0/24", RESERVED),
  v4("192.0.2.0/24", "a documentation address"),
  v4("192.88.99.0/24", RESERVED),
  v4("192.168.0.0/16", PRIVATE),
  v4("198.18.0.0/15", "a benchmarking address (private)"),
  v4("198.51.100.0/24", "a documentation address"),
  v4("203.0.113.0/24", "a documentation address"),
  v4("224.0.0.0/4", MULTICAST),
  v4("255.255.255.255/32", "the broadcast address"),
  v4("240.0.0.0/4", RESERVED),
];

/** IPv6 ranges that embed an IPv4 address (at byte `at`): judged by that address. */
const IPV6_EMBEDDING: { range: Range; at: number; form: string }[] = [
  { range: v6("::ffff:0:0/96", ""), at: 12, form: "IPv4-mapped" },
  { range: v6("64:ff9b::/96", ""), at: 12, form: "NAT64" },
  { range: v6("2002::/16", ""), at: 2, form: "6to4" },
];

const IPV6_RANGES: Range[] = [
  v6("::/128", UNSPECIFIED),
  v6("::1/128", LOOPBACK),
  v6("::/96", "a deprecated IPv4-compatible address"),
  v6("64:ff9b:1::/48", "a local-use NAT64 address (private)"),
  v6("100::/64", "a discard-only address"),
  v6("2001:db8::/32", "a documentation address"),
  v6("2001::/23", RESERVED),
  v6("3fff::/20", "a documentation address"),
  v6("5f00::/16", RESERVED),
  v6("fc00::/7", "a unique-local address (private)"),
  v6("fe80::/10", LINK_LOCAL),
  v6("fec0::/10", "a deprecated site-local address (private)"),
  v6("ff00::/8", MULTICAST),
];
const GLOBAL_UNICAST = v6("2000::/3", "");

/** The 16 bytes of an IPv6 address (zone id and brackets allowed), or null if it is not one. */
function parseIPv6(text: string): Uint8Array | null {
  let s = text.startsWith("[") && text.endsWith("]") ? text.slice(1, -1) : text;
  s = s.replace(/%.*$/, "");
  if (isIP(s) !== 6) return null;
  const out = new Uint8Array(16);
  const dotted = /(\d+\.\d+\.\d+\.\d+)$/.exec(s);
  if (dotted) {
    const v4bytes = dotted[1]!.split(".").map(Number);
    const hex = ((v4bytes[0]! << 8) | v4bytes[1]!).toString(16) + ":" + ((v4bytes[2]! << 8) | v4bytes[3]!).toString(16);
    s = s.slice(0, dotted.index) + hex;
  }
  const [head, tail] = s.includes("::") ? s.split("::") : [s, undefined];
  const headGroups = head ? head.split(":") : [];
  const tailGroups = tail ? tail.split(":") : [];
  const groups = tail === undefined ? headGroups : [...headGroups, ...Array<string>(8 - headGroups.length - tailGroups.length).fill("0"), ...tailGroups];
  groups.forEach((g, i) => {
    const n = parseInt(g, 16);
    out[2 * i] = n >> 8;
    out[2 * i + 1] = n & 0xff;
  });
  return out;
}

function inRange(bytes: ArrayLike<number>, r: Range): boolean {
  for (let bit = 0; bit < r.bits; bit += 8) {
    const left = Math.min(8, r.bits - bit);
    const mask = (0xff << (8 - left)) & 0xff;
    if ((bytes[bit / 8]! & mask) !== (r.bytes[bit / 8]! & mask)) return false;
  }
  return true;
}

function classifyIPv4(bytes: number[]): string | null {
  return IPV4_RANGES.find((r) => inRange(bytes, r))?.why ?? null;
}

/**
 * Why a download may not connect to `address` (an IPv4 or IPv6 literal, brackets and zone id allowed),
 * or null if it is a globally routable unicast address. Anything that is not an IP address is refused.
 */
export function classifyAddress(address: string): string | null {
  if (isIP(address) === 4) return classifyIPv4(address.split(".").map(Number));
  const bytes = parseIPv6(address);
  if (!bytes) return "not an IP address";
  for (const { range, at, form } of IPV6_EMBEDDING) {
    if (!inRange(bytes, range)) continue;
    const why = classifyIPv4([...bytes.subarray(at, at + 4)]);
    return why && `${why}, in ${form} IPv6 form`;
  }
  const special = IPV6_RANGES.find((r) => inRange(bytes, r));
  if (special) return special.why;
  return inRange(bytes, GLOBAL_UNICAST) ? null : RESERVED;
}

/** A download tried to reach a refused address; fetch.ts turns it into a UserError naming the URL. */
export class BlockedAddressError extends Error {
  /** The redirect target that led there, when it was not the URL asked for. */
  redirectedTo?: string;

  constructor(
    readonly host: string,
    readonly address: string,
    readonly why: string,
  ) {
    super(BlockedAddressError.describe(host, address, why));
    this.name = "BlockedAddressError";
  }

  /** "HOST resolves to ADDRESS, WHY", or "ADDRESS is WHY" when the host is that address. */
  static describe(host: string, address: string, why: string): string {
    const literal = host.replace(/^\[(.*)\]$/, "$1") === address;
    return literal ? `${address} is ${why}` : `${host} resolves to ${address}, ${why}`;
  }
}

/** One resolved address, as dns.lookup gives it with `all: true`. */
export interface ResolvedAddress {
  address: string;
  family: number;
}

/** What the guard uses to resolve and judge addresses; tests inject their own. */
export interface NetPolicy {
  /** All addresses of a host name (default: dns.lookup with all: true, as net.connect would). */
  resolve(hostname: string): Promise<ResolvedAddress[]>;
  /** Why an address is refused, or null if it may be connected to (default: classifyAddress). */
  classify(address: string): string | null;
}

export const DEFAULT_NET_POLICY: NetPolicy = {
  resolve: (hostname) =>
    new Promise((ok, fail) => dnsLookup(hostname, { all: true, verbatim: true }, (err, addresses) => (err ? fail(err) : ok(addresses)))),
  classify: classifyAddress,
};

/** Policy that refuses nothing (allowPrivateUrls) but still resolves through `base.resolve`. */
export function permissive(base: NetPolicy = DEFAULT_NET_POLICY): NetPolicy {
  return { resolve: base.resolve, classify: () => null };
}

/** The URL's host as an IP literal (brackets removed), or null if it is a name. */
function literalHost(url: URL): string | null {
  const host = url.hostname.startsWith("[") ? url.hostname.slice(1, -1) : url.hostname;
  return isIP(host) ? host : null;
}

/** Throws BlockedAddressError if the URL's host is an IP literal the policy refuses (checked before connecting). */
export function checkLiteralHost(url: URL, policy: NetPolicy): void {
  const ip = literalHost(url);
  const why = ip === null ? null : policy.classify(ip);
  if (ip !== null && why) throw new BlockedAddressError(url.hostname, ip, why);
}

/** A net/tls `lookup` that resolves through the policy and passes on only the addresses it allows. */
export function guardedLookup(policy: NetPolicy): LookupFunction {
  return (hostname, options, callback) => {
    const cb = callback as (err: Error | null, address: string | ResolvedAddress[], family?: number) => void;
    policy.resolve(hostname).then(
      (all) => {
        const wanted = options.family === 4 || options.family === 6 ? all.filter((a) => a.family === options.family) : all;
        const allowed = wanted.filter((a) => !policy.classify(a.address));
        if (allowed.length === 0) {
          const first = wanted[0];
          if (!first) return cb(Object.assign(new Error(`${hostname} has no address`), { code: "ENOTFOUND" }), "");
          return cb(new BlockedAddressError(hostname, first.address, policy.classify(first.address) ?? "refused"), "");
        }
        if (options.all) cb(null, allowed);
        else cb(null, allowed[0]!.address, allowed[0]!.family);
      },
      (err: Error) => cb(err, ""),
    );
  };
}

/**
 * An undici dispatcher whose every connection goes through the policy: names resolved by
 * `guardedLookup`, and the connected socket's remote address checked again before the request is sent.
 * Close it (`close()`/`destroy()`) when the download is over.
 */
export function guardedAgent(policy: NetPolicy, timeoutMs: number): Agent {
  const connector = buildConnector({ lookup: guardedLookup(policy), timeout: timeoutMs } as buildConnector.BuildOptions);
  return new Agent({
    connect(opts, callback) {
      return connector(opts, (err, socket) => {
        if (err || !socket) return callback(err ?? new Error("no socket"), null);
        const remote = (socket as Socket).remoteAddress ?? "";
        const why = policy.classify(remote);
        if (why) {
          socket.destroy();
          return callback(new BlockedAddressError(opts.hostname, remote, why), null);
        }
        callback(null, socket);
      });
    },
  });
}
