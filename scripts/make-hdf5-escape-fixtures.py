#!/usr/bin/env python3
"""Writes test/fixtures/hdf5-escape/: HDF5 files inside a "root" whose datasets keep their data in a
file outside it, the three ways HDF5 allows (external raw storage, external links, virtual datasets).
h5wasm can write external links but not external storage or VDS, hence h5py.

Layout (every reference is RELATIVE, so the tests can copy the two folders anywhere):
  root/external-storage.h5   /neural float32 [20, 4] stored in "../outside/secret.bin" (H5Pset_external;
                             HDF5 resolves the name against the process's working directory)
  root/external-link.h5      /neural -> external link to ../outside/secret.h5:/neural
  root/external-link-group.h5 /data -> external link to ../outside/secret.h5:/grp (read /data/neural)
  root/vds.h5                /neural virtual dataset whose source is ../outside/secret.h5:/neural
  root/vds-missing.h5        /neural virtual dataset whose source file does not exist
  root/vds-movie.h5          /movie uint8 [3, 4, 4] virtual dataset from ../outside/secret.h5:/movie
  outside/secret.bin         80 float32 values 777.25 (the "secret")
  outside/secret.h5          /neural and /grp/neural: float32 [20, 4] of 777.25; /movie uint8 [3, 4, 4] of 115
Also test/fixtures/hdf5-bomb/chunk-bomb.h5: /neural uint8 [131072, 1024] (128 MiB) in ONE gzip chunk
(about 130 KB on disk): reading even one element would inflate 128 MiB inside h5wasm's heap.

Run: python3 scripts/make-hdf5-escape-fixtures.py   (needs h5py and numpy; the files are committed.)
"""
import os
import sys

import h5py
import numpy as np

here = os.path.dirname(os.path.abspath(__file__))
base = os.path.join(here, "..", "test", "fixtures", "hdf5-escape")
root = os.path.join(base, "root")
outside = os.path.join(base, "outside")
os.makedirs(root, exist_ok=True)
os.makedirs(outside, exist_ok=True)

SECRET = np.full((20, 4), 777.25, dtype="<f4")
T = SECRET.shape[0]
timestamps = np.arange(T, dtype="<f8") / 30.0


def common(f):
    f.create_dataset("timestamps", data=timestamps)


with open(os.path.join(outside, "secret.bin"), "wb") as fh:
    fh.write(SECRET.tobytes())

with h5py.File(os.path.join(outside, "secret.h5"), "w", libver="earliest") as f:
    f.create_dataset("neural", data=SECRET)
    f.create_dataset("grp/neural", data=SECRET)
    f.create_dataset("movie", data=np.full((3, 4, 4), 115, dtype="u1"))

# External storage: the name is stored as given and opened relative to the working directory.
with h5py.File(os.path.join(root, "external-storage.h5"), "w", libver="earliest") as f:
    common(f)
    f.create_dataset("neural", shape=SECRET.shape, dtype="<f4", external=[("../outside/secret.bin", 0, SECRET.nbytes)])

with h5py.File(os.path.join(root, "external-link.h5"), "w", libver="earliest") as f:
    common(f)
    f["neural"] = h5py.ExternalLink("../outside/secret.h5", "/neural")

with h5py.File(os.path.join(root, "external-link-group.h5"), "w", libver="earliest") as f:
    common(f)
    f["data"] = h5py.ExternalLink("../outside/secret.h5", "/grp")


def vds(name, source, dataset="neural", shape=SECRET.shape, dtype="<f4"):
    layout = h5py.VirtualLayout(shape=shape, dtype=dtype)
    layout[:] = h5py.VirtualSource(source, dataset, shape=shape)
    with h5py.File(os.path.join(root, name), "w", libver="latest") as f:
        common(f)
        f.create_virtual_dataset(dataset, layout, fillvalue=0)


# h5py stores the source file name as given; chdir so the name stays relative.
cwd = os.getcwd()
os.chdir(root)
vds("vds.h5", "../outside/secret.h5")
vds("vds-missing.h5", "../outside/missing.h5")
vds("vds-movie.h5", "../outside/secret.h5", "movie", (3, 4, 4), "u1")
os.chdir(cwd)
bomb_dir = os.path.join(base, "..", "hdf5-bomb")
os.makedirs(bomb_dir, exist_ok=True)
shape = (128 * 1024, 1024)
with h5py.File(os.path.join(bomb_dir, "chunk-bomb.h5"), "w", libver="earliest") as f:
    common(f)
    d = f.create_dataset("neural", shape=shape, dtype="u1", chunks=shape, compression="gzip", compression_opts=9)
    d[:1024] = 1  # write the (single) chunk so its bytes are really stored, compressed
print("wrote", sorted(os.listdir(root)), sorted(os.listdir(outside)), file=sys.stderr)
