#!/usr/bin/env bash
# make demo: the end-to-end run of what exists, on data made on the spot.
#   1. a small dataset of real images (the committed Pillow fixtures, plus two broken files),
#   2. `tagood launch` of a decode-only job on the default cluster (two workers pinned to a core each),
#   3. one worker killed with SIGKILL mid-job, on purpose, and the job finishing anyway,
#   4. `tagood resume` (nothing left to do) and `tagood status`,
#   5. `tagood inspect` of a shard and `tagood preprocess` of one image.
set -euo pipefail
TAGOOD=$(realpath "${1:-.build/debug/tagood}")
ROOT=$(cd "$(dirname "$0")/.." && pwd)
OUT=${DEMO_OUT:-$ROOT/out/demo-run}
rm -rf "$OUT" && mkdir -p "$OUT/data/far"
cp "$ROOT"/Tests/ImagingTests/Fixtures/images/* "$OUT/data/far/"
printf 'this is not an image' > "$OUT/data/far/zz-not-an-image.jpg"
head -c 200 "$ROOT/Tests/ImagingTests/Fixtures/images/$(ls "$ROOT/Tests/ImagingTests/Fixtures/images" | grep -m1 jpg)" > "$OUT/data/far/zz-truncated.jpg"
cat > "$OUT/job.yaml" <<YAML
job: demo
output: out
model: {config: decode-only}
datasets:
  - {name: fixtures, role: ood, layout: nested, root: data/far}
extract: {images_per_shard: 4}
YAML
sed 's/port: 5555/port: 0/' "$ROOT/cluster.yaml" > "$OUT/cluster.yaml"
cd "$OUT"
echo "== 1-3. launch (a worker will be killed on purpose) =="
TAGOOD_FAILPOINTS=delay-per-image-ms=120 "$TAGOOD" launch job.yaml --cluster cluster.yaml &
LAUNCH=$!
for _ in $(seq 1 200); do
  if grep -q '"assigned"' out/demo/journal.jsonl 2>/dev/null; then break; fi
  sleep 0.05
done
VICTIM=$(grep '"assigned"' out/demo/journal.jsonl | head -1 | sed 's/.*"worker":"[^"]*:\([0-9]*\)".*/\1/')
sleep 0.3
echo "== demo: kill -9 worker pid $VICTIM mid-shard =="
kill -9 "$VICTIM"
wait $LAUNCH
echo "== 4. resume and status =="
"$TAGOOD" resume out/demo --cluster cluster.yaml
"$TAGOOD" status out/demo
echo "== 5. inspect a shard, preprocess an image =="
"$TAGOOD" inspect out/demo/shards/fixtures/shard-00000.h5 --images 4
IMG=$(ls data/far | grep -m1 jpg)
"$TAGOOD" preprocess "data/far/$IMG" -o "$OUT/preprocessed.npy" --png "$OUT/preprocessed.png"
echo "demo finished: shards in $OUT/out/demo/shards"
