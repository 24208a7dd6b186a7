/**
 * Stateful serving of 2025-era ("legacy", `initialize`-based) Streamable HTTP clients: one
 * `McpServer` + `WebStandardStreamableHTTPServerTransport` per `Mcp-Session-Id`, so every POST of a
 * session — notably a `notifications/cancelled` sent while a tool call waits — reaches the server
 * instance that runs the call. (The SDK's own legacy leg is stateless: a fresh server per POST, which
 * never sees the call a cancellation names.)
 *
 * Session rules (Streamable HTTP, 2025-11-25): an `initialize` POST without a session id opens a
 * session and the response carries its id; any other request without an id → 400; an unknown id →
 * 404 (the client then re-initializes); DELETE ends a session. Memory is bounded: at most
 * `maxSessions` sessions, and a session with no open exchange for `idleMs` is closed.
 */
import { randomUUID } from "node:crypto";
import { isInitializeRequest, WebStandardStreamableHTTPServerTransport, type McpServer } from "@modelcontextprotocol/server";

/** Bounds on legacy-era sessions. */
export interface SessionLimits {
  /** Most sessions at once; a new one then replaces the longest-idle session, or is refused (503) if all are busy. */
  maxSessions: number;
  /** A session with no open exchange (request or GET stream) for this long is closed. */
  idleMs: number;
}

export const DEFAULT_SESSION_LIMITS: SessionLimits = { maxSessions: 64, idleMs: 30 * 60_000 };

interface LegacySessionOptions extends SessionLimits {
  /** Largest POST body a session's transport reads. */
  maxRequestBodySize: number;
  /** Reports transport errors (logging only). */
  onerror?: (error: Error) => void;
  /** Clock in ms (tests inject one to expire sessions without waiting). */
  now?: () => number;
}

interface Session {
  readonly server: McpServer;
  readonly transport: WebStandardStreamableHTTPServerTransport;
  /** Exchanges (POST responses, GET streams) not yet finished. */
  open: number;
  /** When an exchange last started or ended. */
  lastSeen: number;
}

const SESSION_HEADER = "mcp-session-id";
/**
 * Sent first on every event stream: node:http sends response headers only with the first body
 * bytes, so a quiet GET stream would otherwise show its status only at the first keep-alive (15 s).
 * SSE clients ignore comment lines.
 */
const SSE_OPENING_COMMENT = new TextEncoder().encode(": stream open\n\n");

/** The legacy-era leg of the HTTP endpoint: a fetch-shaped handler over a bounded session map. */
export class LegacySessions {
  private readonly sessions = new Map<string, Session>();
  private readonly now: () => number;
  private readonly sweeper: NodeJS.Timeout;
  private closed = false;

  constructor(
    private readonly factory: () => McpServer,
    private readonly opts: LegacySessionOptions,
  ) {
    this.now = opts.now ?? Date.now;
    this.sweeper = setInterval(() => void this.sweep(), Math.max(1000, Math.min(opts.idleMs, 60_000)));
    this.sweeper.unref();
  }

  /** Number of open sessions. */
  get size(): number {
    return this.sessions.size;
  }

  /** Serves one legacy-era request (POST, GET stream or DELETE). */
  async fetch(request: Request): Promise<Response> {
    if (this.closed) return jsonRpcError(503, "The server is shutting down.");
    const id = request.headers.get(SESSION_HEADER);
    if (id) {
      const session = this.sessions.get(id);
      if (!session) return jsonRpcError(404, "Session not found: it ended or expired. Send a new initialize request without Mcp-Session-Id.", -32001);
      return this.exchange(session, request);
    }
    const opening = await opensSession(request);
    if (opening === "unparseable") return jsonRpcError(400, "Parse error: Invalid JSON", -32700);
    if (!opening) return jsonRpcError(400, "Bad Request: Mcp-Session-Id header is required (only an initialize request may come without one).");
    if (!this.makeRoom()) return jsonRpcError(503, `Too many open sessions (${this.opts.maxSessions}), all busy. Retry later.`);
    return this.exchange(await this.openSession(), request);
  }

  /** Closes sessions that had no open exchange for `idleMs`; returns how many. */
  async sweep(): Promise<number> {
    const expired = [...this.sessions].filter(([, s]) => s.open === 0 && this.now() - s.lastSeen >= this.opts.idleMs);
    await Promise.all(expired.map(([id]) => this.end(id)));
    return expired.length;
  }

  /** Ends every session (in-flight calls are aborted) and stops the sweeper. */
  async close(): Promise<void> {
    this.closed = true;
    clearInterval(this.sweeper);
    await Promise.all([...this.sessions.keys()].map((id) => this.end(id)));
  }

  /** A server + transport whose session is registered once its initialize succeeds. */
  private async openSession(): Promise<Session> {
    const server = this.factory();
    const transport = new WebStandardStreamableHTTPServerTransport({
      sessionIdGenerator: randomUUID,
      maxRequestBodySize: this.opts.maxRequestBodySize,
      onsessioninitialized: (id) => void this.sessions.set(id, session),
    });
    const session: Session = { server, transport, open: 0, lastSeen: this.now() };
    transport.onclose = () => {
      if (transport.sessionId) this.sessions.delete(transport.sessionId);
    };
    transport.onerror = (e) => this.opts.onerror?.(e);
    await server.connect(transport);
    return session;
  }

  /** Runs one exchange on a session, counting it open until its response body is done. */
  private async exchange(session: Session, request: Request): Promise<Response> {
    session.open++;
    session.lastSeen = this.now();
    let done = false;
    const finish = () => {
      if (done) return;
      done = true;
      session.open--;
      session.lastSeen = this.now();
    };
    let response: Response;
    try {
      response = await session.transport.handleRequest(request);
    } catch (e) {
      finish();
      throw e;
    }
    if (!session.transport.sessionId) await session.server.close(); // a failed initialize leaves nothing behind
    if (response.body === null) {
      finish();
      return response;
    }
    const sse = response.headers.get("content-type")?.startsWith("text/event-stream") ?? false;
    return new Response(onBodyDone(response.body, finish, sse ? SSE_OPENING_COMMENT : undefined), { status: response.status, statusText: response.statusText, headers: response.headers });
  }

  /** Below the cap, or made so by ending the longest-idle session without open exchanges. */
  private makeRoom(): boolean {
    if (this.sessions.size < this.opts.maxSessions) return true;
    const idle = [...this.sessions].filter(([, s]) => s.open === 0).sort(([, a], [, b]) => a.lastSeen - b.lastSeen);
    if (idle.length === 0) return false;
    void this.end(idle[0]![0]);
    return true;
  }

  private async end(id: string): Promise<void> {
    const session = this.sessions.get(id);
    this.sessions.delete(id);
    await session?.server.close().catch((e: Error) => this.opts.onerror?.(e));
  }
}

/** Whether a session-less request is an initialize POST (the only kind that may open a session). */
async function opensSession(request: Request): Promise<boolean | "unparseable"> {
  if (request.method.toUpperCase() !== "POST") return false;
  let body: unknown;
  try {
    body = JSON.parse(await request.clone().text());
  } catch {
    return "unparseable";
  }
  return (Array.isArray(body) ? body : [body]).some((m) => isInitializeRequest(m));
}

/**
 * The same byte stream (after `first`, if given), calling `done` once when it ends, fails or is
 * cancelled by the reader.
 */
function onBodyDone(body: ReadableStream<Uint8Array>, done: () => void, first?: Uint8Array): ReadableStream<Uint8Array> {
  const reader = body.getReader();
  return new ReadableStream<Uint8Array>({
    start(controller) {
      if (first) controller.enqueue(first);
    },
    async pull(controller) {
      try {
        const { done: ended, value } = await reader.read();
        if (ended) {
          done();
          controller.close();
        } else controller.enqueue(value);
      } catch (e) {
        done();
        controller.error(e);
      }
    },
    async cancel(reason) {
      done();
      await reader.cancel(reason);
    },
  });
}

function jsonRpcError(status: number, message: string, code = -32000): Response {
  return Response.json({ jsonrpc: "2.0", error: { code, message }, id: null }, { status });
}
