#!/usr/bin/env bash
# INT8 accuracy per quantization target on this CPU: calibrates on the even half of coco128, evaluates the odd
# half, FP32 beside each INT8 variant. Usage: scripts/accuracy-targets.sh [OUT_DIR] [TARGET...]
# Under scripts/arm64.sh the same models can be evaluated on emulated ARM64 (CLI=scripts/arm64.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
out=${1:-${TMPDIR:-/tmp}/yolo-edge-accuracy}
shift || true
targets=("${@:-portable x86-avx2 arm64}")
read -r -a targets <<<"${targets[*]}"
data=${DATA:-../shared/datasets/coco128}
cli=${CLI:-node dist/cli/main.js}
mkdir -p "$out"
grep -o -w -E 'avx512_vnni|avx_vnni|avx2|asimddp' /proc/cpuinfo | sort -u | tr '\n' ' ' >&2; echo >&2

models=(yolov8n.onnx)
for t in "${targets[@]}"; do
  for input in float uint8; do
    m="$out/int8-$t-$input.onnx"
    [ -f "$m" ] || node dist/cli/main.js quantize --model yolov8n.onnx --calib "$data" --split even --samples all --target "$t" \
      $([ "$input" = uint8 ] && echo --uint8-input) --out "$m" >&2
    models+=("$m")
  done
done
printf '%-28s %8s %10s\n' model mAP50 mAP50-95
for m in "${models[@]}"; do
  $cli eval --model "$m" --data "$data" --split odd --threads 2 --json 2>/dev/null |
    node -e 'let s="";process.stdin.on("data",(d)=>s+=d).on("end",()=>{const r=JSON.parse(s);console.log(process.argv[1].padEnd(28),r.map50.toFixed(4).padStart(8),r.map50_95.toFixed(4).padStart(10))})' "$(basename "$m")"
done
