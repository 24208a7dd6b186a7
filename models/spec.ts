/**
 * Declarative architecture specs (data only; src/engine/cebra/architectures.ts turns them into graphs),
 * and parametrised families of them.
 *
 * A spec mirrors CEBRA's layer list in `cebra/models/model.py`. Sizes are expressions over
 * N (input neurons), H (`num_hidden_units`) and D (`output_dimension`): a number, a name, or a
 * product / floor-division / sum such as "H//2", "30*D", "N+H".
 */

/** A size expression, e.g. 32, "H", "H//2", "30*D", "N+H". */
export type SizeExpr = number | string;

/** Conv1d without padding over the time axis (PyTorch default init, bias on). */
interface ConvLayer {
  type: "conv";
  in: SizeExpr;
  out: SizeExpr;
  kernel: number;
  stride?: number;
}

/** nn.Linear applied to a window of length 1 (a kernel-1 convolution in channels-last form). */
interface LinearLayer {
  type: "linear";
  in: SizeExpr;
  out: SizeExpr;
}

/** Exact (erf) GELU. */
interface GeluLayer {
  type: "gelu";
}

/** nn.Tanh (elementwise; CEBRA's `*-tanh` models end with it). */
interface TanhLayer {
  type: "tanh";
}

/**
 * torch.nn.Dropout1d(p): in training, zeroes whole channels of each window (probability p each) and
 * scales the rest by 1/(1 − p); at inference (model.eval()) the identity.
 */
interface DropoutLayer {
  type: "dropout";
  p: number;
}

/** nn.Flatten on a length-1 window (a no-op in channels-last form; checks the length is 1 in training). */
interface FlattenLayer {
  type: "flatten";
}

/**
 * `_Skip`: y = layers(x) + x cropped by `crop` = [left, right] time steps; repeated `repeat` times.
 * MLP variants (`crop=(0, None)` in CEBRA) use crop [0, 0]: y = layers(x) + x.
 */
interface SkipLayer {
  type: "skip";
  crop: [number, number];
  repeat?: number;
  layers: LayerSpec[];
}

/**
 * `_MeanAndConv`: concat([Conv1d(in→out, kernel, stride)(x), x[..., ::stride][..., :L_conv]]) along
 * channels, conv channels first. The "mean" is nearest-neighbour subsampling, as in CEBRA.
 */
interface MeanAndConvLayer {
  type: "mean_and_conv";
  in: SizeExpr;
  out: SizeExpr;
  kernel: number;
  stride: number;
}

/**
 * nn.Hardtanh(min, max): clamps to [min, max]; its gradient passes where min < x < max (PyTorch's
 * hardtanh_backward, strict at the bounds). CEBRA's `*-clip-*` models apply it as `self.clamp`, outside
 * `net`: it takes no state-dict index, and a spec places it last.
 */
interface ClipLayer {
  type: "clip";
  min: number;
  max: number;
}

/**
 * `_SkipLinear(nn.Linear(in, out))` (cebra/models/layers.py): y = Linear(x) + F.pad(x, (0, out − in)),
 * i.e. the input zero-padded on the right to `out` features when out > in, cut to its first `out`
 * features when out < in. State-dict names `<index>.module.weight`, `<index>.module.bias`.
 */
interface SkipLinearLayer {
  type: "skip_linear";
  in: SizeExpr;
  out: SizeExpr;
}

/**
 * Python's `[*layers] * times` spliced into the nn.Sequential: the layers `times` times in a row, each
 * repetition taking the next indices. With `shared`, list multiplication repeats the same module
 * objects, so every repetition uses the first one's parameters: one tensor each (one slice of the flat
 * vector, as `parameters()` counts it), listed under every state-dict key (`ParamInfo.aliases`).
 */
interface RepeatLayer {
  type: "repeat";
  times: number;
  shared: boolean;
  layers: LayerSpec[];
}

export type LayerSpec =
  | ConvLayer
  | LinearLayer
  | GeluLayer
  | TanhLayer
  | DropoutLayer
  | FlattenLayer
  | SkipLayer
  | MeanAndConvLayer
  | ClipLayer
  | SkipLinearLayer
  | RepeatLayer;

export interface ArchitectureSpec {
  name: string;
  /** Other registered names for the same architecture (CEBRA aliases). */
  aliases?: string[];
  /** Window [i − left, i + right) around sample i. */
  offset: [number, number];
  /** Final L2 normalisation over output dims (CEBRA `_Norm`, no epsilon). */
  normalize: boolean;
  /** Output time subsampling: one output row per `resample_factor` samples (4 for the Neuropixels model). */
  resample_factor: number;
  description: string;
  layers: LayerSpec[];
  /**
   * "classifier": CEBRA's `ClassifierModel` (the supervised models): the embedding is relu(net(x)) and
   * training adds `classifier` = nn.Linear(D, label_num) after the net's parameters (state-dict order).
   */
  head?: "classifier";
}

/**
 * A parametrised family of architectures (CEBRA's `@parametrize`): every member name, exactly as CEBRA
 * registers it, and the spec of a member. `pattern` shows the names with their parameters in braces,
 * `values` the parameters' ranges.
 */
export interface ArchitectureFamily {
  pattern: string;
  values: string;
  names: readonly string[];
  /** The member's spec, or null if `name` is not a member. */
  spec(name: string): ArchitectureSpec | null;
}

/** A family from its member names and a builder; specs are built once per name. */
export function family(pattern: string, values: string, members: ReadonlyMap<string, () => ArchitectureSpec>): ArchitectureFamily {
  const built = new Map<string, ArchitectureSpec>();
  return {
    pattern,
    values,
    names: [...members.keys()],
    spec(name) {
      const make = members.get(name);
      if (!make) return null;
      let s = built.get(name);
      if (!s) built.set(name, (s = make()));
      return s;
    },
  };
}
