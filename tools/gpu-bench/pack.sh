#!/usr/bin/env bash
# Packs the bench to run on a machine with a GPU and nothing installed but a C library (no Node,
# no Chromium, no node_modules, no network): Node, Debian's Chromium with the shared libraries it
# links, the GL/Vulkan loaders, playwright-core, the built dist/ and the bench bundled into one
# file (Vite's preview replaced by static-preview.ts). Output: .gpu/part-NN (split to travel in
# pieces of at most 35 MB: with the repository, under the 64 MiB a call carries); tools/gpu-bench/run.sh joins and runs them there.
set -euo pipefail
cd "$(dirname "$0")/../.."
stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT
npx vite build >/dev/null
npx esbuild bench/run.ts --bundle --platform=node --format=esm --target=node20 --log-level=warning \
  --outfile="$stage/aios-gpu/bench.mjs" --external:playwright-core --alias:vite=./tools/gpu-bench/static-preview.ts \
  --banner:js="import{createRequire as __cr}from'module';const require=__cr(import.meta.url);"
g="$stage/aios-gpu"
cp tools/gpu-bench/probe.mjs "$g/"
mkdir -p "$g/node/bin" "$g/node_modules" "$g/libs" "$g/gl"
cp "$(readlink -f "$(command -v node)")" "$g/node/bin/node"
cp -r node_modules/playwright-core "$g/node_modules/"
cp -r /usr/lib/chromium "$g/chromium"
rm -f "$g"/chromium/libVkLayer_khronos_validation.so* "$g"/chromium/libVkICD_mock_icd.so*
# Every library Chromium links but the C/C++ runtime, which the target has.
ldd /usr/lib/chromium/chromium | awk '/=>/{print $1" "$3}' |
  grep -v -E '^(libc|libm|libdl|libpthread|librt|libstdc\+\+|libgcc_s|ld-linux)\.' |
  while read -r _ path; do cp -L "$path" "$g/libs/"; done
# The Vulkan loader and libglvnd, which NVIDIA's Vulkan driver (libGLX_nvidia) needs beside it.
(cd "$stage" && apt-get download libvulkan1 libglvnd0 libglx0 libgl1 libegl1 libopengl0 libgles2 >/dev/null 2>&1)
for deb in "$stage"/*.deb; do dpkg -x "$deb" "$stage/debs"; done
cp -a "$stage"/debs/usr/lib/x86_64-linux-gnu/*.so* "$g/gl/"
cp -r dist "$g/dist"
rm -rf "$g/dist/models" # the same files as public/models, which travel with the repository: run.sh puts them back
rm -rf .gpu && mkdir .gpu
tar -C "$stage" -cf - aios-gpu | xz -T0 -9 | split -b 35M -d - .gpu/part-
ls -la .gpu
