/**
 * Hostile variants of a CEBRA checkpoint, built from a committed fixture (test/fixtures/cebra-pt): a
 * pickle that calls os.system, a truncated zip, a truncated pickle, a storage shorter than its tensor,
 * and a member whose directory entry claims a huge size.
 */
import { readFileSync, writeFileSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { ZipArchive, bytesSource } from "../../src/data/formats/zip.js";
import { writeZip, type BuildMember } from "./zip-builder.js";

export const CEBRA_PT = resolve(dirname(fileURLToPath(import.meta.url)), "../../../test/fixtures/cebra-pt");
export const READ_LIMITS = { budgetBytes: 64 * 1024 ** 2, maxInflateRatio: 1032, ratioGraceBytes: 1024 ** 2 };

/** The members of fixture `name` (e.g. "offset10-time"), stored. */
function members(name: string): BuildMember[] {
  const zip = ZipArchive.open(bytesSource(new Uint8Array(readFileSync(resolve(CEBRA_PT, `${name}.pt`)))), name, READ_LIMITS);
  try {
    return zip.entries.map((e) => ({ name: e.name, data: zip.read(e), method: 0 }));
  } finally {
    zip.close();
  }
}

/** protocol 2: os.system("echo pwned") — GLOBAL, BINUNICODE, TUPLE1, REDUCE, STOP. */
export function osSystemPickle(): Uint8Array {
  const cmd = Buffer.from("echo pwned");
  const len = Buffer.alloc(4);
  len.writeUInt32LE(cmd.length);
  return Buffer.concat([Buffer.from([0x80, 0x02]), Buffer.from("cos\nsystem\n", "latin1"), Buffer.from([0x58]), len, cmd, Buffer.from([0x85, 0x52, 0x2e])]);
}

export type Hostile = "os_system" | "truncated_zip" | "truncated_pickle" | "short_storage" | "huge_entry";

/** Writes hostile variant `kind` of fixture offset10-time to `file`. */
export function writeHostile(kind: Hostile, file: string): void {
  const name = "offset10-time";
  const ms = members(name);
  const pkl = ms.find((m) => m.name.endsWith("/data.pkl"))!;
  const storage = ms.find((m) => m.name === `${name}/data/0`)!;
  if (kind === "os_system") pkl.data = osSystemPickle();
  if (kind === "truncated_pickle") pkl.data = pkl.data!.subarray(0, Math.floor(pkl.data!.length / 2));
  if (kind === "short_storage") storage.data = storage.data!.subarray(0, 8);
  if (kind === "huge_entry") Object.assign(storage, { method: 8, zeros: 0, declaredSize: 2 ** 31 });
  writeZip(file, ms, "none");
  // Half of the real archive: its central directory is gone.
  if (kind === "truncated_zip") writeFileSync(file, readFileSync(file).subarray(0, Math.floor(readFileSync(file).length / 2)));
}
