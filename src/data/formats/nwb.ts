/**
 * NWB files: detect which supported layout a file has and load it.
 * Supported: Allen 2P NWB 1.x, Allen 2P NWB 2.x, Allen Neuropixels NWB 2.x (formats/nwb/*.ts), and any
 * other NWB 2.x file read by neurodata type (formats/nwb/standard.ts). The Allen layouts are matched
 * first, by what only Allen files have (the pipeline group of NWB 1.x; `<stimulus>_stimulus`
 * presentations beside DfOverF; AllenSDK unit metrics beside `*_presentations`).
 *
 * Also HDF5_FORMATS, the registry entries of every HDF5-based format (formats/index.ts): generic HDF5,
 * "nwb" (whichever supported layout the file has) and each layout by name. They live here because a
 * file detected as HDF5 is read with its NWB layout when it has one.
 */
import { UserError } from "../../util/errors.js";
import type { FileFormat } from "./format.js";
import { isHdf5, loadGenericHdf5, withHdf5, type Hdf5Reader } from "./hdf5.js";
import { isAllen2pV1, isAllen2pV2, loadAllen2p } from "./nwb/allen2p.js";
import { isAllenNeuropixels, loadAllenNeuropixels } from "./nwb/neuropixels.js";
import { loadStandardNwb } from "./nwb/standard.js";
import { isStandardNwb } from "./nwb/walk.js";
import type { LoadOptions } from "../options.js";
import type { Recording } from "../recording.js";

export type NwbLayout = "nwb-allen-2p-v1" | "nwb-allen-2p-v2" | "nwb-allen-neuropixels" | "nwb-standard";

/** AllenSDK unit metrics (not part of the NWB Units schema). */
const ALLEN_UNIT_METRICS = ["isi_violations", "presence_ratio", "amplitude_cutoff"];

/** The supported layout of an open HDF5 file, or null if it matches none. */
export function detectNwbLayout(reader: Hdf5Reader): NwbLayout | null {
  if (isAllen2pV1(reader)) return "nwb-allen-2p-v1";
  if (isAllen2pV2(reader) && reader.children("/stimulus/presentation").some((n) => n.endsWith("_stimulus"))) return "nwb-allen-2p-v2";
  if (
    isAllenNeuropixels(reader) &&
    ALLEN_UNIT_METRICS.some((c) => reader.isDataset(`/units/${c}`)) &&
    reader.children("/intervals").some((n) => n.endsWith("_presentations") && reader.isDataset(`/intervals/${n}/frame`))
  ) {
    return "nwb-allen-neuropixels";
  }
  if (isStandardNwb(reader)) return "nwb-standard";
  // Files without an NWB 2.x version keep the earlier, looser matches.
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
      `${reader.name} has none of the supported NWB layouts (it has no nwb_version 2.x, and none of /processing/brain_observatory_pipeline, /processing/ophys/DfOverF and /units/spike_times).`,
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
    case "nwb-standard":
      return loadStandardNwb(reader, opts, signal);
  }
}

/**
 * Generic HDF5 when forced with format "hdf5". A file detected as HDF5 is read with its NWB layout if
 * it has one and `keys.neural` does not name the data, otherwise as generic HDF5.
 */
const HDF5_FORMAT: FileFormat = {
  name: "hdf5",
  signature: isHdf5,
  extensions: [".h5", ".hdf5", ".hdf", ".nwb", ".mat"],
  load: (file, opts, ctx) => withHdf5(file, ctx, (reader) => loadGenericHdf5(reader, opts)),
  loadDetected: (file, opts, ctx) =>
    withHdf5(file, ctx, (reader) => {
      const layout = opts.keys?.neural ? null : detectNwbLayout(reader);
      return layout ? loadNwb(reader, layout, opts, ctx.signal) : loadGenericHdf5(reader, opts);
    }),
};

/** An NWB format by name: "nwb" reads the file's detected layout (or explains that it has none), a layout name reads that layout. */
function nwbFormat(layout: NwbLayout | "nwb"): FileFormat {
  return { name: layout, load: (file, opts, ctx) => withHdf5(file, ctx, (reader) => loadNwb(reader, layout, opts, ctx.signal)) };
}

/** The HDF5-based formats in registry order. Only generic HDF5 is detected from the bytes; the NWB ones are chosen inside it or forced by name. */
export const HDF5_FORMATS: readonly FileFormat[] = [
  HDF5_FORMAT,
  nwbFormat("nwb"),
  nwbFormat("nwb-allen-2p-v1"),
  nwbFormat("nwb-allen-2p-v2"),
  nwbFormat("nwb-allen-neuropixels"),
  nwbFormat("nwb-standard"),
];
