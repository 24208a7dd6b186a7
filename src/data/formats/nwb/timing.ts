/**
 * Sample times of an NWB series, always from the file: `timestamps`, or `starting_time` with its `rate`
 * attribute. A rate given in the options must agree with the file's (an error names both otherwise);
 * only a series that carries no time at all takes its times from the option.
 */
import { UserError } from "../../../util/errors.js";
import { medianStep } from "../../arrays.js";
import type { Hdf5Reader } from "../hdf5.js";
import { timeBase } from "./walk.js";

/** Sample times of one series, with where they came from. */
export interface SeriesTimes {
  timestamps: Float64Array;
  rate_hz: number;
  /** "<path>@rate", "<path> (median step)" or "sampling_rate_hz option". */
  rate_source: string;
  /** Largest step / smallest step, when the timestamps are not evenly spaced (1 % tolerance). */
  irregular?: { min_step_s: number; max_step_s: number };
}

/** Relative disagreement tolerated between an explicit rate and a rate attribute / timestamps. */
const RATE_ATTR_TOLERANCE = 1e-6;
const TIMESTAMP_RATE_TOLERANCE = 0.01;

/** Times of the `T` samples of series `p` (a UserError names the series when they cannot be had). */
export function seriesTimes(reader: Hdf5Reader, p: string, T: number, rateOption?: number): SeriesTimes {
  const tb = timeBase(reader, p);
  if (tb?.kind === "timestamps") {
    const ts = reader.readNumeric(tb.path, "f64").data;
    if (ts.length !== T) throw new UserError(`${reader.what(tb.path)} has ${ts.length} entries but ${p}/data has ${T} samples.`, "The file is inconsistent; check that it is complete.");
    const dt = medianStep(ts);
    const rate = dt > 0 ? Number((1 / dt).toPrecision(9)) : NaN;
    if (!(rate > 0)) {
      if (rateOption === undefined) throw new UserError(`${reader.what(tb.path)} does not increase, so it gives no sampling rate.`, "Fix the timestamps in the file, or pass sampling_rate_hz.");
      return { timestamps: ts, rate_hz: rateOption, rate_source: "sampling_rate_hz option (the timestamps give none)" };
    }
    checkRate(rateOption, rate, `${tb.path} (median step ${fmt(dt)} s)`, TIMESTAMP_RATE_TOLERANCE);
    return { timestamps: ts, rate_hz: rate, rate_source: `${tb.path} (median step)`, ...irregularity(ts, dt) };
  }
  if (tb?.kind === "starting_time@rate") {
    const t0 = reader.readNumeric(tb.path, "f64").data[0] ?? 0;
    const rate = tb.rate_hz;
    if (rate === undefined) {
      if (rateOption === undefined) throw new UserError(`${reader.what(tb.path)} has no positive 'rate' attribute.`, "Pass sampling_rate_hz, or fix the file.");
      return { timestamps: regular(T, t0, rateOption), rate_hz: rateOption, rate_source: "sampling_rate_hz option (starting_time has no rate)" };
    }
    checkRate(rateOption, rate, `${tb.path}@rate`, RATE_ATTR_TOLERANCE);
    return { timestamps: regular(T, t0, rate), rate_hz: rate, rate_source: `${tb.path}@rate` };
  }
  if (rateOption === undefined) throw new UserError(`${reader.what(p)} has neither timestamps nor starting_time, so its sample times are unknown.`, "Pass sampling_rate_hz (samples then start at 0 s), or fix the file.");
  return { timestamps: regular(T, 0, rateOption), rate_hz: rateOption, rate_source: "sampling_rate_hz option (the series has no times)" };
}

/** A UserError when an explicit rate disagrees with the file's. */
export function checkRate(option: number | undefined, file: number, where: string, tolerance = RATE_ATTR_TOLERANCE): void {
  if (option === undefined) return;
  if (Math.abs(option - file) > tolerance * file) {
    throw new UserError(
      `sampling_rate_hz is ${option} Hz but the file says ${fmt(file)} Hz (${where}).`,
      "Drop sampling_rate_hz: the rate is read from the file. If the file is wrong, fix the file (or load its arrays with format: \"hdf5\" and keys).",
    );
  }
}

function regular(T: number, t0: number, rate: number): Float64Array {
  return Float64Array.from({ length: T }, (_, t) => t0 + t / rate);
}

function irregularity(ts: Float64Array, dt: number): Pick<SeriesTimes, "irregular"> {
  let lo = Infinity;
  let hi = -Infinity;
  for (let i = 1; i < ts.length; i++) {
    const d = ts[i] - ts[i - 1];
    if (d < lo) lo = d;
    if (d > hi) hi = d;
  }
  return hi - lo > 0.02 * dt ? { irregular: { min_step_s: lo, max_step_s: hi } } : {};
}

export function fmt(x: number): string {
  return Number(x.toPrecision(6)).toString();
}
