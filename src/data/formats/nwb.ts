/**
 * NWB files: detect which supported layout a file has and load it.
 * Supported: Allen 2P NWB 1.x, Allen 2P NWB 2.x, Allen Neuropixels NWB 2.x (src/data/nwb/*.ts).
 */
import { UserError } from "../../util/errors.js";
import type { Hdf5Reader } from "./hdf5.js";
import { isAllen2pV1, isAllen2pV2, loadAllen2p } from "./nwb/allen2p.js";
import { isAllenNeuropixels, loadAllenNeuropixels } from "./nwb/neuropixels.js";
import type { LoadOptions } from "../options.js";
import type { Recording } from "../recording.js";

export type NwbLayout = "nwb-allen-2p-v1" | "nwb-allen-2p-v2" | "nwb-allen-neuropixels";

/** The supported layout of an open HDF5 file, or null if it matches none. */
export function detectNwbLayout(reader: Hdf5Reader): NwbLayout | null {
  if (isAllen2pV1(reader)) return "nwb-allen-2p-v1";
  if (isAllen2pV2(reader)) return "nwb-allen-2p-v2";
  if (isAllenNeuropixels(reader)) return "nwb-allen-neuropixels";
  return null;
}

/**
 * Load an NWB file with the given layout, or the detected one when `layout` is "nwb".
 * A missing group surfaces as a UserError naming the path and the file.
 */
export function loadNwb(reader: Hdf5Reader, layout: NwbLayout | "nwb", opts: LoadOptions, signal?: AbortSignal): Recording {
  const chosen = layout === "nwb" ? detectNwbLayout(reader) : layout;
  if (!chosen) {
    throw new UserError(
      `${reader.name} has none of the supported NWB layouts (looked for /processing/brain_observatory_pipeline, /processing/ophys/DfOverF and /units/spike_times).`,
      `Read it as generic HDF5: format: "hdf5", keys: { neural: "<dataset path>", ... }. Datasets in the file: ${reader.listDatasets(15).join("; ")}.`,
    );
  }
  switch (chosen) {
    case "nwb-allen-2p-v1":
      return loadAllen2p(reader, 1, opts);
    case "nwb-allen-2p-v2":
      return loadAllen2p(reader, 2, opts);
    case "nwb-allen-neuropixels":
      return loadAllenNeuropixels(reader, opts, signal);
  }
}
