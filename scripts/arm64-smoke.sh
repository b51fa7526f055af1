#!/usr/bin/env bash
# ARM64 smoke check (npm run test:arm64): the FP32 default model and an INT8 quantization of it, run on an emulated
# Cortex-A76 (scripts/arm64.sh), must find every confident detection (score >= 0.5) that x64 finds: same class,
# IoU >= 0.5. Slow: each emulated detect of two images takes minutes.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
CACHE=.cache/arm64
DATA=../shared/datasets/coco128
INT8="$CACHE/smoke-int8.onnx"
die() { echo "arm64-smoke: FAIL: $*" >&2; exit 1; }

images=()
for name in 000000000009.jpg 000000000025.jpg; do
  if [ -f "$DATA/images/$name" ]; then images+=("$DATA/images/$name")
  elif [ -f "test/fixtures/coco128-sample/$name" ]; then images+=("test/fixtures/coco128-sample/$name")
  else die "image $name not found in $DATA/images or test/fixtures/coco128-sample"; fi
done
[ -d "$DATA" ] || die "calibration dataset $DATA not found"
mkdir -p "$CACHE"

# Regenerated every run, natively: the quantizer's defaults are still changing and the check must follow them.
echo "arm64-smoke: quantizing yolov8n.onnx -> $INT8 (x64)" >&2
node dist/cli/main.js quantize --model yolov8n.onnx --calib "$DATA" --split even --samples 8 --uint8-input --out "$INT8" >&2

status=0
for pair in "fp32:yolov8n.onnx" "int8:$INT8"; do
  tag="${pair%%:*}" model="${pair#*:}"
  echo "arm64-smoke: $model on arm64 (emulated) and x64" >&2
  scripts/arm64.sh detect --model "$model" --json "${images[@]}" >"$CACHE/smoke-$tag.arm64.jsonl" || die "arm64 detect with $model exited $?"
  node dist/cli/main.js detect --model "$model" --json "${images[@]}" >"$CACHE/smoke-$tag.x64.jsonl" || die "x64 detect with $model exited $?"
  node -e '
    const fs = require("fs");
    const read = (f) => fs.readFileSync(f, "utf8").trim().split("\n").map((l) => JSON.parse(l));
    const [model, armFile, x64File] = process.argv.slice(1);
    const arm = read(armFile), x64 = read(x64File);
    const iou = (a, b) => {
      const w = Math.max(0, Math.min(a.x2, b.x2) - Math.max(a.x1, b.x1)), h = Math.max(0, Math.min(a.y2, b.y2) - Math.max(a.y1, b.y1));
      const area = (r) => (r.x2 - r.x1) * (r.y2 - r.y1);
      return (w * h) / (area(a) + area(b) - w * h);
    };
    let ok = arm.length === x64.length;
    const parts = x64.map((x, i) => {
      const a = arm[i] ?? { detections: [] };
      const wanted = x.detections.filter((d) => d.score >= 0.5);
      const missed = wanted.filter((d) => !a.detections.some((e) => e.class === d.class && iou(e.box, d.box) >= 0.5));
      if (missed.length || a.file !== x.file) ok = false;
      const name = x.file.split("/").pop();
      return `${name}: arm64 ${a.detections.length} / x64 ${x.detections.length} detections, matched ${wanted.length - missed.length}/${wanted.length}` +
        (missed.length ? ` (missed ${missed.map((d) => `${d.class} ${d.score.toFixed(2)}`).join(", ")})` : "");
    });
    console.log(`${ok ? "ok  " : "FAIL"} ${model}: ${parts.join("; ")}`);
    process.exit(ok ? 0 : 1);
  ' "$tag $model" "$CACHE/smoke-$tag.arm64.jsonl" "$CACHE/smoke-$tag.x64.jsonl" || status=1
done
[ "$status" -eq 0 ] || die "arm64 missed x64 detections (details above; outputs in $CACHE/smoke-*.jsonl)"
echo "arm64-smoke: ok" >&2
