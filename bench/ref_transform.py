"""Reference CEBRA 0.6.1 (PyTorch, CPU, one thread) transform throughput, for `npm run bench -- --reference`.

Usage: ref_transform.py N [T] [repeats]   (defaults T = 10,000, repeats 3)
Prints one line: samples/s of each repeat of `CEBRA.transform` over the whole T x N recording
(offset10-model, 32 hidden units, output dimension 8, the model after 1 training step: the transform's
cost does not depend on the weights). The data are seeded Gaussian noise (the cost does not depend on
the values either).
"""
import sys
import time

import numpy as np
import torch
import cebra

n = int(sys.argv[1])
T = int(sys.argv[2]) if len(sys.argv) > 2 else 10000
repeats = int(sys.argv[3]) if len(sys.argv) > 3 else 3
torch.set_num_threads(1)
X = np.random.default_rng(0).standard_normal((T, n)).astype(np.float32)
model = cebra.CEBRA(model_architecture="offset10-model", batch_size=512, output_dimension=8,
                    num_hidden_units=32, learning_rate=3e-4, temperature=1, max_iterations=1,
                    conditional="time", time_offsets=1, device="cpu", verbose=False)
torch.manual_seed(0)
model.fit(X)
model.transform(X)  # warm-up
rates = []
for _ in range(repeats):
    t0 = time.perf_counter()
    model.transform(X)
    rates.append(T / (time.perf_counter() - t0))
print(" ".join(f"{r:.0f}" for r in rates))
