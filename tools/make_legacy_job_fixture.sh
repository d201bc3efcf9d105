#!/usr/bin/env bash
# Makes Tests/ClusterTests/Fixtures/legacy-job-0.1.0: a job directory exactly as tagood 0.1.0 (commit ca8da9b,
# before the job-layer redesign) leaves it when its coordinator is killed with SIGKILL mid-job: committed
# shards, running leases in the journal, and the old two-scheme staging files (`.tmp-a<attempt>-<pid>.tmp-<pid>-<n>`).
# The new code must resume it to exactly-once (LegacyJobTests). Paths inside are absolute under
# /tmp/tagood-legacy-job; the test rewrites that prefix to its own temporary folder.
#
# Usage: tools/make_legacy_job_fixture.sh /path/to/tagood-0.1.0-binary
set -euo pipefail
T=${1:?usage: $0 TAGOOD_0.1.0_BINARY}
HERE=$(cd "$(dirname "$0")/.." && pwd)
W=/tmp/tagood-legacy-job
rm -rf "$W" && mkdir -p "$W" && cd "$W"
python3 - <<'PY'
import zlib, struct, os
def png(path, w, h, seed):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    raw = b''.join(b'\x00' + bytes(((x*31 + y*7 + seed*17) & 255) for x in range(w*3)) for y in range(h))
    chunk = lambda t, d: struct.pack('>I', len(d)) + t + d + struct.pack('>I', zlib.crc32(t+d) & 0xffffffff)
    open(path, 'wb').write(b'\x89PNG\r\n\x1a\n' + chunk(b'IHDR', struct.pack('>IIBBBBB', w, h, 8, 2, 0, 0, 0))
                           + chunk(b'IDAT', zlib.compress(raw)) + chunk(b'IEND', b''))
for i in range(8):
    png(f"data/near/c{i%2}/n{i:03d}.png", 16+i%3, 12+i%2, i)
    png(f"data/far/deep/f{i:03d}.png", 16+i%3, 12+i%2, 100+i)
PY
# The same files as Tests/ClusterTests/ClusterFixture.swift writes (decode-only, two OOD datasets, two workers).
printf '%s\n' 'job: job' 'output: out' 'model: {config: decode-only}' 'datasets:' \
  '  - {name: near, role: ood, layout: imagefolder, root: data/near}' '  - {name: far, role: ood, layout: nested, root: data/far}' \
  'extract: {images_per_shard: 2}' > job.yaml
printf '%s\n' 'coordinator: {bind: 127.0.0.1, port: 0}' 'heartbeat_seconds: 0.25' 'liveness: 4' 'max_attempts: 3' \
  'shutdown_grace_seconds: 5' 'workers:' '  - {cores: "0", threads: 1}' '  - {cores: "1", threads: 1}' > cluster.yaml
TAGOOD_FAILPOINTS=delay-per-image-ms=300 "$T" launch job.yaml --cluster cluster.yaml >/dev/null 2>&1 &
P=$!
for _ in $(seq 100); do
  [ -f out/job/journal.jsonl ] && [ "$(grep -c committed out/job/journal.jsonl)" -ge 3 ] && break
  sleep 0.1
done
kill -9 "$P"; sleep 0.5; pkill -9 -f "tagood worker" || true; sleep 0.3
rm -rf "$HERE/Tests/ClusterTests/Fixtures/legacy-job-0.1.0"
cp -r "$W" "$HERE/Tests/ClusterTests/Fixtures/legacy-job-0.1.0"
