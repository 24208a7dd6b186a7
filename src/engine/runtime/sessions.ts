/**
 * ONNX Runtime sessions and execution-provider (device) selection.
 *
 * onnxruntime-node has no automatic fallback: a session asked for `cuda` whose provider libraries are
 * missing is rejected even when `cpu` is listed too. So every device is tried in its own
 * `InferenceSession.create`, and for `auto` the first that starts wins (CUDA, then WebGPU, then CPU),
 * with a note saying why each earlier one was skipped. An explicitly requested device that cannot start
 * is a UserError whose fix is the one step that makes it work (see docs/GPU.md).
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { createRequire } from "node:module";
import * as ort from "onnxruntime-node";
import { UserError } from "../../util/errors.js";
import type { Device, ResolvedDevice } from "./devices.js";

/** The order `auto` tries devices in. */
export const AUTO_DEVICE_ORDER: readonly ResolvedDevice[] = ["cuda", "webgpu", "cpu"];

/** The shell step that downloads ORT's CUDA 12 provider libraries into node_modules (script/install.js). */
export const CUDA_INSTALL_COMMAND = "ONNXRUNTIME_NODE_INSTALL=cuda12 npm rebuild onnxruntime-node";

// Provider-load failures are reported through the thrown error; ORT's own red log lines are noise.
ort.env.logLevel = "fatal";

interface SessionRequest {
  device: Device;
  /** ORT intra-op threads; default `defaultThreadCount()`. */
  threads?: number;
}

interface CreatedSession {
  session: ort.InferenceSession;
  device_used: ResolvedDevice;
  /** Why devices tried before `device_used` were skipped (for `auto`). */
  notes: string[];
}

/** Why a device could not start, and what to do about it. */
interface DeviceFailure {
  device: ResolvedDevice;
  reason: string;
  fix: string;
}

/**
 * Default ORT intra-op thread count: 1 on machines with ≤ 2 cores (a second thread gains only while the
 * other core is idle, which a shared server cannot promise: docs/BENCHMARKS.md, "Two ORT threads"),
 * else half the cores, at most 4 (the step graphs are small; more threads mostly add synchronisation).
 */
export function defaultThreadCount(cores: number = os.availableParallelism()): number {
  return cores <= 2 ? 1 : Math.min(4, Math.floor(cores / 2));
}

/** ORT intra-op spinning for sessions with more than one thread: off unless a benchmark turns it on (`setIntraOpSpinning`). */
let intraOpSpinning = false;

/** Turn ORT's intra-op thread spinning on or off for sessions created from now on (`npm run bench -- --threads 2s`). */
export function setIntraOpSpinning(on: boolean): void {
  intraOpSpinning = on;
}

/** Session options for one device: full graph optimisation; spinning off when more than one thread (see `setIntraOpSpinning`). */
export function sessionOptionsFor(device: ResolvedDevice, threads?: number): ort.InferenceSession.SessionOptions {
  const intra = threads ?? defaultThreadCount();
  if (!Number.isInteger(intra) || intra < 1) {
    throw new UserError(`threads must be a positive integer, got ${threads}.`, "Pass threads ≥ 1 or leave it unset.");
  }
  const options: ort.InferenceSession.SessionOptions = {
    executionProviders: [providerFor(device)],
    graphOptimizationLevel: "all",
    executionMode: "sequential",
    intraOpNumThreads: intra,
    interOpNumThreads: 1,
  };
  if (intra > 1) options.extra = { session: { intra_op: { allow_spinning: intraOpSpinning ? "1" : "0" } } };
  return options;
}

function providerFor(device: ResolvedDevice): ort.InferenceSession.ExecutionProviderConfig {
  return device === "cuda" ? { name: "cuda", deviceId: 0 } : device;
}

/**
 * Create an inference session for `onnx` on the requested device.
 * `auto` tries CUDA, WebGPU, CPU in turn and records why each skipped one failed;
 * an explicit device that cannot start throws a UserError with the reason and the fix.
 */
export async function createSession(onnx: Uint8Array, opts: SessionRequest): Promise<CreatedSession> {
  const candidates: readonly ResolvedDevice[] = opts.device === "auto" ? AUTO_DEVICE_ORDER : [opts.device];
  const notes: string[] = [];
  let last: DeviceFailure | undefined;
  for (const device of candidates) {
    // In auto mode a device that failed once in this process is not probed again (a probe costs time,
    // and Dawn prints a Vulkan warning on stderr whenever WebGPU is tried without a Vulkan loader).
    const known = opts.device === "auto" ? unavailable.get(device) ?? precheck(device) : undefined;
    if (known) {
      unavailable.set(device, known);
      last = known;
      notes.push(`${device} skipped: ${known.reason}`);
      continue;
    }
    const options = sessionOptionsFor(device, opts.threads);
    try {
      const session = await ort.InferenceSession.create(onnx, options);
      return { session, device_used: device, notes };
    } catch (e) {
      last = diagnoseFailure(device, errorMessage(e));
      if (opts.device === "auto" && device !== "cpu") unavailable.set(device, last);
      notes.push(`${device} skipped: ${last.reason}`);
    }
  }
  const failure = last!;
  if (opts.device === "auto") {
    // CPU itself failed: not a device problem but a broken graph or installation.
    throw new Error(`No execution provider could run the graph. ${notes.join(" ")}`);
  }
  throw new UserError(`Device "${failure.device}" could not start: ${failure.reason}`, failure.fix, "device_unavailable");
}

/** Devices `auto` found unusable in this process (they do not appear while the process runs). */
const unavailable = new Map<ResolvedDevice, DeviceFailure>();

/** A failure known without creating a session: WebGPU needs the Vulkan loader on Linux. */
function precheck(device: ResolvedDevice): DeviceFailure | undefined {
  if (device === "webgpu" && process.platform === "linux" && !findSharedLibrary("libvulkan.so.1")) {
    return diagnoseFailure("webgpu", "Couldn't load Vulkan: libvulkan.so.1 not found");
  }
  return undefined;
}

function errorMessage(e: unknown): string {
  return (e instanceof Error ? e.message : String(e)).trim();
}

/** Turn ORT's session-creation error for a device into a reason a user understands and a fix. */
export function diagnoseFailure(device: ResolvedDevice, message: string): DeviceFailure {
  if (device === "cuda") return diagnoseCuda(message);
  if (device === "webgpu") return diagnoseWebGpu(message);
  return { device, reason: `CPU session failed: ${message}`, fix: "Check the model graph; the CPU provider is always installed." };
}

const CUDA_REQUIREMENTS = "CUDA 12.x runtime (libcudart/libcublas/libcublasLt .so.12) and cuDNN 9 (libcudnn.so.9) on the library path, and an NVIDIA driver supporting CUDA 12";

function diagnoseCuda(message: string): DeviceFailure {
  const missingLib = /(lib[\w.+-]+\.so[\w.]*): cannot open shared object file/.exec(message)?.[1];
  if (missingLib && !missingLib.startsWith("libonnxruntime_providers")) {
    return {
      device: "cuda",
      reason: `the CUDA provider is installed but ${missingLib} is missing (${message})`,
      fix: `Install ${CUDA_REQUIREMENTS}; set LD_LIBRARY_PATH to their directories. See docs/GPU.md.`,
    };
  }
  if (/Failed to load (shared )?library/i.test(message)) {
    const missing = missingProviderFiles();
    const detail = missing.length ? `: ${missing.join(", ")} not in ${ortBinaryDir()}` : "";
    return {
      device: "cuda",
      reason: `onnxruntime-node's CUDA provider libraries are not installed${detail}`,
      fix: `Run \`${CUDA_INSTALL_COMMAND}\` (downloads them from NuGet, ≈ 400 MB) and install ${CUDA_REQUIREMENTS}. See docs/GPU.md.`,
    };
  }
  if (/CUDA failure 100|no CUDA-capable device/i.test(message)) {
    return {
      device: "cuda",
      reason: "no CUDA-capable GPU is visible to this process",
      fix: "Run on a machine with an NVIDIA GPU (check `nvidia-smi` and CUDA_VISIBLE_DEVICES), or use device \"cpu\".",
    };
  }
  return { device: "cuda", reason: message, fix: `Check ${CUDA_REQUIREMENTS}, or use device "cpu". See docs/GPU.md.` };
}

function diagnoseWebGpu(message: string): DeviceFailure {
  if (/No supported adapters|Couldn't load Vulkan|vkCreateInstance|adapter/i.test(message)) {
    const loader = findSharedLibrary("libvulkan.so.1");
    const reason = loader
      ? "no WebGPU adapter: the Vulkan loader is present but no GPU Vulkan driver (ICD) answered"
      : "no WebGPU adapter: the Vulkan loader libvulkan.so.1 is not installed";
    return {
      device: "webgpu",
      reason,
      fix: "Install the Vulkan loader (Debian/Ubuntu: `apt-get install libvulkan1`) and the GPU vendor's Vulkan driver (NVIDIA: the driver's Vulkan ICD), or use device \"cpu\". See docs/GPU.md.",
    };
  }
  return { device: "webgpu", reason: message, fix: "The WebGPU provider is experimental on Linux; use device \"cpu\" or \"cuda\". See docs/GPU.md." };
}

/** Directory holding libonnxruntime.so.1; ORT loads provider libraries from here. */
function ortBinaryDir(): string {
  const pkg = createRequire(import.meta.url).resolve("onnxruntime-node/package.json");
  return path.join(path.dirname(pkg), "bin", "napi-v6", process.platform, process.arch);
}

const CUDA_PROVIDER_FILES = ["libonnxruntime_providers_shared.so", "libonnxruntime_providers_cuda.so"];

function missingProviderFiles(): string[] {
  const dir = ortBinaryDir();
  return CUDA_PROVIDER_FILES.filter((f) => !fs.existsSync(path.join(dir, f)));
}

/** Look for a shared library in LD_LIBRARY_PATH and the usual system directories (a hint, not a loader). */
function findSharedLibrary(name: string): string | undefined {
  const dirs = [
    ...(process.env.LD_LIBRARY_PATH ?? "").split(":").filter(Boolean),
    "/usr/lib/x86_64-linux-gnu", "/lib/x86_64-linux-gnu", "/usr/lib64", "/usr/lib", "/lib",
  ];
  return dirs.map((d) => path.join(d, name)).find((p) => fs.existsSync(p));
}

/** Versions recorded with every trained model. */
export function runtimeVersions(): { onnxruntime_node: string; node: string } {
  return { onnxruntime_node: ort.env.versions.node ?? "unknown", node: process.versions.node };
}

/** A float32 tensor over `data` (CPU inputs are zero-copy in onnxruntime-node). */
export function f32(data: Float32Array, dims: readonly number[]): ort.Tensor {
  return new ort.Tensor("float32", data, dims);
}

/** A float32 scalar tensor. */
export function scalar(x: number): ort.Tensor {
  return new ort.Tensor("float32", Float32Array.of(x), []);
}

/** The float32 data of a named session output; throws if the graph did not produce it. */
export function outputData(out: ort.InferenceSession.OnnxValueMapType, name: string): Float32Array {
  const t = out[name];
  if (!t || !(t.data instanceof Float32Array)) throw new Error(`Graph output "${name}" missing or not float32.`);
  return t.data;
}
