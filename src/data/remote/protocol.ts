/**
 * What the reading thread (range-file.ts) and its helper thread (fetch-thread.ts) share: the helper's
 * start data, the request message and the states of the shared control word. Kept apart from
 * fetch-thread.ts, which runs its thread as soon as it is imported.
 */
import type { RequestLimits } from "../fetch.js";

/** What range-file.ts hands this thread. */
export interface FetchThreadData {
  /** The URL to read, credentials included (they never leave this process; sent to its own origin only). */
  url: string;
  size: number;
  etag?: string;
  blockSize: number;
  /** Folder of this file's blocks, and the cache root (`<cacheDir>/remote`) with its size cap. */
  dir: string;
  root: string;
  capBytes: number;
  limits: RequestLimits & { allowPrivateUrls: boolean };
  /** Int32 control words: [0] state (see STATE), [1] byte length of the error in `error`. */
  control: SharedArrayBuffer;
  error: SharedArrayBuffer;
  /** Float64 counters: [0] bytes this file transferred. */
  transferred: SharedArrayBuffer;
  /** The load's own counter (LoadContext.fetchedBytes), when it has one. */
  loadCounter?: SharedArrayBuffer;
}

/** Values of control word 0. */
export const STATE = { idle: 0, busy: 1, done: 2, failed: 3 } as const;

/** A request for blocks [first, first + count). */
export interface BlockRequest {
  first: number;
  count: number;
}

