/**
 * The 2025-era lifecycle on one connection: until the server has answered `initialize`, only
 * `initialize` and `ping` are served (2025-11-25 lifecycle: "the client SHOULD NOT send requests other
 * than pings before the server has responded to the initialize request"); any other request is
 * answered with a JSON-RPC Invalid Request error that says to initialize first, and the connection
 * keeps serving, so a later `initialize` works. Requests that carry a 2026-era `_meta` envelope claim
 * (protocol version per request, no `initialize` in that era) pass: the SDK's era routing judges them.
 * Notifications and responses pass.
 */
import { isJSONRPCRequest, isJSONRPCResultResponse, PROTOCOL_VERSION_META_KEY, type JSONRPCErrorResponse, type JSONRPCMessage, type RequestId } from "@modelcontextprotocol/server";

/** JSON-RPC 2.0 "Invalid Request". */
const INVALID_REQUEST = -32600;

export class InitializeGate {
  private initialized = false;
  /** Ids of `initialize` requests not yet answered. */
  private readonly pending = new Set<RequestId>();

  /** Whether an `initialize` request has been answered successfully on this connection. */
  get isInitialized(): boolean {
    return this.initialized;
  }

  /** The refusal to send instead of delivering `message`, or undefined to deliver it. */
  inbound(message: JSONRPCMessage): JSONRPCErrorResponse | undefined {
    if (this.initialized || !isJSONRPCRequest(message)) return undefined;
    if (message.method === "initialize") {
      this.pending.add(message.id);
      return undefined;
    }
    if (message.method === "ping" || carriesEnvelopeClaim(message.params)) return undefined;
    return {
      jsonrpc: "2.0",
      id: message.id,
      error: {
        code: INVALID_REQUEST,
        message: `Server not initialized: '${message.method}' arrived before initialize. Send an initialize request first (and notifications/initialized after its response); only ping is served before it.`,
      },
    };
  }

  /** Watches what the server sends: a successful answer to a pending `initialize` opens the connection. */
  outbound(message: JSONRPCMessage): void {
    if (this.initialized || !("id" in message) || message.id === undefined || !this.pending.has(message.id)) return;
    this.pending.delete(message.id);
    if (isJSONRPCResultResponse(message)) this.initialized = true;
  }
}

function carriesEnvelopeClaim(params: unknown): boolean {
  const meta = params !== null && typeof params === "object" ? (params as { _meta?: unknown })._meta : undefined;
  return meta !== null && typeof meta === "object" && PROTOCOL_VERSION_META_KEY in meta;
}
