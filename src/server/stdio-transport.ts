/**
 * The stdio wire under `serveStdio`: newline-delimited JSON-RPC on stdin/stdout, with bounds the SDK's
 * own StdioServerTransport lacks.
 *  - A line longer than `maxLineBytes` (default the SDK's 10 MiB) is answered with a JSON-RPC error
 *    (id null: the id is inside the discarded bytes) naming the limit and the fix; the rest of the
 *    line is discarded as it streams in (never buffered), and the connection keeps serving. (The SDK's
 *    transport closes the connection, and the server exits with code 0.)
 *  - Invalid JSON gets a Parse error, a JSON value that is not a JSON-RPC message an Invalid Request
 *    error (the SDK drops both silently, leaving the client waiting).
 *  - Before `initialize`, requests other than ping are refused (src/server/lifecycle.ts).
 *  - Writes share one `error` and one `drain` listener on stdout, however many responses wait for a
 *    drain (the SDK adds two per pending write: MaxListenersExceededWarning under load).
 */
import type { Readable, Writable } from "node:stream";
import {
  deserializeMessage,
  serializeMessage,
  STDIO_DEFAULT_MAX_BUFFER_SIZE,
  type JSONRPCErrorResponse,
  type JSONRPCMessage,
  type Transport,
} from "@modelcontextprotocol/server";
import { InitializeGate } from "./lifecycle.js";

const PARSE_ERROR = -32700;
const INVALID_REQUEST = -32600;
const NEWLINE = 0x0a;

export interface StdioWireOptions {
  /** Longest accepted line in bytes (without its newline). */
  maxLineBytes?: number;
  /** Reports problems on the wire (logging only). */
  log?: (message: string) => void;
}

export class BoundedStdioTransport implements Transport {
  onclose?: () => void;
  onerror?: (error: Error) => void;
  onmessage?: (message: JSONRPCMessage) => void;

  private readonly maxLineBytes: number;
  private readonly gate = new InitializeGate();
  private parts: Buffer[] = [];
  private size = 0;
  /** True while the rest of an oversized line is being skipped. */
  private discarding = false;
  private started = false;
  private closed = false;
  private drainWaiters: { resolve: () => void; reject: (e: Error) => void }[] = [];

  constructor(
    private readonly stdin: Readable = process.stdin,
    private readonly stdout: Writable = process.stdout,
    private readonly opts: StdioWireOptions = {},
  ) {
    this.maxLineBytes = opts.maxLineBytes ?? STDIO_DEFAULT_MAX_BUFFER_SIZE;
  }

  async start(): Promise<void> {
    if (this.started) throw new Error("BoundedStdioTransport already started");
    this.started = true;
    this.stdin.on("data", this.onData);
    this.stdin.on("error", this.onStdinError);
    this.stdin.on("end", this.onStdinEnd);
    this.stdin.on("close", this.onStdinEnd);
    this.stdout.on("error", this.onStdoutError);
    this.stdout.on("drain", this.onDrain);
    if (this.stdin.readableEnded || this.stdin.destroyed) setImmediate(this.onStdinEnd);
  }

  async send(message: JSONRPCMessage): Promise<void> {
    if (this.closed) throw new Error("stdio transport is closed");
    this.gate.outbound(message);
    if (this.stdout.write(serializeMessage(message))) return;
    await new Promise<void>((resolve, reject) => this.drainWaiters.push({ resolve, reject }));
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.stdin.off("data", this.onData);
    this.stdin.off("error", this.onStdinError);
    this.stdin.off("end", this.onStdinEnd);
    this.stdin.off("close", this.onStdinEnd);
    this.stdout.off("drain", this.onDrain);
    // The stdout error listener stays: a write failing after close (EPIPE) must not crash the process.
    if (this.stdin.listenerCount("data") === 0) this.stdin.pause();
    this.parts = [];
    this.size = 0;
    this.settleDrainWaiters(new Error("stdio transport closed"));
    this.onclose?.();
  }

  private readonly onData = (chunk: Buffer | string): void => {
    const buf = typeof chunk === "string" ? Buffer.from(chunk) : chunk;
    let start = 0;
    while (start < buf.length && !this.closed) {
      const newline = buf.indexOf(NEWLINE, start);
      const end = newline === -1 ? buf.length : newline;
      if (!this.discarding) this.take(buf.subarray(start, end));
      if (newline === -1) return;
      start = newline + 1;
      if (this.discarding) {
        this.discarding = false;
        continue;
      }
      const line = Buffer.concat(this.parts, this.size);
      this.parts = [];
      this.size = 0;
      this.handleLine(line);
    }
  };

  /** Appends a piece of the current line, or starts discarding it once it exceeds the limit. */
  private take(piece: Buffer): void {
    if (piece.length === 0) return;
    if (this.size + piece.length <= this.maxLineBytes) {
      this.parts.push(piece);
      this.size += piece.length;
      return;
    }
    this.parts = [];
    this.size = 0;
    this.discarding = true;
    const limit = formatMiB(this.maxLineBytes);
    this.opts.log?.(`stdio: discarded a message longer than ${limit}`);
    this.reply({
      jsonrpc: "2.0",
      id: null as unknown as string,
      error: {
        code: INVALID_REQUEST,
        message: `Message too large: a JSON-RPC message on stdin exceeded the limit of ${limit} (${this.maxLineBytes} bytes) and was discarded; the server keeps serving. Fix: keep each message under ${limit}: pass large data as a file path or URL (e.g. load_recording's source), not inline.`,
        data: { limit_bytes: this.maxLineBytes },
      },
    });
  }

  private handleLine(raw: Buffer): void {
    const line = raw.toString("utf8").replace(/\r$/, "");
    if (line.trim() === "") return;
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch {
      return this.reply(errorResponse(null, PARSE_ERROR, "Parse error: the line is not valid JSON. Send one JSON-RPC message per line."));
    }
    let message: JSONRPCMessage;
    try {
      message = deserializeMessage(line);
    } catch {
      const id = value !== null && typeof value === "object" && "id" in value ? (value as { id: unknown }).id : null;
      return this.reply(errorResponse(typeof id === "string" || typeof id === "number" ? id : null, INVALID_REQUEST, "Invalid Request: not a JSON-RPC 2.0 request, notification or response."));
    }
    const refusal = this.gate.inbound(message);
    if (refusal) return this.reply(refusal);
    this.onmessage?.(message);
  }

  private reply(message: JSONRPCErrorResponse): void {
    if (this.closed) return;
    this.send(message).catch((e: Error) => this.onerror?.(e));
  }

  private readonly onDrain = (): void => this.settleDrainWaiters();

  private settleDrainWaiters(error?: Error): void {
    const waiters = this.drainWaiters;
    this.drainWaiters = [];
    for (const w of waiters) (error ? w.reject(error) : w.resolve());
  }

  private readonly onStdinError = (error: Error): void => this.onerror?.(error);

  private readonly onStdinEnd = (): void => void this.close();

  private readonly onStdoutError = (error: Error): void => {
    if (this.closed) return;
    this.settleDrainWaiters(error);
    this.onerror?.(error);
    void this.close();
  };
}

function errorResponse(id: string | number | null, code: number, message: string): JSONRPCErrorResponse {
  return { jsonrpc: "2.0", id: id as string | number, error: { code, message } };
}

function formatMiB(bytes: number): string {
  return bytes % (1024 * 1024) === 0 ? `${bytes / (1024 * 1024)} MiB` : `${bytes} bytes`;
}
