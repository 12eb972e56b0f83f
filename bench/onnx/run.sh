#!/usr/bin/env bash
# ONNX vs TorchScript: the same PyTorch models exported both ways, loaded through aiaas's
# OnnxRuntime and TorchScriptRuntime in one process, timed interleaved at batch 1 and 32.
# See docs/benchmarks.md ("ONNX vs TorchScript").
#
#   bench/onnx/run.sh [--quick] [--threads T] [--rounds N] [--round-ms MS] [--batches LIST]
#                     [--only NAMES] [--plain] [--build-dir DIR] [--wait-quiet S] [--nice N]
#                     [--keep]
#
# Exports the models (export_models.py, Debian's /usr/bin/python3), builds the target
# onnx_vs_torchscript in the build folder (default build/, configured if missing), runs it,
# and writes bench/onnx/results/<UTC time>[-quick].md and .json. Exit status 1 when the two
# formats' outputs disagree (max |diff| > 1e-4) or a step fails.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
BENCH="$ROOT/bench/onnx"
PY=/usr/bin/python3
BUILD="$ROOT/build"
THREADS=1
ROUNDS=7
ROUND_MS=300
WARMUP_MS=500
BATCHES=1,32
ONLY=""
PLAIN=0
QUICK=0
KEEP=0
WAIT_QUIET=60
NICE=0

usage() { sed -n '2,13p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; }

ARGS_TEXT=""; [ $# -gt 0 ] && ARGS_TEXT="$(printf ' %s' "$@")"
while [ $# -gt 0 ]; do
  case "$1" in
    --quick) QUICK=1; ROUNDS=3; ROUND_MS=150; WARMUP_MS=200; WAIT_QUIET=0 ;;
    --threads) THREADS="$2"; shift ;;
    --rounds) ROUNDS="$2"; shift ;;
    --round-ms) ROUND_MS="$2"; shift ;;
    --batches) BATCHES="$2"; shift ;;
    --only) ONLY="$2"; shift ;;
    --plain) PLAIN=1 ;;
    --build-dir) BUILD="$(realpath -m "$2")"; shift ;;
    --wait-quiet) WAIT_QUIET="$2"; shift ;;
    --nice) NICE="$2"; shift ;;
    --keep) KEEP=1 ;;
    -h|--help) usage; exit 0 ;;
    *) echo "run.sh: unknown argument $1" >&2; usage >&2; exit 2 ;;
  esac
  shift
done

if [ "$NICE" != 0 ]; then
  renice -n "$NICE" -p $$ >/dev/null || { echo "run.sh: cannot renice to $NICE" >&2; exit 2; }
fi
log() { printf '[%s] %s\n' "$(date -u +%H:%M:%S)" "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }

"$PY" -c 'import torch, onnx' 2>/dev/null || die "/usr/bin/python3 lacks torch/onnx: run 'make deps'"
WORK="$(mktemp -d "${TMPDIR:-/tmp}/aiaas-onnx-bench.XXXXXX")"
cleanup() { if [ "$KEEP" = 1 ]; then log "scratch folder kept: $WORK"; else rm -rf "$WORK"; fi; }
trap cleanup EXIT

log "exporting models to $WORK/models"
"$PY" "$BENCH/export_models.py" "$WORK/models" > "$WORK/export.log" 2>&1 \
  || { tail -20 "$WORK/export.log" >&2; die "export failed"; }
cat "$WORK/models/models.tsv" >&2

if [ ! -f "$BUILD/build.ninja" ] && [ ! -f "$BUILD/Makefile" ]; then
  log "configuring $BUILD"
  cmake -S "$ROOT" -B "$BUILD" -G Ninja > "$WORK/configure.log" 2>&1 \
    || { tail -20 "$WORK/configure.log" >&2; die "cmake configure failed"; }
fi
log "building onnx_vs_torchscript in $BUILD"
cmake --build "$BUILD" -j2 --target onnx_vs_torchscript > "$WORK/build.log" 2>&1 \
  || { tail -30 "$WORK/build.log" >&2; die "build failed"; }
BIN="$BUILD/bench/onnx/onnx_vs_torchscript"
cp "$BIN" "$WORK/onnx_vs_torchscript"  # a rebuild during the run cannot swap the binary

cpu_jiffies() {  # "busy steal total" from the aggregate line of /proc/stat
  awk '/^cpu /{print $2+$3+$4+$7+$8, $9, $2+$3+$4+$5+$6+$7+$8+$9; exit}' /proc/stat
}
calc() { awk "BEGIN{printf \"%.2f\", $*}"; }
if [ "$WAIT_QUIET" -gt 0 ]; then
  start=$(date +%s)
  while :; do
    a=($(cpu_jiffies)); sleep 2; b=($(cpu_jiffies))
    busy=$(calc "(${b[0]}-${a[0]})/(${b[2]}-${a[2]})*$(nproc)")
    if awk "BEGIN{exit !($busy < 0.3)}"; then log "machine quiet ($busy cores busy)"; break; fi
    if [ $(( $(date +%s) - start )) -ge "$WAIT_QUIET" ]; then
      log "other load still $busy cores after ${WAIT_QUIET}s: measuring anyway (recorded)"; break
    fi
    log "waiting for other load to drop ($busy cores busy)"
  done
fi

STARTED="$(date -u +%Y-%m-%dT%H:%M:%SZ)"
STAMP="$(date -u +%Y-%m-%dT%H%M%SZ)"
LOAD_BEFORE="$(cut -d' ' -f1-3 /proc/loadavg)"
J0=($(cpu_jiffies))
FLAGS=(--models "$WORK/models" --threads "$THREADS" --batches "$BATCHES" --rounds "$ROUNDS"
       --round_ms "$ROUND_MS" --warmup_ms "$WARMUP_MS" --json "$WORK/rows.jsonl")
[ -n "$ONLY" ] && FLAGS+=(--only "$ONLY")
[ "$PLAIN" = 1 ] && FLAGS+=(--plain)
log "running: onnx_vs_torchscript ${FLAGS[*]}"
STATUS=0
"$WORK/onnx_vs_torchscript" "${FLAGS[@]}" | tee "$WORK/table.md" || STATUS=$?
J1=($(cpu_jiffies))
LOAD_AFTER="$(cut -d' ' -f1-3 /proc/loadavg)"
STEAL=$(calc "(${J1[1]}-${J0[1]})*100/(${J1[2]}-${J0[2]})")

mkdir -p "$BENCH/results"
SUFFIX=""; [ "$QUICK" = 1 ] && SUFFIX=-quick
OUT="$BENCH/results/$STAMP$SUFFIX"
COMMIT="$(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo unknown)"
DIRTY="$(git -C "$ROOT" status --porcelain 2>/dev/null | grep -c . || true)"
CPU_MODEL="$(awk -F': ' '/^model name/{print $2; exit}' /proc/cpuinfo)"
BLAS="$(readlink -f /etc/alternatives/libblas.so.3-x86_64-linux-gnu 2>/dev/null || echo unknown)"
TORCH_VERSION="$(dpkg-query -W -f='${Version}' libtorch-dev 2>/dev/null || echo unknown)"
{
  echo "# ONNX vs TorchScript, $STARTED"
  echo
  echo "Command: \`bench/onnx/run.sh$ARGS_TEXT\`; commit $COMMIT ($DIRTY uncommitted paths)."
  echo "Machine: $(nproc) × $CPU_MODEL; libtorch-dev $TORCH_VERSION; BLAS $BLAS."
  echo "Load average $LOAD_BEFORE before, $LOAD_AFTER after; CPU steal over the run $STEAL%; niceness $NICE."
  echo
  echo "Models (name, row shape, parameters, ONNX nodes, ONNX ops):"
  echo
  sed 's/^/    /' "$WORK/models/models.tsv"
  echo
  cat "$WORK/table.md"
} > "$OUT.md"
{
  printf '{"started": "%s", "command": "bench/onnx/run.sh%s", "commit": "%s", "uncommitted_paths": %s,\n' \
    "$STARTED" "$ARGS_TEXT" "$COMMIT" "$DIRTY"
  printf ' "nproc": %s, "cpu_model": "%s", "libtorch": "%s", "blas": "%s",\n' \
    "$(nproc)" "$CPU_MODEL" "$TORCH_VERSION" "$BLAS"
  printf ' "loadavg_before": "%s", "loadavg_after": "%s", "steal_pct": %s, "threads": %s, "nice": %s,\n' \
    "$LOAD_BEFORE" "$LOAD_AFTER" "$STEAL" "$THREADS" "$NICE"
  printf ' "rows": [\n'
  sed '$!s/$/,/' "$WORK/rows.jsonl" 2>/dev/null | sed 's/^/  /'
  printf ' ]}\n'
} > "$OUT.json"
log "results: $OUT.md and $OUT.json"
[ "$STATUS" = 0 ] || log "onnx_vs_torchscript exited $STATUS (outputs disagreed or a runtime failed)"
exit "$STATUS"
