#!/usr/bin/env bash
# Training throughput: aiaas training jobs (server, LibTorch C++ trainer) versus a plain
# PyTorch loop in /usr/bin/python3, same model, data, batch, optimizer, loss, epochs and
# thread count; the digits MLP and CNN at 1 and 2 threads. See docs/benchmarks.md
# ("Training throughput").
#
#   bench/training/run.sh [--quick] [--reps N] [--threads LIST] [--models LIST]
#                         [--epochs-mlp E] [--epochs-cnn E] [--dataloader] [--build-dir DIR]
#                         [--wait-quiet S] [--nice N] [--keep]
#
# Builds aiaas and aiaas-server in the build folder (default build/, configured if
# missing), copies them to a scratch folder, runs bench.py (servers on 127.0.0.1 only,
# stopped by PID) and writes bench/training/results/<UTC time>[-quick].md and .json.
# --dataloader also times the Python loop written with TensorDataset + DataLoader.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
BENCH="$ROOT/bench/training"
PY=/usr/bin/python3
BUILD="$ROOT/build"
REPS=5
THREADS=1,2
MODELS=mlp,cnn
EPOCHS_MLP=12
EPOCHS_CNN=6
DATALOADER=0
QUICK=0
KEEP=0
WAIT_QUIET=60
NICE=0

usage() { sed -n '2,14p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; }

ARGS_TEXT=""; [ $# -gt 0 ] && ARGS_TEXT="$(printf ' %s' "$@")"
while [ $# -gt 0 ]; do
  case "$1" in
    --quick) QUICK=1; REPS=1; EPOCHS_MLP=4; EPOCHS_CNN=3; WAIT_QUIET=0 ;;
    --reps) REPS="$2"; shift ;;
    --threads) THREADS="$2"; shift ;;
    --models) MODELS="$2"; shift ;;
    --epochs-mlp) EPOCHS_MLP="$2"; shift ;;
    --epochs-cnn) EPOCHS_CNN="$2"; shift ;;
    --dataloader) DATALOADER=1 ;;
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

"$PY" -c 'import torch, numpy' 2>/dev/null || die "/usr/bin/python3 lacks torch/numpy: run 'make deps'"
WORK="$(mktemp -d "${TMPDIR:-/tmp}/aiaas-train-bench.XXXXXX")"
cleanup() { if [ "$KEEP" = 1 ]; then log "scratch folder kept: $WORK"; else rm -rf "$WORK"; fi; }
trap cleanup EXIT

# What the binaries are built from (read before the build: the tree may change meanwhile).
COMMIT="$(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo unknown)"
DIRTY="$(git -C "$ROOT" status --porcelain 2>/dev/null | grep -c . || true)"
if [ ! -f "$BUILD/build.ninja" ] && [ ! -f "$BUILD/Makefile" ]; then
  log "configuring $BUILD"
  cmake -S "$ROOT" -B "$BUILD" -G Ninja > "$WORK/configure.log" 2>&1 \
    || { tail -20 "$WORK/configure.log" >&2; die "cmake configure failed"; }
fi
log "building aiaas and aiaas-server in $BUILD"
cmake --build "$BUILD" -j2 --target aiaas aiaas-server > "$WORK/build.log" 2>&1 \
  || { tail -30 "$WORK/build.log" >&2; die "build failed"; }
mkdir -p "$WORK/bin"
cp "$BUILD/aiaas" "$BUILD/aiaas-server" "$WORK/bin/"  # a rebuild cannot swap them mid-run

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
mkdir -p "$BENCH/results"
SUFFIX=""; [ "$QUICK" = 1 ] && SUFFIX=-quick
OUT="$BENCH/results/$STAMP$SUFFIX"
FLAGS=(--bin-dir "$WORK/bin" --work "$WORK" --out "$WORK/raw" --threads "$THREADS"
       --models "$MODELS" --reps "$REPS" --epochs-mlp "$EPOCHS_MLP" --epochs-cnn "$EPOCHS_CNN")
[ "$DATALOADER" = 1 ] && FLAGS+=(--dataloader)
log "running: bench.py ${FLAGS[*]}"
STATUS=0
"$PY" "$BENCH/bench.py" "${FLAGS[@]}" > "$WORK/table.md" || STATUS=$?
J1=($(cpu_jiffies))
LOAD_AFTER="$(cut -d' ' -f1-3 /proc/loadavg)"
STEAL=$(calc "(${J1[1]}-${J0[1]})*100/(${J1[2]}-${J0[2]})")
BUSY=$(calc "(${J1[0]}-${J0[0]})/(${J1[2]}-${J0[2]})*$(nproc)")
[ "$STATUS" = 0 ] || { tail -40 "$WORK"/server-t*.log >&2 2>/dev/null || true; die "bench.py exited $STATUS"; }

CPU_MODEL="$(awk -F': ' '/^model name/{print $2; exit}' /proc/cpuinfo)"
BLAS="$(readlink -f /etc/alternatives/libblas.so.3-x86_64-linux-gnu 2>/dev/null || echo unknown)"
TORCH_VERSION="$(dpkg-query -W -f='${Version}' libtorch-dev 2>/dev/null || echo unknown)"
PYTORCH_VERSION="$(dpkg-query -W -f='${Version}' python3-torch 2>/dev/null || echo unknown)"
{
  echo "# Training throughput, aiaas vs PyTorch, $STARTED"
  echo
  echo "Command: \`bench/training/run.sh$ARGS_TEXT\`; commit $COMMIT ($DIRTY uncommitted paths)."
  echo "Machine: $(nproc) × $CPU_MODEL; libtorch-dev $TORCH_VERSION, python3-torch $PYTORCH_VERSION; BLAS $BLAS."
  echo "Load average $LOAD_BEFORE before, $LOAD_AFTER after; whole machine $BUSY cores busy over the run"
  echo "(benchmark included); CPU steal $STEAL%; niceness $NICE."
  echo
  "$PY" - "$WORK/raw.json" <<'PYEOF'
import json, sys
d = json.load(open(sys.argv[1]))
rows = sorted({r["rows"] for r in d["records"]})
print("Models (sklearn's digits: %s train rows of 1797 after the 0.1 validation / 0.2 test split):"
      % "/".join(map(str, rows)))
print()
for name, text in d["models"].items():
    print("    %s: %s" % (name, text))
PYEOF
  echo
  cat "$WORK/table.md"
  echo
  echo "Timed on both sides: each epoch's training steps only, from its shuffle to the end of"
  echo "its last optimizer step (aiaas: the job history's train_seconds, measured by the"
  echo "trainer inside the server; Python: time.perf_counter around the same span). Not timed:"
  echo "server start, dataset push, job planning, validation, checkpoints, test evaluation,"
  echo "interpreter start. Runs interleaved (aiaas, python, then python, aiaas, ...)."
} > "$OUT.md"
"$PY" - "$WORK/raw.json" "$OUT.json" <<EOF
import json, sys
d = json.load(open(sys.argv[1]))
d["context"] = {"started": "$STARTED", "command": "bench/training/run.sh$ARGS_TEXT",
                "commit": "$COMMIT", "uncommitted_paths": int("$DIRTY" or 0),
                "nproc": $(nproc), "cpu_model": "$CPU_MODEL", "libtorch": "$TORCH_VERSION",
                "python3_torch": "$PYTORCH_VERSION", "blas": "$BLAS",
                "loadavg_before": "$LOAD_BEFORE", "loadavg_after": "$LOAD_AFTER",
                "machine_busy_cores": $BUSY, "steal_pct": $STEAL, "nice": $NICE}
json.dump(d, open(sys.argv[2], "w"), indent=1)
EOF
cat "$OUT.md"
log "results: $OUT.md and $OUT.json"
