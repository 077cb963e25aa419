#!/usr/bin/env bash
# On the GPU machine (see pack.sh): unpacks what has arrived in .gpu/ into /opt (parts may come in
# several calls), and once all are there, finds the flags that give Chromium a hardware WebGPU
# adapter (probe.mjs) and runs the bench with them. Env passes through (BENCH_ONLY, BENCH_DEVICES…).
set -uo pipefail
REPO=$PWD
ROOT=${GPU_BENCH_ROOT:-/opt}
D=$ROOT/aios-gpu-parts
mkdir -p "$D"
find .gpu -name "part-*" -exec cp {} "$D/" \;
[ "${1:-}" = "stage" ] && { ls -la "$D"; exit 0; }
if [ ! -x "$ROOT/aios-gpu/node/bin/node" ]; then
  cat "$D"/part-* | python3 -c "import sys,tarfile; tarfile.open(fileobj=sys.stdin.buffer, mode='r|xz').extractall(sys.argv[1])" "$ROOT" || exit 1
fi
G=$ROOT/aios-gpu
[ -d "$G/dist/models" ] || cp -r "$REPO/public/models" "$G/dist/models"
export PATH="$G/node/bin:$PATH" LD_LIBRARY_PATH="$G/libs:$G/gl:/usr/local/nvidia/lib64:${LD_LIBRARY_PATH:-}"
export CHROME_PATH="$G/chromium/chromium"
for icd in /usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json /usr/share/vulkan/icd.d/nvidia_icd.json /etc/vulkan/icd.d/nvidia_icd.json; do
  [ -f "$icd" ] && { export VK_ICD_FILENAMES="$icd" VK_DRIVER_FILES="$icd"; break; }
done
ls /usr/local/nvidia/share/vulkan/icd.d /usr/share/vulkan/icd.d /etc/vulkan/icd.d /dev/dri 2>&1 | head; ls /dev/nvidia* 2>&1 | head -3
echo "ICD: ${VK_ICD_FILENAMES:-none}"; nvidia-smi --query-gpu=name,driver_version --format=csv,noheader || true
cd "$G" && cp "$REPO/tools/gpu-bench/probe.mjs" .
flags=$(node probe.mjs | tee /dev/stderr | sed -n 's/^HARDWARE_FLAGS=//p')
# GPU_BENCH_ANY_ADAPTER=1: run on whatever adapter there is (to try this script where no GPU is).
[ -z "$flags" ] && [ -z "${GPU_BENCH_ANY_ADAPTER:-}" ] && { echo "no hardware WebGPU adapter"; exit 2; }
[ -n "${GPU_BENCH_PROBE_ONLY:-}" ] && exit 0
export CHROMIUM_EXTRA_ARGS="--ignore-gpu-blocklist --disable-gpu-sandbox $flags"
mkdir -p bench/out tools && cp "$REPO"/tools/*.json tools/
node bench.mjs 2>&1 | tee "${OUT:-/tmp}/bench.log"; rc=${PIPESTATUS[0]}
[ -n "${OUT:-}" ] && cp bench/out/results.json "$OUT/" 2>/dev/null
exit $rc
