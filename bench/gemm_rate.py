"""GEMM throughput of PyTorch (MKL) on one thread: `OMP_NUM_THREADS=1 $PY bench/gemm_rate.py` with the reference
environment's Python (docs/BENCHMARKS.md, "Where the targets stand"): 2048³ and the training step's own shapes,
process CPU time per product, the median of five rounds."""
import time, torch
torch.set_num_threads(1)
def rate(m, k, n, reps):
    a = torch.randn(m, k); b = torch.randn(k, n)
    for _ in range(3): a @ b
    best = []
    for _ in range(5):
        t0 = time.process_time()
        for _ in range(reps): a @ b
        best.append((time.process_time() - t0) / reps)
    t = sorted(best)[2]
    return 2 * m * k * n / t / 1e9, t * 1e3
for (m, k, n, reps) in [(2048, 2048, 2048, 3), (10000, 100, 64, 50), (6674, 100, 64, 50), (64, 6674, 100, 50), (6674, 1000, 64, 10), (10752, 96, 32, 50)]:
    g, ms = rate(m, k, n, reps)
    print(f"[{m},{k}]·[{k},{n}]: {ms:.3f} ms CPU, {g:.1f} GFLOP/s (median of 5, one thread, torch {torch.__version__})")
