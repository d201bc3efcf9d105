#!/usr/bin/env bash
# `make fuzz` and its smoke run in `make test`: builds every libFuzzer target under Fuzz/ with
# `--sanitize fuzzer -DTAGOOD_FUZZ` (scratch folder .build-fuzz) and runs each for FUZZ_SECONDS on its
# committed seed corpus (Fuzz/Corpus/<target>) plus a work corpus in FUZZ_WORK that grows as libFuzzer
# finds new coverage. A crash, a leak-free timeout or an out-of-memory stops with the failing input saved
# under FUZZ_WORK/<target>/artifacts/; copy it to Fuzz/Regressions/<target>/ once fixed, so every later
# `make test` replays it.
#
# Usage: tools/fuzz.sh [SECONDS] [TARGET ...]     (default: 600 s, every target)
set -euo pipefail
cd "$(dirname "$0")/.."
SECONDS_PER_TARGET=${1:-600}
shift || true
TARGETS=${*:-"protocol journal plan config checkpoint list image shard credential tar"}
WORK=${FUZZ_WORK:-/tmp/tagood-fuzz}
SEED=${FUZZ_SEED:-0}   # 0: libFuzzer picks one; the smoke run in `make test` fixes it, so CI is repeatable

for t in $TARGETS; do
  swift build -c release --sanitize fuzzer -Xswiftc -DTAGOOD_FUZZ --scratch-path .build-fuzz --product "fuzz-$t" >/dev/null
done

status=0
for t in $TARGETS; do
  mkdir -p "$WORK/$t/corpus" "$WORK/$t/artifacts"
  inputs=("$WORK/$t/corpus" "Fuzz/Corpus/$t")
  [ -d "Fuzz/Regressions/$t" ] && inputs+=("Fuzz/Regressions/$t")
  log="$WORK/$t/fuzz.log"
  echo "fuzz-$t: ${SECONDS_PER_TARGET} s (log $log)"
  # The Swift runtime's own crash handler would swallow the crash before libFuzzer saves the input.
  if ! SWIFT_BACKTRACE=enable=no .build-fuzz/release/fuzz-$t -max_total_time="$SECONDS_PER_TARGET" -timeout=10 -rss_limit_mb=2048 -max_len=65536 \
       -seed="$SEED" -print_final_stats=1 -artifact_prefix="$WORK/$t/artifacts/" "${inputs[@]}" >"$log" 2>&1; then
    echo "fuzz-$t: FAILED, see $log and $WORK/$t/artifacts/"; tail -30 "$log"; status=1; continue
  fi
  execs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | tail -1 | grep -o '[0-9]*$' || echo "?")
  cov=$(grep -o 'cov: [0-9]*' "$log" | tail -1 | grep -o '[0-9]*' || echo "?")
  ft=$(grep -o 'ft: [0-9]*' "$log" | tail -1 | grep -o '[0-9]*' || echo "?")
  rate=$(grep -o 'exec/s: [0-9]*' "$log" | tail -1 | grep -o '[0-9]*' || echo "?")
  echo "fuzz-$t: clean; $execs runs, $rate exec/s, coverage $cov edges, $ft features"
done
exit $status
