#!/usr/bin/env bash
# Assemble a self-contained copy of the cebra-mcp engine under <dir>, to run the GPU check (and the
# benchmark) on a machine without network access or a project checkout (see docs/GPU.md):
#   <dir>/node                  the Node binary running this script (omit with --no-node)
#   <dir>/app/package.json      the project's package.json ("type": "module")
#   <dir>/app/dist/{src,models,bench}   the built JavaScript (no source maps); <dir>/app/bench/*.py (reference timing)
#   <dir>/app/node_modules/onnxruntime-{node,common}   pruned to linux-x64 (≈ 46 MB)
#   <dir>/run-gpu-check.sh, <dir>/run-bench.sh
# With --archive also writes <dir>.tar.xz (≈ 37 MB with the Node binary).
# The CUDA provider libraries (> 400 MB) are left out unless --with-cuda-providers is given.
#
# usage: bench/make-gpu-bundle.sh <dir> [--no-node] [--archive] [--with-cuda-providers]
# Build first: npm run build
set -euo pipefail

usage() { echo "usage: $0 <dir> [--no-node] [--archive] [--with-cuda-providers]" >&2; exit 2; }
[[ $# -ge 1 ]] || usage
out=$1; shift
with_node=1 archive=0 cuda_providers=0
for arg in "$@"; do
  case $arg in
    --no-node) with_node=0 ;;
    --archive) archive=1 ;;
    --with-cuda-providers) cuda_providers=1 ;;
    *) usage ;;
  esac
done

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
[[ -f $root/dist/bench/gpu-check.js ]] || { echo "error: $root/dist/bench/gpu-check.js missing; run 'npm run build' first" >&2; exit 1; }
ort=$root/node_modules/onnxruntime-node
bin=bin/napi-v6/linux/x64
[[ -f $ort/$bin/libonnxruntime.so.1 ]] || { echo "error: onnxruntime-node linux-x64 binaries not found under $ort/$bin" >&2; exit 1; }

rm -rf "$out"
mkdir -p "$out/app/dist" "$out/app/node_modules/onnxruntime-node/$bin"

cp "$root/package.json" "$out/app/"
tar -C "$root/dist" --exclude='*.map' -cf - src models bench | tar -C "$out/app/dist" -xf -
# the reference's side of `run-bench.sh --reference DIR` (bench/reference.ts finds them under app/bench)
mkdir -p "$out/app/bench" && cp "$root"/bench/*.py "$out/app/bench/"

cp -r "$ort/package.json" "$ort/dist" "$out/app/node_modules/onnxruntime-node/"
cp "$ort/$bin/libonnxruntime.so.1" "$ort/$bin/onnxruntime_binding.node" "$out/app/node_modules/onnxruntime-node/$bin/"
if [[ $cuda_providers == 1 ]]; then
  cp "$ort/$bin"/libonnxruntime_providers_*.so "$out/app/node_modules/onnxruntime-node/$bin/"
fi
cp -r "$root/node_modules/onnxruntime-common" "$out/app/node_modules/"
# pure-JS packages the engine's modules import (engine/types.ts: zod)
for pkg in zod; do cp -r "$root/node_modules/$pkg" "$out/app/node_modules/"; done

if [[ $with_node == 1 ]]; then
  cp "$(readlink -f "$(command -v node)")" "$out/node"
fi

# write_runner <script name> <entry under dist/bench>
write_runner() {
  cat > "$out/$1" <<EOF
#!/usr/bin/env bash
# Runs dist/bench/$2 from this bundle with the bundled Node binary if present (else node on PATH).
set -euo pipefail
here=\$(cd "\$(dirname "\${BASH_SOURCE[0]}")" && pwd)
node=\$here/node
[[ -x \$node ]] || node=node
cd "\$here/app"
exec "\$node" dist/bench/$2 "\$@"
EOF
  chmod +x "$out/$1"
}
write_runner run-gpu-check.sh gpu-check.js
write_runner run-bench.sh run.js

du -sh "$out" >&2
if [[ $archive == 1 ]]; then
  tar -C "$(dirname "$out")" -cJf "$out.tar.xz" "$(basename "$out")"
  du -sh "$out.tar.xz" >&2
fi
