"""Load a cebra-mcp model export into CEBRA 0.6.1 (PyTorch) and, optionally, check its embedding.

An export folder (what cebra-mcp writes for a model artifact) holds `model.json` (the manifest),
`params.npy` (float32 [P], `params_s<i>.npy` per session for multi-session models) and `encoder.onnx`.
The manifest's `sessions[i].state_dict` lists CEBRA's state_dict keys in order, each with its `offset`
and PyTorch `shape` in params.npy; a tensor shared by repeated layers is listed under each of its keys
at one offset. This script builds `cebra.models.init(architecture, num_neurons, num_units, num_output)`,
fills it with `load_state_dict(strict=True)` and puts it in eval mode (no dropout).

Usage:
  python cebra_load.py EXPORT_DIR [--session I] [--check X.npy Z.npy] [--tol 1e-4] [--json]

  --check X.npy Z.npy  embed the recording X [T, N] (float32) with the loaded CEBRA model, as CEBRA's
                       transform does (replicate padding, fully convolutional over the sequence), and
                       print max |dz| against our embedding Z. Z may be padded (one row per sample, as
                       cebra-mcp's transform and CEBRA's default `pad_before_transform=True` give) or
                       unpadded (what encoder.onnx returns for X as is); the script compares the form
                       whose row count Z has, and fails if it has neither.

What it does not cover:
  - Multi-session models: one encoder per session; load each with --session I, or all of them as
    CEBRA's `nn.ModuleList` with `load_sessions` below. CEBRA's sklearn wrapper (`cebra.CEBRA.load`) is
    not built: its save file also holds the solver, optimizer and loss history, which are not in an export.
  - A learnable temperature (temperature_mode "auto") is the last element of params.npy, outside the
    state_dict: in CEBRA it belongs to the criterion, not the model; it is reported, not loaded.
  - Supervised models (supervised10-model, supervised1-model): the classifier head is created with
    `set_output_num` from `classifier.weight`'s shape and loaded; the embedding compared is CEBRA's
    features, relu(net(x)), as cebra-mcp embeds them.
"""
import argparse
import json
import os
import sys

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

import cebra.models


def load_model(folder, session=0):
    """The CEBRA model of one session of an export, its weights loaded strictly, in eval mode."""
    with open(os.path.join(folder, "model.json")) as f:
        manifest = json.load(f)
    entry = manifest["sessions"][session]
    hp = manifest["hyperparameters"]
    model = cebra.models.init(hp["model_architecture"], entry["n_neurons"], hp["num_hidden_units"],
                              hp["output_dimension"])
    flat = np.load(os.path.join(folder, entry["params"]))
    state = {}
    for t in entry["state_dict"]:
        size = int(np.prod(t["shape"]))
        state[t["key"]] = torch.from_numpy(flat[t["offset"]:t["offset"] + size].reshape(t["shape"]).copy())
    if "classifier.weight" in state:  # supervised: CEBRA creates the head lazily
        model.set_output_num(state["classifier.weight"].shape[0])
    model.load_state_dict(state, strict=True)
    model.eval()
    return model, manifest, entry


def load_sessions(folder):
    """All sessions of an export as CEBRA's multi-session model (an nn.ModuleList, one model per session)."""
    with open(os.path.join(folder, "model.json")) as f:
        sessions = len(json.load(f)["sessions"])
    return nn.ModuleList([load_model(folder, i)[0] for i in range(sessions)])


def features(model, x):
    """The embedding: model(x), or a supervised model's features relu(net(x))."""
    if isinstance(model, cebra.models.ClassifierModel):
        return F.relu(model.feature_encoder(x))
    return model(x)


def embed(model, X, pad):
    """CEBRA's transform of X [T, N]: [rows, D], replicate-padded first when `pad` (one row per sample)."""
    offset = model.get_offset()
    L = len(offset)
    r = int(getattr(model, "resample_factor", 1))
    x = torch.from_numpy(np.ascontiguousarray(X, dtype=np.float32))
    if pad and L > 1:  # CEBRA's pad_before_transform: left copies of the first row, right - 1 of the last
        x = F.pad(x.T, (offset.left, offset.right - 1), "replicate").T
    with torch.no_grad():
        if L == 1:  # MLP models: row by row
            z = features(model, x)
        elif isinstance(model, (cebra.models.ConvolutionalModelMixin, cebra.models.ClassifierModel)):
            z = features(model, x.T.unsqueeze(0)).squeeze(0).T  # fully convolutional: (1, N, T') -> (rows, D)
        else:  # offset4-model-2x-subsample is not convolutional: one window of L samples every r samples
            windows = torch.stack([x[s:s + L].T for s in range(0, x.shape[0] - L + 1, r)])
            z = features(model, windows)
    return z.numpy()


def report(folder, session=0, check=None, tol=1e-4):
    """Load session `session` of the export strictly; with check = (X, Z) arrays, compare CEBRA's
    embedding of X with Z. Returns a dict whose "ok" says whether everything held."""
    try:
        model, manifest, entry = load_model(folder, session)
    except (RuntimeError, KeyError, ValueError) as e:  # e.g. load_state_dict's missing/unexpected keys
        return {"strict_load": False, "ok": False, "error": str(e)}
    layout_end = max(t["offset"] + int(np.prod(t["shape"])) for t in entry["state_dict"])
    out = {
        "architecture": manifest["hyperparameters"]["model_architecture"],
        "class": type(model).__name__,
        "state_dict_keys": len(entry["state_dict"]),
        "strict_load": True,
        "params_in_model": sum(p.numel() for p in model.parameters()),
        "extra_params": entry["param_count"] - layout_end,  # 1 with a learnable temperature, else 0
    }
    ok = out["params_in_model"] == layout_end
    if check is not None:
        X, Z = check
        shapes = {}
        for pad in (True, False):
            ref = embed(model, X, pad)
            shapes[pad] = ref.shape
            if ref.shape == Z.shape:
                break
        else:
            out.update(ok=False, error=f"Z has shape {Z.shape}; CEBRA gives {shapes[True]} padded, {shapes[False]} unpadded")
            return out
        dz = float(np.max(np.abs(ref - Z)))
        zmax = float(np.max(np.abs(ref)))
        out.update(padded=pad, rows=int(Z.shape[0]), max_abs_dz=dz, max_abs_z=zmax, tol=tol * max(1.0, zmax))
        ok = ok and dz <= out["tol"]
    out["ok"] = ok
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("folder")
    ap.add_argument("--session", type=int, default=0)
    ap.add_argument("--check", nargs=2, metavar=("X_NPY", "Z_NPY"))
    ap.add_argument("--tol", type=float, default=1e-4, help="max |dz| allowed, relative to max(1, max |z|)")
    ap.add_argument("--json", action="store_true", help="print one JSON line instead of text")
    args = ap.parse_args()
    torch.set_num_threads(1)
    check = (np.load(args.check[0]), np.load(args.check[1])) if args.check else None
    out = report(args.folder, args.session, check, args.tol)
    if args.json:
        print(json.dumps(out))
    else:
        for k, v in out.items():
            print(f"{k}: {v}")
    sys.exit(0 if out["ok"] else 1)


if __name__ == "__main__":
    main()
