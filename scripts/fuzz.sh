#!/usr/bin/env bash
# `make fuzz`: builds the libFuzzer targets of fuzz/ with clang (ASan + UBSan) in
# build-fuzz and runs each for FUZZ_SECONDS (default 60), FUZZ_JOBS targets at a time
# (default 1). FUZZ_TARGETS="kserve_json multipart" runs only those.
# Seeds come from fuzz/corpus/<target>/ and fuzz/regressions/<target>/ (read only);
# what the fuzzer finds goes to build-fuzz/corpus/<target>/, crashes to
# build-fuzz/artifacts/<target>/, logs to build-fuzz/logs/<target>.log.
# Exits non-zero when a target crashes, leaks, times out or runs out of memory, and
# prints the reproducer and how to keep it as a regression test.
set -euo pipefail
cd "$(dirname "$0")/.."

BUILD=${FUZZ_BUILD_DIR:-build-fuzz}
RUN_SECONDS=${FUZZ_SECONDS:-60}
JOBS=${FUZZ_JOBS:-1}
read -r -a TARGETS <<< "${FUZZ_TARGETS:-kserve_json model_name multipart api_key onnx_loader}"
# Inputs longer than this are not tried: large enough for every code path, small
# enough to keep executions fast (thousands a second; hundreds for onnx_loader, whose
# loads run the ONNX checker and ATen kernels).
declare -A MAX_LEN=([kserve_json]=16384 [multipart]=8192 [model_name]=512 [api_key]=256
                   [onnx_loader]=32768)

if [ ! -f "$BUILD/build.ninja" ]; then
  CC=clang CXX=clang++ cmake -S . -B "$BUILD" -G Ninja -DAIAAS_FUZZ=ON
fi
cmake --build "$BUILD" -j "${FUZZ_BUILD_JOBS:-2}" --target "${TARGETS[@]/%/_fuzz}"

mkdir -p "$BUILD/logs"
run_target() {
  local target=$1
  local corpus="$BUILD/corpus/$target" artifacts="$BUILD/artifacts/$target/"
  local log="$BUILD/logs/$target.log"
  mkdir -p "$corpus" "$artifacts"
  local args=(-max_total_time="$RUN_SECONDS" -max_len="${MAX_LEN[$target]:-4096}"
              -rss_limit_mb=2048 -timeout=10 -print_final_stats=1
              -artifact_prefix="$artifacts")
  if [ -f "fuzz/dicts/$target.dict" ]; then args+=(-dict="fuzz/dicts/$target.dict"); fi
  local status=0
  "$BUILD/fuzz/${target}_fuzz" "${args[@]}" "$corpus" "fuzz/corpus/$target" \
    "fuzz/regressions/$target" > "$log" 2>&1 || status=$?
  echo "$status" > "$BUILD/logs/$target.status"
}

# Runs the targets, at most JOBS at a time.
running=0
for target in "${TARGETS[@]}"; do
  echo "fuzz: $target for ${RUN_SECONDS}s"
  run_target "$target" &
  running=$((running + 1))
  if [ "$running" -ge "$JOBS" ]; then
    wait -n || true
    running=$((running - 1))
  fi
done
wait || true

failed=0
for target in "${TARGETS[@]}"; do
  log="$BUILD/logs/$target.log"
  status=$(cat "$BUILD/logs/$target.status" 2>/dev/null || echo 1)
  # The last status line: "#N DONE cov: C ft: F corp: K/S exec/s: E rss: R".
  summary=$(grep -E '^#[0-9]+' "$log" | tail -n 1 || true)
  if [ "$status" -eq 0 ]; then
    echo "fuzz: $target ok: $summary"
    continue
  fi
  failed=1
  echo "fuzz: $target FAILED (exit $status); log: $log"
  grep -E 'ERROR: |fuzz invariant violated|SUMMARY: ' "$log" | head -n 5 || true
  reproducer=$(grep -oE 'Test unit written to [^ ]+' "$log" | tail -n 1 | cut -d' ' -f5 || true)
  if [ -n "$reproducer" ]; then
    echo "  reproducer: $reproducer"
    echo "  rerun:      $BUILD/fuzz/${target}_fuzz $reproducer"
    echo "  keep it:    cp $reproducer fuzz/regressions/$target/<what-it-tests>  (replayed by ctest)"
  fi
done
exit "$failed"
