#!/usr/bin/env bash
# Serving benchmark: aiaas vs the Python servers users run today, and vs the in-process
# LibTorch limit, all on this machine in one run. See docs/benchmarks.md.
#
#   bench/serving/run.sh [--quick] [--duration S] [--repeat N] [--wait-quiet S] [--nice N] [--keep]
#
# Run from anywhere after `make build`. Writes bench/serving/results/<UTC time>[-quick].json
# (and .md) and prints the markdown summary. Only 127.0.0.1 is ever contacted; every server it
# starts is stopped by its PID; every load step is bounded in time.
# aiaas with auth on writes an admin key to <data dir>/admin.key: every request to aiaas carries
# it (curl, wrk, load.py); the FastAPI/Flask peers never receive it.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
BENCH="$ROOT/bench/serving"
PY=/usr/bin/python3            # Debian's interpreter: it has torch, fastapi, uvicorn, flask
AIAAS="${AIAAS_BIN:-$ROOT/build/aiaas}"

QUICK=0
DURATION=""
REPEAT=1
WAIT_QUIET=""
KEEP=0
NICE=0
# Thread settings (the same intra-op count T for every server in a scenario group):
#   small models (mlp, cnn): T=1 per forward, aiaas runs 2 worker threads (2 x 1 = 2 cores)
#   wide MLP:                T=2 per forward, aiaas runs 1 worker thread  (1 x 2 = 2 cores)
SMALL_T="${SMALL_T:-1}"
SMALL_W="${SMALL_W:-2}"
WIDE_T="${WIDE_T:-2}"
WIDE_W="${WIDE_W:-1}"
BATCH_CONFIG='{"max_batch_size": 32, "max_queue_delay_us": 2000, "instance_count": 1}'

usage() {
  sed -n '2,9p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'
  cat <<'EOF'

  --quick         3 s per load step, 0.3 s per forward point (default 10 s / 1 s)
  --duration S    seconds per load step (overrides --quick's)
  --repeat N      run every load step N times, interleaved; the summary shows the median
  --wait-quiet S  before starting, wait up to S s for other CPU load to drop (default 60, quick 0)
  --nice N        run everything at this niceness (e.g. -10 as root, to shield the measurement
                  from other work on a shared machine; recorded in the results)
  --keep          keep the scratch folder (models, logs, raw step output)
Environment: SMALL_T SMALL_W WIDE_T WIDE_W (threads), AIAAS_BIN (default build/aiaas).
An AIAAS_API_KEY in the environment is ignored: each aiaas server started here gets a fresh
data dir, and its own key is read from <data dir>/admin.key.
EOF
}

ARGS_TEXT=""; [ $# -gt 0 ] && ARGS_TEXT="$(printf ' %s' "$@")"
while [ $# -gt 0 ]; do
  case "$1" in
    --quick) QUICK=1 ;;
    --duration) DURATION="$2"; shift ;;
    --repeat) REPEAT="$2"; shift ;;
    --wait-quiet) WAIT_QUIET="$2"; shift ;;
    --nice) NICE="$2"; shift ;;
    --keep) KEEP=1 ;;
    -h|--help) usage; exit 0 ;;
    *) echo "run.sh: unknown argument $1" >&2; usage >&2; exit 2 ;;
  esac
  shift
done
if [ "$QUICK" = 1 ]; then
  : "${DURATION:=3}"; : "${WAIT_QUIET:=0}"; FWD_SECONDS=0.3
else
  : "${DURATION:=10}"; : "${WAIT_QUIET:=60}"; FWD_SECONDS=1.0
fi
if [ "$NICE" != 0 ]; then
  renice -n "$NICE" -p $$ >/dev/null || { echo "run.sh: cannot renice to $NICE" >&2; exit 2; }
fi
WARMUP=1           # seconds of warm-up traffic before each measured step
IDLE_LIMIT=30      # seconds to wait for a server to finish abandoned requests
CLK_TCK=$(getconf CLK_TCK)
NCPU=$(nproc)
# A key from the caller's shell belongs to some other server: only keys read from the admin.key
# of a server started here are sent, and only to that server.
unset AIAAS_API_KEY

log() { printf '[%s] %s\n' "$(date -u +%H:%M:%S)" "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }

for tool in curl "$PY"; do command -v "$tool" >/dev/null || die "$tool not found (make deps)"; done
[ -x "$AIAAS" ] || die "$AIAAS not found: run 'make build' first"
"$PY" -c 'import torch, fastapi, uvicorn, flask' 2>/dev/null \
  || die "/usr/bin/python3 lacks torch/fastapi/uvicorn/flask: run 'make deps'"
if command -v wrk >/dev/null; then LOADGEN=wrk; else LOADGEN=load.py; log "wrk not installed: using load.py (slower client)"; fi

WORK="$(mktemp -d "${TMPDIR:-/tmp}/aiaas-serving-bench.XXXXXX")"
# Run a private copy of the binaries: a rebuild of build/ during the run cannot swap them.
# (`aiaas serve` execs aiaas-server from its own folder.)
mkdir -p "$WORK/bin"
cp "$AIAAS" "$WORK/bin/aiaas"
[ -x "$(dirname "$AIAAS")/aiaas-server" ] && cp "$(dirname "$AIAAS")/aiaas-server" "$WORK/bin/"
AIAAS_BUILT="$(date -u -r "$AIAAS" +%Y-%m-%dT%H:%M:%SZ)"
AIAAS="$WORK/bin/aiaas"
STEPS="$WORK/steps.jsonl"
: > "$STEPS"
FAILURES=0
declare -A SERVER_PID=() SERVER_PORT=() SERVER_KEY=()
ALL_PIDS=()
AIAAS_AUTH="no key (the server wrote no admin.key)"

stop_pid() {  # stop_pid PID: SIGTERM, up to 10 s, then SIGKILL
  local pid="$1" i
  kill -0 "$pid" 2>/dev/null || return 0
  kill -TERM "$pid" 2>/dev/null || true
  for i in $(seq 1 100); do
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
  done
  if kill -0 "$pid" 2>/dev/null; then
    log "pid $pid still running 10 s after SIGTERM: SIGKILL"
    kill -KILL "$pid" 2>/dev/null || true
  fi
  wait "$pid" 2>/dev/null || true
}

cleanup() {
  local pid
  for pid in "${ALL_PIDS[@]}"; do stop_pid "$pid"; done
  if [ "$KEEP" = 1 ]; then log "scratch folder kept: $WORK"; else rm -rf "$WORK"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# ---------------------------------------------------------------------------------------------
# Machine measurements

cpu_jiffies() {  # prints "busy steal total" from the aggregate line of /proc/stat
  awk '/^cpu /{busy=$2+$3+$4+$7+$8; print busy, $9, $2+$3+$4+$5+$6+$7+$8+$9; exit}' /proc/stat
}
proc_cpu_s() {  # CPU seconds (user+system, all threads) of a live PID, 0 if gone
  local stat
  stat="$(cat "/proc/$1/stat" 2>/dev/null)" || { echo 0; return; }
  echo "${stat##*) }" | awk -v hz="$CLK_TCK" '{printf "%.3f", ($12+$13)/hz}'
}
proc_rss_mb() {
  awk '/^VmRSS:/{printf "%.0f", $2/1024; found=1} END{if(!found) print 0}' "/proc/$1/status" 2>/dev/null || echo 0
}
now_s() { date +%s.%N; }
calc() { awk "BEGIN{printf \"%.3f\", $*}"; }

wait_quiet() {  # wait (bounded) until other processes use under 0.3 cores
  local limit="$1" start a b busy
  [ "$limit" -gt 0 ] || return 0
  start=$(date +%s)
  while :; do
    a=($(cpu_jiffies)); sleep 2; b=($(cpu_jiffies))
    busy=$(calc "(${b[0]}-${a[0]})/(${b[2]}-${a[2]})*$NCPU")
    if awk "BEGIN{exit !($busy < 0.3)}"; then log "machine quiet (other load $busy cores)"; return 0; fi
    if [ $(( $(date +%s) - start )) -ge "$limit" ]; then
      log "other load still $busy cores after ${limit}s: measuring anyway (recorded per step)"
      return 0
    fi
    log "waiting for other load to drop ($busy cores busy)"
  done
}

# ---------------------------------------------------------------------------------------------
# Servers

free_port() { "$PY" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'; }

wait_live() {  # wait_live NAME: up to 120 s for GET /v2/health/live
  local name="$1" pid="${SERVER_PID[$1]}" port="${SERVER_PORT[$1]}" i
  for i in $(seq 1 1200); do
    kill -0 "$pid" 2>/dev/null || { tail -20 "$WORK/$name.log" >&2; die "$name exited during start"; }
    curl -sf -o /dev/null --max-time 2 "http://127.0.0.1:$port/v2/health/live" && return 0
    sleep 0.1
  done
  die "$name did not answer /v2/health/live within 120 s"
}

start_server() {  # start_server NAME KIND T W MODEL...   (KIND: fastapi | flask | aiaas)
  local name="$1" kind="$2" t="$3" w="$4"; shift 4
  local port pid m args=()
  port=$(free_port)
  case "$kind" in
    fastapi|flask)
      for m in "$@"; do args+=(--model "$m=$WORK/models/$m.pt"); done
      "$PY" "$BENCH/peer_$kind.py" --host 127.0.0.1 --port "$port" --threads "$t" "${args[@]}" \
        > "$WORK/$name.log" 2>&1 &
      pid=$! ;;
    aiaas)
      "$AIAAS" serve --host 127.0.0.1 --port "$port" --data-dir "$WORK/data-$name" \
        --intra-op-threads "$t" --worker-threads "$w" > "$WORK/$name.log" 2>&1 &
      pid=$! ;;
  esac
  ALL_PIDS+=("$pid")
  SERVER_PID[$name]=$pid
  SERVER_PORT[$name]=$port
  SERVER_KEY[$name]=""
  wait_live "$name"
  if [ "$kind" = aiaas ]; then read_admin_key "$name"; fi
  log "$name ($kind, T=$t${w:+ W=$w}) pid $pid on 127.0.0.1:$port"
  if [ "$kind" = aiaas ]; then
    for m in "$@"; do push_model "$name" "$m" "$m"; done
  fi
}

read_admin_key() {  # read_admin_key NAME: the key aiaas wrote to its data dir, if it wrote one
  # The server writes admin.key before it listens, so after wait_live it is there or never comes
  # (auth off, or a binary without auth). For curl the header goes to a file in the private
  # scratch folder, so the key never appears on a command line (ps).
  local name="$1" file="$WORK/data-$1/admin.key"
  [ -f "$file" ] && SERVER_KEY[$name]="$(tr -d '[:space:]' < "$file")"
  if [ -z "${SERVER_KEY[$name]}" ]; then
    log "$name: no admin.key in its data dir: sending no API key"
    return 0
  fi
  (umask 077; printf 'Authorization: Bearer %s\n' "${SERVER_KEY[$name]}" > "$WORK/auth-$name.header")
  AIAAS_AUTH="API key sent (auth on)"
  log "$name: API key read from its admin.key"
}

aiaas_curl() {  # aiaas_curl NAME CURL_ARGS...: curl with server NAME's API key header, if it has one
  local name="$1"; shift
  local auth=()
  if [ -n "${SERVER_KEY[$name]:-}" ]; then auth=(-H "@$WORK/auth-$name.header"); fi
  curl "${auth[@]}" "$@"
}

push_model() {  # push_model SERVER NAME_ON_SERVER MODEL_FILE_NAME
  local port="${SERVER_PORT[$1]}" code
  code=$(aiaas_curl "$1" -s -o "$WORK/push-$2.json" -w '%{http_code}' --max-time 300 \
    -F "file=@$WORK/models/$3.pt" -F format=torchscript \
    "http://127.0.0.1:$port/api/v1/models/$2/versions")
  [ "$code" = 201 ] || die "push of $2 to $1 answered $code: $(cat "$WORK/push-$2.json")"
  aiaas_curl "$1" -sf -o /dev/null --max-time 300 "http://127.0.0.1:$port/v2/models/$2/ready" \
    || die "$2 did not become ready on $1"
}

stop_server() {
  local name="$1"
  stop_pid "${SERVER_PID[$name]}"
  unset "SERVER_PID[$name]" "SERVER_KEY[$name]"
}

wait_idle() {  # wait (bounded) until the server has finished the requests a client abandoned
  local pid="$1" i a b
  for i in $(seq 1 $((IDLE_LIMIT * 2))); do
    a=$(proc_cpu_s "$pid"); sleep 0.5; b=$(proc_cpu_s "$pid")
    awk "BEGIN{exit !($b - $a < 0.05)}" && return 0
  done
  log "server pid $pid still busy after ${IDLE_LIMIT}s"
}

# ---------------------------------------------------------------------------------------------
# Load steps

run_client() {  # run_client URL BODY|"" CONCURRENCY SECONDS OUTFILE TOOL STEADY_WARMUP_S API_KEY|""
  local url="$1" body="$2" c="$3" d="$4" out="$5" tool="$6" warm="$7" key="$8"
  # The key reaches wrk and load.py in their environment (AIAAS_API_KEY), not on a command line.
  if [ "$tool" = wrk ]; then
    # One wrk thread: it keeps up with these servers and leaves the most CPU to them.
    BODY_FILE="$body" AIAAS_API_KEY="$key" timeout $((d + 60)) wrk -t1 -c"$c" -d"${d}s" \
      --timeout 30s -s "$BENCH/wrk_post.lua" "$url" > "$out.raw" 2>&1 || true
    grep '^WRK_JSON ' "$out.raw" | sed 's/^WRK_JSON //' > "$out" || true
  else
    AIAAS_API_KEY="$key" timeout $((d + warm + 60)) "$PY" "$BENCH/load.py" run --url "$url" \
      ${body:+--body "$body"} --concurrency "$c" --duration "$d" --warmup "$warm" --timeout 60 \
      > "$out" 2> "$out.raw" || true
  fi
}

measure() {  # measure ID SERVER_LABEL SERVER_NAME MODEL_FILE PATH BODY C T W [TOOL]
  local id="$1" label="$2" name="$3" model="$4" path="$5" body="$6" c="$7" t="$8" w="$9"
  local tool="${10:-$LOADGEN}" rep="${REP:-1}"
  local pid="${SERVER_PID[$name]}" url="http://127.0.0.1:${SERVER_PORT[$name]}$path"
  local key="${SERVER_KEY[$name]:-}"  # empty for the peers: they never see an aiaas key
  local out="$WORK/step-$id-$label-$rep.json" warm_c="$c" steady=0
  if [ "$model" = wide ]; then
    # Seconds-long latencies: a closed loop needs time to reach its steady state, and wrk
    # counts from its first request. load.py runs DURATION unmeasured seconds first on the same
    # connections, then measures DURATION seconds (its client ceiling is far above these rates).
    warm_c=1; tool=load.py; steady="$DURATION"
  fi
  run_client "$url" "$body" "$warm_c" "$WARMUP" "$out.warm" "$tool" 0 "$key"
  wait_idle "$pid"
  local j0 j1 cs0 cs1 t0 t1 client tf="$out.time"
  j0=($(cpu_jiffies)); cs0=$(proc_cpu_s "$pid"); t0=$(now_s)
  { TIMEFORMAT='%U %S'; time run_client "$url" "$body" "$c" "$DURATION" "$out" "$tool" "$steady" "$key"; } 2> "$tf"
  t1=$(now_s); cs1=$(proc_cpu_s "$pid"); j1=($(cpu_jiffies))
  client=$(awk 'NF==2{printf "%.3f", $1+$2}' "$tf" | tail -1)
  local wall server_cores client_cores busy_cores steal other rss result
  wall=$(calc "$t1-$t0")
  server_cores=$(calc "($cs1-$cs0)/$wall")
  client_cores=$(calc "${client:-0}/$wall")
  busy_cores=$(calc "(${j1[0]}-${j0[0]})/(${j1[2]}-${j0[2]})*$NCPU")
  steal=$(calc "(${j1[1]}-${j0[1]})*100/(${j1[2]}-${j0[2]})")
  other=$(calc "$busy_cores-$server_cores-$client_cores")
  rss=$(proc_rss_mb "$pid")
  result="$(cat "$out" 2>/dev/null)"
  if [ -z "$result" ]; then
    log "  $id $label: no result from $tool ($(tail -2 "$out.raw" 2>/dev/null | tr '\n' ' '))"
    result=null; FAILURES=$((FAILURES + 1))
  fi
  printf '{"id": "%s", "server": "%s", "model": "%s", "concurrency": %s, "repeat": %s, "tool": "%s", "intra_op_threads": %s, "worker_threads": %s, "wall_s": %s, "server_cpu_cores": %s, "client_cpu_cores": %s, "machine_busy_cores": %s, "other_cpu_cores": %s, "steal_pct": %s, "server_rss_mb": %s, "result": %s}\n' \
    "$id" "$label" "$model" "$c" "$rep" "$tool" "$t" "${w:-null}" "$wall" "$server_cores" \
    "$client_cores" "$busy_cores" "$other" "$steal" "$rss" "$result" >> "$STEPS"
  if [ "$result" != null ]; then
    "$PY" - "$result" "$id" "$label" "$server_cores" "$other" "$steal" <<'PYEOF' >&2
import json, sys
r = json.loads(sys.argv[1]); l = r["latency_ms"]
f = lambda v: "%9.2f" % v if v is not None else "        –"
print("  %-14s %-14s %9.1f req/s  p50 %s  p99 %s ms  err %d  server %s cores, other %s, steal %s%%"
      % (sys.argv[2], sys.argv[3], r["throughput_rps"], f(l["p50"]), f(l["p99"]),
         r["errors"], sys.argv[4], sys.argv[5], sys.argv[6]))
PYEOF
  fi
}

check_model() {  # check_model SERVER_NAME NAME_ON_SERVER MODEL_FILE: one request, compare outputs
  local port="${SERVER_PORT[$1]}"
  if ! AIAAS_API_KEY="${SERVER_KEY[$1]:-}" "$PY" "$BENCH/load.py" check \
      --url "http://127.0.0.1:$port/v2/models/$2/infer" \
      --body "$WORK/models/$3.body.json" --expect "$WORK/models/$3.expect.json" >&2; then
    FAILURES=$((FAILURES + 1))
    return 1
  fi
}

infer_path() { echo "/v2/models/$1/infer"; }

# ---------------------------------------------------------------------------------------------
# 0. Machine context

STARTED="$(date -u +%Y-%m-%dT%H:%M:%SZ)"
STAMP="$(date -u +%Y-%m-%dT%H%M%SZ)"
LOAD_BEFORE="$(cut -d' ' -f1-3 /proc/loadavg)"
log "serving benchmark: $([ "$QUICK" = 1 ] && echo quick || echo full), ${DURATION}s per step, repeat $REPEAT, client $LOADGEN, scratch $WORK"
wait_quiet "$WAIT_QUIET"
RUN_J0=($(cpu_jiffies))

# ---------------------------------------------------------------------------------------------
# 1. Models and request bodies

log "exporting models"
"$PY" "$BENCH/export_models.py" "$WORK/models" >&2

# ---------------------------------------------------------------------------------------------
# 2. In-process LibTorch forward limit

build_forward_bench() {
  if [ -f "$ROOT/build/build.ninja" ] \
      && ninja -C "$ROOT/build" -t targets all 2>/dev/null | grep -q '^libtorch_forward_bench:'; then
    cmake --build "$ROOT/build" --target libtorch_forward_bench >&2
    FWD_BIN="$ROOT/build/bench/serving/libtorch_forward_bench"
  else
    # The top-level CMakeLists.txt does not include bench/serving (yet): a scratch project does.
    local scratch="${AIAAS_BENCH_SCRATCH:-${TMPDIR:-/tmp}/aiaas-bench-build}"
    mkdir -p "$scratch/src"
    cat > "$scratch/src/CMakeLists.txt.new" <<EOF
cmake_minimum_required(VERSION 3.25)
project(aiaas_bench_scratch LANGUAGES CXX)
set(CMAKE_CXX_STANDARD 17)
find_package(Torch REQUIRED)
add_subdirectory("$BENCH" bench_serving)
EOF
    if ! cmp -s "$scratch/src/CMakeLists.txt.new" "$scratch/src/CMakeLists.txt"; then
      mv "$scratch/src/CMakeLists.txt.new" "$scratch/src/CMakeLists.txt"
    else
      rm -f "$scratch/src/CMakeLists.txt.new"
    fi
    local launcher=()
    command -v ccache >/dev/null && launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache)
    [ -f "$scratch/out/build.ninja" ] || cmake -S "$scratch/src" -B "$scratch/out" -G Ninja \
      -DCMAKE_BUILD_TYPE=Release "${launcher[@]}" >&2
    cmake --build "$scratch/out" --target libtorch_forward_bench >&2
    FWD_BIN="$scratch/out/bench_serving/libtorch_forward_bench"
  fi
}
log "building libtorch_forward_bench"
build_forward_bench
log "in-process forward: T=1,2, batch 1,8,32,64, plain and frozen, ${FWD_SECONDS}s per point"
FJ0=($(cpu_jiffies)); FT0=$(now_s)
"$FWD_BIN" --model "mlp=$WORK/models/mlp.pt:784" --model "cnn=$WORK/models/cnn.pt:1x28x28" \
  --model "wide=$WORK/models/wide.pt:4096" --threads 1,2 --batches 1,8,32,64 \
  --variants plain,frozen --seconds "$FWD_SECONDS" > "$WORK/forward.jsonl"
FT1=$(now_s); FJ1=($(cpu_jiffies))
FWD_WALL=$(calc "$FT1-$FT0")
FWD_BUSY=$(calc "(${FJ1[0]}-${FJ0[0]})/(${FJ1[2]}-${FJ0[2]})*$NCPU")
FWD_STEAL=$(calc "(${FJ1[1]}-${FJ0[1]})*100/(${FJ1[2]}-${FJ0[2]})")
"$PY" - "$WORK/forward.jsonl" <<'PYEOF' >&2
import json, sys
for line in open(sys.argv[1]):
    r = json.loads(line)
    print("  %-4s %-6s T=%d batch %2d: %9.1f rows/s %8.1f batches/s (p50 %.3f ms)"
          % (r["model"], r["variant"], r["threads"], r["batch"], r["rows_per_s"],
             r["batches_per_s"], r["batch_ms_p50"]))
PYEOF
log "forward bench: ${FWD_WALL}s, machine busy ${FWD_BUSY} cores (1 expected at T=1, 2 at T=2), steal ${FWD_STEAL}%"

# ---------------------------------------------------------------------------------------------
# 3 + 4. Served: small models (mlp, cnn) on all servers at once, measured in turn

BATCHING="not available"
log "servers for mlp and cnn (T=$SMALL_T; aiaas W=$SMALL_W)"
start_server fastapi-small fastapi "$SMALL_T" "" mlp cnn
start_server flask-small flask "$SMALL_T" "" mlp cnn
start_server aiaas-small aiaas "$SMALL_T" "$SMALL_W" mlp cnn
# Dynamic batching: the same files pushed again under other names, configured to batch.
push_model aiaas-small mlp-batched mlp
push_model aiaas-small cnn-batched cnn
code=$(aiaas_curl aiaas-small -s -o "$WORK/config.json" -w '%{http_code}' --max-time 60 -X PUT \
  -H 'Content-Type: application/json' -d "$BATCH_CONFIG" \
  "http://127.0.0.1:${SERVER_PORT[aiaas-small]}/api/v1/models/cnn-batched/versions/1/config")
if [ "$code" = 200 ] || [ "$code" = 204 ]; then
  aiaas_curl aiaas-small -sf -o /dev/null -X PUT -H 'Content-Type: application/json' -d "$BATCH_CONFIG" \
    "http://127.0.0.1:${SERVER_PORT[aiaas-small]}/api/v1/models/mlp-batched/versions/1/config" \
    && BATCHING="config accepted"
  for m in mlp cnn; do
    aiaas_curl aiaas-small -sf -o /dev/null --max-time 300 \
      "http://127.0.0.1:${SERVER_PORT[aiaas-small]}/v2/models/$m-batched/ready" || BATCHING="not available"
  done
fi
log "dynamic batching: $BATCHING (PUT .../versions/1/config answered $code)"

declare -A OK=()
for server in fastapi flask aiaas; do
  for m in mlp cnn; do check_model "$server-small" "$m" "$m" && OK[$server-$m]=1 || true; done
done
if [ "$BATCHING" = "config accepted" ]; then
  for m in mlp cnn; do check_model aiaas-small "$m-batched" "$m" && OK[aiaas-batched-$m]=1 || true; done
fi

# Client ceiling: a trivial endpoint, both clients, at concurrency 16.
for REP in $(seq 1 "$REPEAT"); do
  measure client_ceiling wrk aiaas-small health /v2/health/live "" 16 "$SMALL_T" "$SMALL_W" wrk
  measure client_ceiling load.py aiaas-small health /v2/health/live "" 16 "$SMALL_T" "$SMALL_W" load.py
done

SMALL_STEPS=("mlp 1" "mlp 16" "cnn 16" "cnn 64")
for REP in $(seq 1 "$REPEAT"); do
  for step in "${SMALL_STEPS[@]}"; do
    set -- $step; m="$1"; c="$2"
    for server in fastapi flask aiaas; do
      [ -n "${OK[$server-$m]:-}" ] || continue
      measure "${m}_c$c" "$server" "$server-small" "$m" "$(infer_path "$m")" \
        "$WORK/models/$m.body.json" "$c" "$SMALL_T" "$([ $server = aiaas ] && echo "$SMALL_W")"
    done
    if [ -n "${OK[aiaas-batched-$m]:-}" ]; then
      measure "${m}_c$c" aiaas-batched aiaas-small "$m" "$(infer_path "$m-batched")" \
        "$WORK/models/$m.body.json" "$c" "$SMALL_T" "$SMALL_W"
    fi
  done
done
for server in fastapi flask aiaas; do stop_server "$server-small"; done

# ---------------------------------------------------------------------------------------------
# Wide MLP: each server started fresh for its two steps and stopped right after, so requests
# abandoned by the client at the end of a step cannot spill into the next measurement.

log "wide MLP (T=$WIDE_T; aiaas W=$WIDE_W)"
for REP in $(seq 1 "$REPEAT"); do
  for server in fastapi flask aiaas; do
    start_server "$server-wide" "$server" "$WIDE_T" "$([ $server = aiaas ] && echo "$WIDE_W")" wide
    if check_model "$server-wide" wide wide; then
      for c in 1 16; do
        measure "wide_c$c" "$server" "$server-wide" wide "$(infer_path wide)" \
          "$WORK/models/wide.body.json" "$c" "$WIDE_T" "$([ $server = aiaas ] && echo "$WIDE_W")"
      done
    fi
    stop_server "$server-wide"
  done
done

# ---------------------------------------------------------------------------------------------
# Context and report

RUN_J1=($(cpu_jiffies))
LOAD_AFTER="$(cut -d' ' -f1-3 /proc/loadavg)"
RUN_STEAL=$(calc "(${RUN_J1[1]}-${RUN_J0[1]})*100/(${RUN_J1[2]}-${RUN_J0[2]})")
COMMIT="$(git -C "$ROOT" rev-parse HEAD 2>/dev/null || echo unknown)"
DIRTY="$(git -C "$ROOT" status --porcelain 2>/dev/null | grep -c . || true)"
pkgver() { dpkg-query -W -f='${Version}' "$1" 2>/dev/null || echo none; }
cat > "$WORK/context.json" <<EOF
{"started": "$STARTED", "finished": "$(date -u +%Y-%m-%dT%H:%M:%SZ)",
 "mode": "$([ "$QUICK" = 1 ] && echo quick || echo full)", "step_seconds": $DURATION,
 "repeat": $REPEAT, "forward_seconds_per_point": $FWD_SECONDS, "nice": $NICE,
 "command": "bench/serving/run.sh$ARGS_TEXT",
 "git_commit": "$COMMIT", "git_uncommitted_paths": $DIRTY, "aiaas_binary_built": "$AIAAS_BUILT",
 "nproc": $NCPU, "cpu_model": "$(awk -F': ' '/^model name/{print $2; exit}' /proc/cpuinfo)",
 "mem_total_gb": $(awk '/^MemTotal:/{printf "%.1f", $2/1048576}' /proc/meminfo),
 "kernel": "$(uname -r)",
 "loadavg_before": "$LOAD_BEFORE", "loadavg_after": "$LOAD_AFTER",
 "steal_pct_over_run": $RUN_STEAL,
 "forward_bench": {"wall_s": $FWD_WALL, "machine_busy_cores": $FWD_BUSY, "steal_pct": $FWD_STEAL},
 "load_generator": "$LOADGEN",
 "threads": {"small_intra_op": $SMALL_T, "small_aiaas_workers": $SMALL_W,
             "wide_intra_op": $WIDE_T, "wide_aiaas_workers": $WIDE_W},
 "batching": "$BATCHING", "batch_config": $BATCH_CONFIG, "aiaas_auth": "$AIAAS_AUTH",
 "versions": {"libtorch-dev": "$(pkgver libtorch-dev)", "python3-torch": "$(pkgver python3-torch)",
   "python3-fastapi": "$(pkgver python3-fastapi)", "python3-uvicorn": "$(pkgver python3-uvicorn)",
   "python3-flask": "$(pkgver python3-flask)", "wrk": "$(pkgver wrk)",
   "blas": "$(readlink -f /etc/alternatives/libblas.so.3-x86_64-linux-gnu 2>/dev/null || echo unknown)"},
 "env": {"OMP_NUM_THREADS": "${OMP_NUM_THREADS:-}", "OPENBLAS_CORETYPE": "${OPENBLAS_CORETYPE:-}",
   "OPENBLAS_NUM_THREADS": "${OPENBLAS_NUM_THREADS:-}"}}
EOF

mkdir -p "$BENCH/results"
SUFFIX=""; [ "$QUICK" = 1 ] && SUFFIX=-quick
RESULT="$BENCH/results/$STAMP$SUFFIX.json"
"$PY" "$BENCH/report.py" --context "$WORK/context.json" --forward "$WORK/forward.jsonl" \
  --steps "$STEPS" --out "$RESULT"
log "results: $RESULT (and ${RESULT%.json}.md)"
if [ "$FAILURES" -gt 0 ]; then
  log "$FAILURES step(s) or check(s) failed: see above"
  exit 1
fi
