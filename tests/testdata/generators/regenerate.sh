#!/usr/bin/env bash
# Regenerates the Dapr.Profiler profile corpus in tests/testdata/.
#
#   bash tests/testdata/generators/regenerate.sh [all|go|node|fold|expect|crosscheck]...
#
# go       : Go profiles (go-*.pb.gz) via runtime/pprof          (needs go >= 1.19)
# node     : node-*.pb.gz / node-0.6.1-multipart.bin via the real
#            @pyroscope/nodejs clients and a local capture server  (needs node 20, npm)
# fold     : folded-sample.txt from the Go CPU profiles
# expect   : expectations/*.json from the committed profiles (pprof-format, pure JS)
# crosscheck: compare Go expectations with `go tool pprof -top` (report only)
#
# npm packages are installed in a scratch dir ($SCRATCH, default
# /tmp/dapr-profiler-testdata-node) and used through NODE_PATH, so no
# node_modules is created inside the repository.
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
TD="$(dirname "$HERE")"
PROFILES="$TD/profiles"
EXPECT="$TD/expectations"
SCRATCH="${SCRATCH:-/tmp/dapr-profiler-testdata-node}"

steps=("$@")
[ ${#steps[@]} -eq 0 ] && steps=(all)
[ "${steps[0]}" = all ] && steps=(go node fold expect crosscheck)

npm_deps() {
  if [ ! -d "$SCRATCH/node_modules/pprof-format" ]; then
    mkdir -p "$SCRATCH"
    cp "$HERE/node/package.json" "$HERE/node/package-lock.json" "$SCRATCH/"
    (cd "$SCRATCH" && npm ci --no-audit --no-fund)
  fi
  export NODE_PATH="$SCRATCH/node_modules"
}

for step in "${steps[@]}"; do
  echo "== $step"
  case "$step" in
    go)
      (cd "$HERE/go" && GOPROXY=off go run . -out "$PROFILES")
      ;;
    node)
      npm_deps
      node "$HERE/node/capture.js" --out "$PROFILES" --version 0.6.4 --duration 10000
      node "$HERE/node/capture.js" --out "$PROFILES" --version 0.6.1 --duration 4000
      ;;
    fold)
      npm_deps
      node "$HERE/node/fold.js" "$PROFILES/folded-sample.txt" \
        "$PROFILES/go-cpu.pb.gz" "$PROFILES/go-cpu-2.pb.gz" "$PROFILES/go-cpu-3.pb.gz" "$PROFILES/go-cpu-4.pb.gz"
      ;;
    expect)
      npm_deps
      node "$HERE/node/expect.js" "$PROFILES" "$EXPECT"
      ;;
    crosscheck)
      npm_deps
      # relative paths so the committed report is machine independent
      (cd "$TD" && node generators/node/crosscheck.js profiles expectations | tee generators/crosscheck-report.txt)
      ;;
    *) echo "unknown step $step" >&2; exit 2 ;;
  esac
done
