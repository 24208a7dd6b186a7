"""Reference CEBRA 0.6.1 SupervisedNNSolver steps on given parameters and batches (bench/ref-supervised.ts).

Usage: ref_supervised.py IN.json OUT.json
IN.json: architecture, N, H, D, C, lr, loss ("mse" or "cross_entropy"), params (flat, CEBRA's state-dict
order: net.*, then classifier.weight, classifier.bias), batches: [{X: [B*L*N] windows time-major
(channels last), y: [B*C] targets (one-hot rows for cross-entropy)}].
Builds cebra.models.init(architecture, N, H, D) + set_output_num(C), loads the flat vector into its
state dict, and runs SupervisedNNSolver.step on each batch (batch.neural = windows as [B, N, L], the
PyTorch layout) with torch.optim.Adam(lr) and nn.MSELoss() / nn.CrossEntropyLoss(). Writes the per-step
losses and the final flat parameters (same order) to OUT.json.
"""
import json
import sys

import numpy as np
import torch
import cebra.models
from cebra.solver.supervised import SupervisedNNSolver

torch.set_num_threads(1)
cfg = json.load(open(sys.argv[1]))
N, H, D, C = cfg["N"], cfg["H"], cfg["D"], cfg["C"]
model = cebra.models.init(cfg["architecture"], num_neurons=N, num_units=H, num_output=D)
model.set_output_num(C)
flat = torch.tensor(cfg["params"], dtype=torch.float32)
state = model.state_dict()
offset = 0
for name, t in state.items():
    n = t.numel()
    state[name] = flat[offset:offset + n].reshape(t.shape).clone()
    offset += n
assert offset == flat.numel(), f"parameter count {offset} != {flat.numel()}"
model.load_state_dict(state)


class Solver(SupervisedNNSolver):
    """SupervisedNNSolver is abstract in CEBRA 0.6.1 (three base-class methods it does not define, none
    used by `step`); this subclass only makes it instantiable, `step` is CEBRA's own."""

    def _check_is_session_id_valid(self, *args, **kwargs):
        raise NotImplementedError

    def _get_model(self, *args, **kwargs):
        raise NotImplementedError

    def _set_fitted_params(self, *args, **kwargs):
        raise NotImplementedError


criterion = torch.nn.MSELoss() if cfg["loss"] == "mse" else torch.nn.CrossEntropyLoss()
solver = Solver(model=model, criterion=criterion, optimizer=torch.optim.Adam(model.parameters(), lr=cfg["lr"]), tqdm_on=False)
model.train()
L = cfg["L"]
losses = []
for b in cfg["batches"]:
    X = torch.tensor(b["X"], dtype=torch.float32).reshape(-1, L, N).permute(0, 2, 1).contiguous()
    y = torch.tensor(b["y"], dtype=torch.float32).reshape(-1, C)
    label = y if cfg["loss"] == "mse" else y.argmax(dim=1)
    losses.append(solver.step({"neural": X, "label": label})["total"])
params = torch.cat([t.detach().reshape(-1) for t in model.state_dict().values()]).tolist()
json.dump({"losses": losses, "params": params, "names": list(model.state_dict().keys())}, open(sys.argv[2], "w"))
