"""Training throughput: aiaas training jobs versus a plain PyTorch loop, same model, data, threads.

    /usr/bin/python3 bench/training/bench.py --bin-dir DIR --out PREFIX [--threads 1,2]
        [--models mlp,cnn] [--reps 5] [--epochs-mlp 12] [--epochs-cnn 6] [--batch-size 32]
        [--dataloader] [--work DIR]

run.sh calls this (it builds the binaries and records the machine); see docs/benchmarks.md
("Training throughput"). Standard library only; nothing but 127.0.0.1 is contacted.

For each thread count N: start `DIR/aiaas serve --training-threads N` on a free loopback port
with a fresh data dir (auth off: loopback only), push digits.csv.gz as a dataset, run one
1-epoch job per model (warm-up; gives the train split's row count), then for each repetition
and model, interleaved and alternating which goes first: one aiaas job (POST /api/v1/jobs,
polled every 0.5 s until it ends) and one `peer_torch.py` run with torch.set_num_threads(N)
on the same number of rows. The server is stopped by its PID at the end (also on errors).

Timed on both sides, per epoch: the training steps only, from the epoch's shuffle to the
end of its last optimizer step (aiaas: the `train_seconds` of each history entry, measured
by the trainer; Python: time.perf_counter around the same span). A run's samples/s is its
train rows x epochs 2..E over the summed train_seconds of those epochs (epoch 1 warms
allocators and oneDNN up on both sides). Server start, the dataset push, job submission
and planning, validation, checkpoints, test evaluation and the Python interpreter's start
are all outside.

Also recorded per run: the CPU the measured process used (server or Python child) and the
CPU everything else on the machine used meanwhile ("other cores", from /proc/stat), since on a
shared machine that is what disturbs the figures most.
"""

import argparse
import gzip
import json
import os
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
import uuid

HERE = os.path.dirname(os.path.abspath(__file__))
PYTHON = "/usr/bin/python3"
HOST = "127.0.0.1"
DIGITS = "/usr/lib/python3/dist-packages/sklearn/datasets/data/digits.csv.gz"
CLK_TCK = os.sysconf("SC_CLK_TCK")

# The job specs: what docs/benchmarks.md describes. lr, seed and split as the e2e tests use.
MODELS = {
    "mlp": {"preprocess": {"scale": "standard"},
            "model": {"architecture": "mlp", "hidden": [128, 64]}},
    "cnn": {"preprocess": {"scale": "minmax", "reshape": [1, 8, 8]},
            "model": {"architecture": "cnn", "filters": [32, 64], "dense": [64]}},
}
DESCRIBE = {
    "mlp": "64 → dense 128 relu → dense 64 relu → dense 10 (17.226 k parameters)",
    "cnn": "1×8×8 → conv3×3 32 same relu → maxpool 2 → conv3×3 64 same relu → maxpool 2 → "
           "flatten 256 → dense 64 relu → dense 10 (35.914 k parameters)",
}


def log(msg):
    sys.stderr.write("[%s] %s\n" % (time.strftime("%H:%M:%S", time.gmtime()), msg))
    sys.stderr.flush()


# ---------------------------------------------------------------- CPU accounting

def machine_jiffies():
    """(busy, total) jiffies of all CPUs from /proc/stat (steal counted as not ours)."""
    with open("/proc/stat") as f:
        v = [int(x) for x in f.readline().split()[1:]]
    user, nice, system, idle, iowait, irq, softirq, steal = v[:8]
    busy = user + nice + system + irq + softirq
    return busy, busy + idle + iowait + steal


def process_cpu_s(pid):
    """utime + stime of a live process, seconds."""
    with open("/proc/%d/stat" % pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLK_TCK


# ---------------------------------------------------------------- HTTP

def request(method, url, body=None, content_type=None, timeout=60):
    req = urllib.request.Request(url, data=body, method=method)
    if content_type:
        req.add_header("Content-Type", content_type)
    try:
        with urllib.request.urlopen(req, timeout=timeout) as resp:
            return resp.status, resp.read()
    except urllib.error.HTTPError as e:
        return e.code, e.read()


def get_json(url):
    status, body = request("GET", url)
    if status != 200:
        raise RuntimeError("GET %s: %d %s" % (url, status, body[:300]))
    return json.loads(body)


def post_json(url, obj):
    status, body = request("POST", url, json.dumps(obj).encode(), "application/json")
    return status, json.loads(body) if body else {}


def post_dataset(base, name, data, filename):
    boundary = uuid.uuid4().hex
    parts = []
    for field, value, fname in (("name", name.encode(), None), ("file", data, filename)):
        head = 'Content-Disposition: form-data; name="%s"' % field
        if fname:
            head += '; filename="%s"\r\nContent-Type: application/octet-stream' % fname
        parts.append(b"--" + boundary.encode() + b"\r\n" + head.encode() + b"\r\n\r\n" + value +
                     b"\r\n")
    body = b"".join(parts) + b"--" + boundary.encode() + b"--\r\n"
    status, resp = request("POST", base + "/api/v1/datasets", body,
                           "multipart/form-data; boundary=" + boundary, timeout=120)
    if status != 201:
        raise RuntimeError("dataset push: %d %s" % (status, resp[:300]))


def digits_csv_gz():
    """digits.csv.gz with a header row (the original has none): p0..p63, label."""
    with gzip.open(DIGITS, "rt") as f:
        body = f.read()
    header = ",".join(["p%d" % i for i in range(64)] + ["label"]) + "\n"
    return gzip.compress((header + body).encode())


def free_port():
    with socket.socket() as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


# ---------------------------------------------------------------- the server

class Server:
    def __init__(self, bin_dir, work, threads):
        self.bin = os.path.join(bin_dir, "aiaas")
        self.data_dir = tempfile.mkdtemp(prefix="data-t%d-" % threads, dir=work)
        self.log_path = os.path.join(work, "server-t%d.log" % threads)
        self.threads = threads
        self.port = free_port()
        self.base = "http://%s:%d" % (HOST, self.port)
        self.proc = None

    def start(self):
        cmd = [self.bin, "serve", "--host", HOST, "--port", str(self.port),
               "--data-dir", self.data_dir, "--auth", "off",
               "--training-threads", str(self.threads), "--training-workers", "1"]
        log("starting " + " ".join(cmd))
        with open(self.log_path, "ab") as out:
            self.proc = subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError("aiaas exited with %d; see %s" % (self.proc.returncode,
                                                                     self.log_path))
            try:
                if request("GET", self.base + "/v2/health/ready", timeout=2)[0] == 200:
                    return self
            except OSError:
                pass
            time.sleep(0.2)
        raise RuntimeError("aiaas did not become ready in 60 s; see " + self.log_path)

    def server_pid(self):
        """The PID doing the work: `aiaas serve` may exec aiaas-server (same PID) or spawn it."""
        try:
            with open("/proc/%d/task/%d/children" % (self.proc.pid, self.proc.pid)) as f:
                children = [int(c) for c in f.read().split()]
        except OSError:
            children = []
        return children[0] if len(children) == 1 else self.proc.pid

    def stop(self):
        if self.proc is None or self.proc.poll() is not None:
            return
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


def job_spec(model, epochs, batch_size, lr, seed):
    spec = {"type": "train", "dataset": "digits", "target": "label", "task": "classification",
            "loss": "cross_entropy", "optimizer": {"name": "adam", "lr": lr},
            "epochs": epochs, "batch_size": batch_size, "seed": seed,
            "split": {"validation": 0.1, "test": 0.2},
            "output_model": "bench-%s" % model}
    spec.update(MODELS[model])
    return spec


def run_aiaas(server, model, epochs, args):
    """One job; returns the run record (per-epoch timings from the job's history)."""
    pid = server.server_pid()
    status, body = post_json(server.base + "/api/v1/jobs",
                             job_spec(model, epochs, args.batch_size, args.lr, args.seed))
    if status != 202:
        raise RuntimeError("job submit: %d %s" % (status, body))
    job_id = body["id"]
    cpu0, m0, t0 = process_cpu_s(pid), machine_jiffies(), time.monotonic()
    while True:
        time.sleep(0.5)
        job = get_json("%s/api/v1/jobs/%s" % (server.base, job_id))
        if job["state"] in ("succeeded", "failed", "cancelled"):
            break
        if time.monotonic() - t0 > 1800:
            raise RuntimeError("job %s did not end in 30 minutes" % job_id)
    cpu1, m1, t1 = process_cpu_s(pid), machine_jiffies(), time.monotonic()
    if job["state"] != "succeeded":
        raise RuntimeError("job %s %s: %s" % (job_id, job["state"], job.get("error")))
    history = job["history"]
    epochs_out = [{"epoch": h["epoch"], "train_seconds": h["train_seconds"],
                   "samples_per_s": h["samples_per_s"], "train_loss": h["train_loss"],
                   "seconds": h["seconds"]} for h in history]
    rows = round(history[0]["samples_per_s"] * history[0]["train_seconds"])
    return finish_record("aiaas", model, rows, epochs_out, cpu1 - cpu0, m0, m1, t1 - t0,
                         extra={"job": job_id, "test_accuracy": job["metrics"].get("accuracy")})


def run_python(model, threads, rows, epochs, args, loader):
    cmd = [PYTHON, os.path.join(HERE, "peer_torch.py"), "--model", model, "--threads",
           str(threads), "--rows", str(rows), "--epochs", str(epochs), "--batch-size",
           str(args.batch_size), "--lr", str(args.lr), "--seed", str(args.seed),
           "--loader", loader]
    m0, t0 = machine_jiffies(), time.monotonic()
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    out, err = proc.communicate(timeout=1800)
    m1, t1 = machine_jiffies(), time.monotonic()
    if proc.returncode != 0:
        raise RuntimeError("peer_torch.py exited %d: %s" % (proc.returncode, err[-2000:]))
    # The child's CPU: RUSAGE_CHILDREN grows by each waited-for child.
    result = json.loads(out)
    return finish_record("python-" + loader, model, result["rows"], result["epochs"],
                         None, m0, m1, t1 - t0)


def finish_record(side, model, rows, epochs, own_cpu_s, m0, m1, wall_s, extra=None):
    timed = epochs[1:] if len(epochs) > 1 else epochs
    seconds = sum(e["train_seconds"] for e in timed)
    busy_cores = (m1[0] - m0[0]) / max(m1[1] - m0[1], 1) * os.cpu_count()
    record = {"side": side, "model": model, "rows": rows, "epochs": epochs,
              "timed_epochs": len(timed), "timed_seconds": seconds,
              "samples_per_s": rows * len(timed) / seconds,
              "machine_busy_cores": busy_cores, "wall_s": wall_s}
    if own_cpu_s is not None:
        record["own_cores"] = own_cpu_s / wall_s
        record["other_cores"] = max(busy_cores - record["own_cores"], 0.0)
    if extra:
        record.update(extra)
    return record


def median(values):
    return statistics.median(values) if values else float("nan")


def summarize(records, threads_list, models, sides):
    """Rows of (threads, model, side, median samples/s, min, max, runs)."""
    rows = []
    for threads in threads_list:
        for model in models:
            for side in sides:
                v = [r["samples_per_s"] for r in records
                     if r["threads"] == threads and r["model"] == model and r["side"] == side]
                if v:
                    rows.append({"threads": threads, "model": model, "side": side,
                                 "median": median(v), "min": min(v), "max": max(v),
                                 "runs": len(v)})
    return rows


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--bin-dir", required=True, help="folder with aiaas and aiaas-server")
    ap.add_argument("--out", required=True, help="results path prefix (.json is written)")
    ap.add_argument("--work", default=None, help="scratch folder (default: a temp dir)")
    ap.add_argument("--threads", default="1,2")
    ap.add_argument("--models", default="mlp,cnn")
    ap.add_argument("--reps", type=int, default=5)
    ap.add_argument("--epochs-mlp", type=int, default=12)
    ap.add_argument("--epochs-cnn", type=int, default=6)
    ap.add_argument("--batch-size", type=int, default=32)
    ap.add_argument("--lr", type=float, default=0.001)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--dataloader", action="store_true",
                    help="also time the Python loop with TensorDataset + DataLoader")
    args = ap.parse_args()

    threads_list = [int(t) for t in args.threads.split(",")]
    models = args.models.split(",")
    epochs = {"mlp": args.epochs_mlp, "cnn": args.epochs_cnn}
    loaders = ["slice"] + (["dataloader"] if args.dataloader else [])
    work = args.work or tempfile.mkdtemp(prefix="aiaas-train-bench-")
    dataset = digits_csv_gz()
    records = []
    for threads in threads_list:
        server = Server(args.bin_dir, work, threads)
        try:
            server.start()
            post_dataset(server.base, "digits", dataset, "digits.csv.gz")
            train_rows = {}
            for model in models:  # warm-up; learns the train split's size
                warm = run_aiaas(server, model, 1, args)
                train_rows[model] = warm["rows"]
                log("T=%d %s: warm-up job, %d train rows" % (threads, model, warm["rows"]))
            for rep in range(args.reps):
                for model in models:
                    order = ["aiaas"] + ["python-" + l for l in loaders]
                    if rep % 2 == 1:
                        order.reverse()
                    for side in order:
                        if side == "aiaas":
                            r = run_aiaas(server, model, epochs[model], args)
                        else:
                            r = run_python(model, threads, train_rows[model], epochs[model],
                                           args, side.split("-", 1)[1])
                        r["threads"], r["rep"] = threads, rep + 1
                        records.append(r)
                        log("T=%d rep %d %-6s %-17s %8.0f samples/s  (machine busy %.2f cores)"
                            % (threads, rep + 1, model, side, r["samples_per_s"],
                               r["machine_busy_cores"]))
        finally:
            server.stop()

    sides = ["aiaas"] + ["python-" + l for l in loaders]
    summary = summarize(records, threads_list, models, sides)
    ratios = []
    for threads in threads_list:
        for model in models:
            by_side = {s["side"]: s for s in summary
                       if s["threads"] == threads and s["model"] == model}
            if "aiaas" in by_side and "python-slice" in by_side:
                pairs = [a["samples_per_s"] / p["samples_per_s"]
                         for a in records for p in records
                         if a["side"] == "aiaas" and p["side"] == "python-slice"
                         and a["threads"] == p["threads"] == threads
                         and a["model"] == p["model"] == model and a["rep"] == p["rep"]]
                ratios.append({"threads": threads, "model": model,
                               "ratio": by_side["aiaas"]["median"] /
                               by_side["python-slice"]["median"],
                               "pair_min": min(pairs), "pair_max": max(pairs),
                               "target": 1.3 if model == "mlp" else 1.0})
    out = {"args": vars(args), "models": {m: DESCRIBE[m] for m in models},
           "job_specs": {m: job_spec(m, epochs[m], args.batch_size, args.lr, args.seed)
                         for m in models},
           "records": records, "summary": summary, "ratios": ratios}
    with open(args.out + ".json", "w") as f:
        json.dump(out, f, indent=1)
    for r in ratios:
        log("T=%d %s: aiaas/python %.2fx (target >= %.1fx)" % (r["threads"], r["model"],
                                                               r["ratio"], r["target"]))
    print(markdown(out, threads_list, models, loaders))
    return 0


def markdown(out, threads_list, models, loaders):
    """The summary table (samples/s: median, then min–max over the repetitions)."""
    def cell(threads, model, side):
        for s in out["summary"]:
            if (s["threads"], s["model"], s["side"]) == (threads, model, side):
                return "**%.0f** (%.0f–%.0f)" % (s["median"], s["min"], s["max"])
        return "—"

    def busy(threads, model):
        v = [r["machine_busy_cores"] for r in out["records"]
             if r["threads"] == threads and r["model"] == model]
        return "%.2f" % median(v)

    head = ["threads", "model", "aiaas", "python (slice)"]
    if "dataloader" in loaders:
        head.append("python (DataLoader)")
    head += ["aiaas / python", "pairs min–max", "target", "machine busy cores"]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for r in out["ratios"]:
        t, m = r["threads"], r["model"]
        row = [str(t), m, cell(t, m, "aiaas"), cell(t, m, "python-slice")]
        if "dataloader" in loaders:
            row.append(cell(t, m, "python-dataloader"))
        row += ["**%.2f×** %s" % (r["ratio"], "✓" if r["ratio"] >= r["target"] else "✗"),
                "%.2f–%.2f" % (r["pair_min"], r["pair_max"]), "≥ %.1f×" % r["target"],
                busy(t, m)]
        lines.append("| " + " | ".join(row) + " |")
    reps = out["args"]["reps"]
    lines.append("")
    lines.append("Training samples/s over epochs 2..E of each run (median of %d runs per cell, "
                 "min–max in brackets); epochs: mlp %d, cnn %d; batch %d; Adam lr %g; "
                 "cross-entropy. \"pairs\": aiaas/python of the runs made back to back. "
                 "\"machine busy cores\": median over the runs of the CPU the whole machine used "
                 "(of %d), benchmark included." % (
                     reps, out["args"]["epochs_mlp"], out["args"]["epochs_cnn"],
                     out["args"]["batch_size"], out["args"]["lr"], os.cpu_count()))
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())
