#!/usr/bin/python3
"""Closed-loop HTTP load generator and response checker (standard library only).

    load.py run   --url URL [--body FILE] [--concurrency C] [--duration D] [--warmup W]
                  [--timeout S]
    load.py check --url URL --body FILE --expect FILE [--tolerance 1e-4]

`run`: C threads, each with its own keep-alive http.client connection, send the request
(POST with the JSON body, or GET without --body) back to back for W + D seconds and print one
JSON object about the requests that completed in the last D seconds (the first W seconds bring
the closed loop to its steady state on the same connections, so slow servers are not measured
during their ramp-up): requests, errors (non-2xx, resets, timeouts), throughput (completed 2xx
per second), latency p50/p90/p99/max/mean in ms. Only the loopback interface is accepted.

`check`: sends the body once and verifies the KServe v2 response (`outputs[0]` shape and data)
against the expected output within the tolerance; exits non-zero with a message if not.

Both send `Authorization: Bearer $AIAAS_API_KEY` when that variable is set and not empty (aiaas
with auth on); the key is taken from the environment so it never shows on a command line.

A Python client on 2 cores is slow (the GIL serialises the threads): run.sh measures its ceiling
against a trivial endpoint and uses wrk for throughput when wrk is installed.
"""
import argparse
import http.client
import json
import os
import sys
import threading
import time
import urllib.parse

LOOPBACK = ("127.0.0.1", "localhost", "::1")


def parse_url(url):
    parts = urllib.parse.urlsplit(url)
    if parts.scheme != "http" or parts.hostname not in LOOPBACK:
        sys.exit("load.py: only http://127.0.0.1 (loopback) targets are allowed, got " + url)
    path = parts.path or "/"
    if parts.query:
        path += "?" + parts.query
    return parts.hostname, parts.port or 80, path


def auth_headers():
    """{"Authorization": "Bearer <key>"} from AIAAS_API_KEY, or {} when it is unset or empty."""
    key = os.environ.get("AIAAS_API_KEY", "").strip()
    return {"Authorization": "Bearer " + key} if key else {}


def percentile(sorted_values, p):
    if not sorted_values:
        return None
    index = min(len(sorted_values) - 1, max(0, int(round(p / 100.0 * len(sorted_values) + 0.5)) - 1))
    return sorted_values[index]


def worker(host, port, path, body, headers, timeout, window_start, deadline, latencies, counts,
           lock):
    conn = None
    method = "POST" if body is not None else "GET"
    while True:
        start = time.perf_counter()
        if start >= deadline:
            break
        try:
            if conn is None:
                conn = http.client.HTTPConnection(host, port, timeout=timeout)
            conn.request(method, path, body=body, headers=headers)
            response = conn.getresponse()
            payload = response.read()
            end = time.perf_counter()
            # Only responses that finished within the measured window count.
            if window_start <= end <= deadline:
                with lock:
                    if 200 <= response.status < 300:
                        counts["ok"] += 1
                        latencies.append(end - start)
                    else:
                        counts["errors"] += 1
                        if not counts["first_error"]:
                            counts["first_error"] = "%d %s" % (
                                response.status, payload[:160].decode("utf-8", "replace"))
            if response.will_close:
                conn.close()
                conn = None
        except (OSError, http.client.HTTPException) as e:
            if window_start <= time.perf_counter() <= deadline:
                with lock:
                    counts["errors"] += 1
                    if not counts["first_error"]:
                        counts["first_error"] = "%s: %s" % (type(e).__name__, e)
            if conn is not None:
                conn.close()
            conn = None
    if conn is not None:
        conn.close()


def run(args):
    host, port, path = parse_url(args.url)
    body = None
    headers = auth_headers()
    if args.body:
        with open(args.body, "rb") as f:
            body = f.read()
        headers["Content-Type"] = "application/json"
    latencies = []
    counts = {"ok": 0, "errors": 0, "first_error": ""}
    lock = threading.Lock()
    window_start = time.perf_counter() + args.warmup
    deadline = window_start + args.duration
    threads = [threading.Thread(target=worker, daemon=True,
                                args=(host, port, path, body, headers, args.timeout, window_start,
                                      deadline, latencies, counts, lock))
               for _ in range(args.concurrency)]
    for t in threads:
        t.start()
    # Requests still in flight at the deadline do not count: wait for them only briefly (the
    # threads are daemons; their connections close when the process exits).
    for t in threads:
        t.join(max(0.0, deadline + 1.0 - time.perf_counter()))
    elapsed = min(time.perf_counter(), deadline) - window_start
    with lock:
        latencies = sorted(latencies)
        counts = dict(counts)
    ms = lambda v: None if v is None else round(v * 1000.0, 3)
    result = {
        "tool": "load.py",
        "url": args.url,
        "concurrency": args.concurrency,
        "warmup_s": args.warmup,
        "duration_s": round(elapsed, 3),
        "requests": counts["ok"],
        "errors": counts["errors"],
        "error_detail": {"first_error": counts["first_error"]},
        "throughput_rps": round(counts["ok"] / elapsed, 2) if elapsed > 0 else 0.0,
        "latency_ms": {
            "p50": ms(percentile(latencies, 50)),
            "p90": ms(percentile(latencies, 90)),
            "p99": ms(percentile(latencies, 99)),
            "max": ms(latencies[-1] if latencies else None),
            "mean": ms(sum(latencies) / len(latencies) if latencies else None),
        },
    }
    print(json.dumps(result))


def check(args):
    host, port, path = parse_url(args.url)
    with open(args.body, "rb") as f:
        body = f.read()
    with open(args.expect) as f:
        expect = json.load(f)
    conn = http.client.HTTPConnection(host, port, timeout=args.timeout)
    try:
        headers = dict(auth_headers(), **{"Content-Type": "application/json"})
        conn.request("POST", path, body=body, headers=headers)
        response = conn.getresponse()
        text = response.read().decode("utf-8", "replace")
    except (OSError, http.client.HTTPException) as e:
        sys.exit("check %s: request failed: %s" % (args.url, e))
    finally:
        conn.close()
    if response.status != 200:
        sys.exit("check %s: HTTP %d: %s" % (args.url, response.status, text[:300]))
    try:
        output = json.loads(text)["outputs"][0]
        data = output["data"]
        # Accept nested data as well as flat.
        while data and isinstance(data[0], list):
            data = [v for row in data for v in row]
    except (ValueError, KeyError, IndexError, TypeError) as e:
        sys.exit("check %s: not a KServe v2 response (%s): %s" % (args.url, e, text[:300]))
    if list(output.get("shape", [])) != list(expect["shape"]):
        sys.exit("check %s: shape %s, expected %s" % (args.url, output.get("shape"), expect["shape"]))
    worst = max(abs(a - b) for a, b in zip(data, expect["data"])) if data else float("inf")
    if len(data) != len(expect["data"]) or worst > args.tolerance:
        sys.exit("check %s: outputs differ from the exported model's (max abs diff %g)"
                 % (args.url, worst))
    print("check %s: ok (max abs diff %.2g)" % (args.url, worst))


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    r = sub.add_parser("run")
    r.add_argument("--url", required=True)
    r.add_argument("--body")
    r.add_argument("-c", "--concurrency", type=int, default=1)
    r.add_argument("-d", "--duration", type=float, default=10.0)
    r.add_argument("--warmup", type=float, default=0.0,
                   help="seconds of unmeasured load first, on the same connections")
    r.add_argument("--timeout", type=float, default=30.0)
    c = sub.add_parser("check")
    c.add_argument("--url", required=True)
    c.add_argument("--body", required=True)
    c.add_argument("--expect", required=True)
    c.add_argument("--tolerance", type=float, default=1e-4)
    c.add_argument("--timeout", type=float, default=60.0)
    args = parser.parse_args()
    if args.command == "run":
        if args.concurrency < 1 or not 0 < args.duration <= 600 or not 0 <= args.warmup <= 600:
            sys.exit("load.py: need --concurrency >= 1, 0 < --duration <= 600, 0 <= --warmup <= 600")
        run(args)
    else:
        check(args)


if __name__ == "__main__":
    main()
