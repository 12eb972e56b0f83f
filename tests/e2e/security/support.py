"""Helpers shared by the security tests: key and tenant creation through the API, raw
socket requests, and reading a process's resident memory."""

import json
import os
import select
import socket
import sys
import urllib.parse

HERE = os.path.dirname(os.path.abspath(__file__))
E2E = os.path.dirname(HERE)
if E2E not in sys.path:  # a test file run by hand: find server.py and common.py
    sys.path.insert(0, E2E)

import server as srvmod  # noqa: E402

# What every refused key gets (docs/security.md, docs/api.md).
UNAUTHENTICATED_BODY = {"error": "missing or invalid API key"}


def create_tenant(srv, name):
    resp = srv.post("/api/v1/tenants", {"name": name})
    if resp.status != 201:
        raise AssertionError("POST /api/v1/tenants %s: %s" % (name, resp.describe()))
    return resp.body


def create_key(srv, role, tenant=None, api_key=srvmod.SERVER_KEY, **fields):
    """POST /api/v1/keys; returns the 201 body (with the one-time `key`)."""
    body = {"role": role}
    if tenant is not None:
        body["tenant"] = tenant
    body.update(fields)
    resp = srv.post("/api/v1/keys", body, api_key=api_key)
    if resp.status != 201:
        raise AssertionError("POST /api/v1/keys %r: %s" % (body, resp.describe()))
    return resp.body


def push_raw(srv, url_name, ref, api_key=srvmod.SERVER_KEY):
    """Pushes manifest model `ref` (multipart, format torchscript) to
    /api/v1/models/<url_name>/versions with `url_name` sent exactly as given (already
    percent-encoded, or not); returns the Response."""
    from common import model_path
    with open(model_path(ref), "rb") as f:
        data = f.read()
    fields = [("file", data, os.path.basename(model_path(ref))), ("format", "torchscript")]
    return srvmod.post_multipart("%s/api/v1/models/%s/versions" % (srv.url, url_name), fields,
                                 api_key=api_key)


def push(srv, name, ref, api_key=srvmod.SERVER_KEY):
    """Pushes manifest model `ref` as `name`; asserts 201 and returns the Version."""
    resp = push_raw(srv, quote(name), ref, api_key)
    if resp.status != 201:
        raise AssertionError("push %s (%s): %s" % (name, ref, resp.describe()))
    return resp.body


def quote(name):
    return urllib.parse.quote(name, safe="")


def infer(srv, model_path_part, case, api_key, timeout=60):
    """POST /v2/models/<model_path_part>/infer with reference case `case`."""
    from common import infer_body
    return srv.post("/v2/models/%s/infer" % model_path_part, infer_body(case), api_key=api_key,
                    timeout=timeout)


def vm_rss_bytes(pid):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    raise AssertionError("no VmRSS for pid %d" % pid)


def read_response(sock, timeout=30):
    """Reads one HTTP response from `sock`: (status, headers dict lower-case, body bytes).
    A connection closed or reset before any byte gives (None, {}, b"")."""
    sock.settimeout(timeout)
    data = b""
    try:
        while b"\r\n\r\n" not in data:
            chunk = sock.recv(65536)
            if not chunk:
                break
            data += chunk
    except (ConnectionResetError, BrokenPipeError):
        pass
    if b"\r\n\r\n" not in data:
        return None, {}, data
    head, _, rest = data.partition(b"\r\n\r\n")
    lines = head.split(b"\r\n")
    status = int(lines[0].split(b" ", 2)[1])
    headers = {}
    for line in lines[1:]:
        name, _, value = line.partition(b":")
        headers[name.strip().lower().decode()] = value.strip().decode()
    length = int(headers.get("content-length", "0"))
    try:
        while len(rest) < length:
            chunk = sock.recv(65536)
            if not chunk:
                break
            rest += chunk
    except (ConnectionResetError, BrokenPipeError):
        pass
    return status, headers, rest


def readable(sock, timeout=0.0):
    return bool(select.select([sock], [], [], timeout)[0])


def raw_exchange(port, head, body=b"", timeout=30):
    """Sends a hand-written request head (without the final blank line) and body;
    returns (status, headers, body bytes)."""
    with socket.create_connection((srvmod.HOST, port), timeout=timeout) as sock:
        sock.sendall(head.encode("latin-1") + b"\r\n" + body)
        return read_response(sock, timeout)


def json_body(raw):
    return json.loads(raw.decode("utf-8"))

