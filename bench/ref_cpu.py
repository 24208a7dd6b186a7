"""Runs the reference's step timing (ref_step.py, unchanged) and adds its CPU time per step.

Usage: ref_cpu.py PATH/TO/ref_step.py time|time_delta [N]
Prints one line: "<wall ms/step> <cpu ms/step>". ref_step.py stamps steps 100 and 300 with
time.perf_counter(); this wrapper records the process CPU time (user + system, all threads) at every
perf_counter() call, so the CPU time at the same two stamps is known without editing ref_step.py.
"""
import contextlib
import io
import runpy
import sys
import time

script = sys.argv[1]
sys.argv = [script] + sys.argv[2:]
_perf = time.perf_counter
cpu_at = {}


def perf_counter():
    t = _perf()
    cpu_at[t] = time.process_time()
    return t


time.perf_counter = perf_counter
out = io.StringIO()
with contextlib.redirect_stdout(out):
    g = runpy.run_path(script, run_name="__main__")
time.perf_counter = _perf
stamps = g["stamps"]
wall = float(out.getvalue().split()[-1])
cpu = (cpu_at[stamps[300]] - cpu_at[stamps[100]]) / 200 * 1000
print(f"{wall:.2f} {cpu:.2f}")
