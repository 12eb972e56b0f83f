"""The audit log (docs/security.md "Audit log", docs/api.md "Audit log"): every change,
denial and authentication failure becomes one row in metadata.db and one JSON line in
<data-dir>/audit.log, with time, request id, tenant, key prefix, source address, action,
resource, result and detail; `GET /api/v1/audit` shows a tenant admin its tenant's events
and a server admin all of them; no key secret is ever written."""

import json
import os
import re
import stat
import sys
import unittest
import urllib.parse

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
from security import support  # noqa: E402
from security.support import create_key, create_tenant  # noqa: E402

from common import E2ETestCase  # noqa: E402
from server import Server  # noqa: E402

SERVER = None
ACME = None       # acme's admin key (the 201 body: id, key, ...)
OTHER = None      # other's admin key
VIEWER = None     # acme viewer key

TIME_MS = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$")
FIELDS = {"id", "time", "request_id", "tenant", "key_prefix", "source", "action", "resource",
          "result", "detail"}


def setUpModule():
    global SERVER, ACME, OTHER, VIEWER
    SERVER = Server(name="sec-audit").start()
    create_tenant(SERVER, "acme")
    create_tenant(SERVER, "other")
    ACME = create_key(SERVER, "admin", tenant="acme")
    OTHER = create_key(SERVER, "admin", tenant="other")
    VIEWER = create_key(SERVER, "viewer", api_key=ACME["key"])


def tearDownModule():
    if SERVER is not None:
        SERVER.stop()


def secret_of(key):
    return key.rsplit("_", 1)[1]


def prefix(created):
    return "aiaas_" + created["id"]


def audit(api_key=None, **params):
    """GET /api/v1/audit as `api_key` (default: the bootstrap server admin); the response."""
    query = urllib.parse.urlencode(params)
    kw = {} if api_key is None else {"api_key": api_key}
    return SERVER.get("/api/v1/audit" + ("?" + query if query else ""), **kw)


def read(path):
    with open(path, "rb") as f:
        return f.read()


class AuditTest(E2ETestCase):
    server = property(lambda self: SERVER)

    def events(self, api_key=None, **params):
        resp = audit(api_key, **params)
        self.assertStatus(resp, 200)
        self.assertEqual(set(resp.body), {"events", "next_before_id"})
        for event in resp.body["events"]:
            self.assertEqual(set(event), FIELDS, event)
            self.assertRegex(event["time"], TIME_MS)
            self.assertIn(event["result"], ("ok", "denied", "error"))
        return resp.body["events"]

    def find(self, events, **want):
        for event in events:
            if all(event.get(k) == v for k, v in want.items()):
                return event
        self.fail("no event with %r among %s" % (want, json.dumps(events, indent=1)[:4000]))

    def test_changes_are_audited_with_every_field(self):
        a = ACME["key"]
        tagged = SERVER.post("/api/v1/keys", {"role": "inference", "name": "svc"}, api_key=a,
                             headers={"X-Request-Id": "audit-e2e-key-create"})
        self.assertStatus(tagged, 201)
        support.push(SERVER, "m", "two_io", api_key=a)
        support.push(SERVER, "m", "two_io", api_key=a)
        self.assertStatus(SERVER.put("/api/v1/models/m/aliases/production", {"version": 2},
                                     api_key=a), 200)
        self.assertStatus(SERVER.post("/api/v1/models/m/grants",
                                      {"tenant": "other", "permission": "read"}, api_key=a), 201)
        self.assertStatus(SERVER.delete("/api/v1/models/m/grants/other", api_key=a), 200)
        self.assertStatus(SERVER.patch("/api/v1/models/m", {"visibility": "public"}, api_key=a),
                          200)
        self.assertStatus(SERVER.delete("/api/v1/models/m/aliases/production", api_key=a), 204)
        self.assertStatus(SERVER.delete("/api/v1/models/m/versions/1", api_key=a), 204)
        self.assertStatus(SERVER.post("/api/v1/models", {"name": "gone"}, api_key=a), 201)
        self.assertStatus(SERVER.delete("/api/v1/models/gone", api_key=a), 204)
        self.assertStatus(SERVER.post("/api/v1/principals", {"name": "ann"}, api_key=a), 201)
        self.assertStatus(SERVER.delete("/api/v1/principals/ann", api_key=a), 200)
        rotated = SERVER.request("POST", "/api/v1/keys/%s/rotate" % tagged.body["id"], api_key=a)
        self.assertStatus(rotated, 201)
        self.assertStatus(SERVER.delete("/api/v1/keys/" + rotated.body["id"], api_key=a), 200)

        events = self.events(a, limit=100)
        me = dict(tenant="acme", key_prefix=prefix(ACME), source="127.0.0.1", result="ok")
        created = self.find(events, action="key.create", resource="key:" + tagged.body["id"],
                            **me)
        self.assertEqual(created["request_id"], "audit-e2e-key-create")
        self.assertEqual(created["detail"], "role inference")
        self.find(events, action="version.create", resource="model:acme/m@1", **me)
        self.find(events, action="version.create", resource="model:acme/m@2", **me)
        self.find(events, action="alias.set", resource="model:acme/m@production",
                  detail="version 2", **me)
        self.find(events, action="grant.put", resource="model:acme/m", detail="tenant other: read",
                  **me)
        self.find(events, action="grant.delete", resource="model:acme/m", **me)
        self.find(events, action="model.visibility", resource="model:acme/m", detail="public",
                  **me)
        self.find(events, action="alias.delete", resource="model:acme/m@production", **me)
        self.find(events, action="version.delete", resource="model:acme/m@1", **me)
        self.find(events, action="model.create", resource="model:acme/gone", **me)
        self.find(events, action="model.delete", resource="model:acme/gone", **me)
        self.find(events, action="principal.create", resource="principal:acme/ann", **me)
        self.find(events, action="principal.delete", resource="principal:acme/ann", **me)
        self.find(events, action="key.rotate", resource="key:" + tagged.body["id"],
                  detail="replaced by key " + rotated.body["id"], **me)
        self.find(events, action="key.revoke", resource="key:" + rotated.body["id"], **me)
        for event in events:
            self.assertTrue(event["request_id"], event)
        ids = [e["id"] for e in events]
        self.assertEqual(ids, sorted(ids, reverse=True), "newest first")

        # The server admin's own changes in acme belong to acme too.
        self.find(events, action="tenant.create", resource="tenant:acme", tenant="acme",
                  key_prefix=SERVER.api_key[:22])
        self.find(events, action="key.create", resource="key:" + ACME["id"], tenant="acme",
                  detail="role admin")

        # Filters: one action, an action prefix, a time.
        only = self.events(a, action="key.rotate")
        self.assertEqual([e["action"] for e in only], ["key.rotate"])
        keys = self.events(a, action="key.")
        self.assertTrue(keys and all(e["action"].startswith("key.") for e in keys))
        self.assertEqual(self.events(a, since="2999-01-01T00:00:00Z"), [])

        # Every line of audit.log is one JSON event; the API's rows are in it.
        lines = [json.loads(line) for line in read(self.audit_log()).splitlines()]
        self.assertEqual(set(lines[-1]), FIELDS)
        by_id = {line["id"]: line for line in lines}
        self.assertEqual(by_id[created["id"]], created)

    def test_serving_config_pins_model_fields_and_quotas_are_audited(self):
        a = ACME["key"]
        support.push(SERVER, "tuned", "two_io", api_key=a)
        self.assertStatus(SERVER.put("/api/v1/models/tuned/versions/1/config",
                                     {"max_batch_size": 4}, api_key=a), 200)
        self.assertStatus(SERVER.request("PUT", "/api/v1/models/tuned/versions/1/pin",
                                         api_key=a), 200)
        self.assertStatus(SERVER.delete("/api/v1/models/tuned/versions/1/pin", api_key=a), 200)
        self.assertStatus(SERVER.patch("/api/v1/models/tuned",
                                       {"description": "d", "labels": {"team": "x"}}, api_key=a),
                          200)
        refused = SERVER.put("/api/v1/models/tuned/versions/1/config",
                             {"max_batch_size": -1}, api_key=a)
        self.assertStatus(refused, 400)
        self.assertStatus(SERVER.put("/api/v1/tenants/acme/quotas", {"max_models": 500}), 200)

        events = self.events(a, limit=200)
        me = dict(tenant="acme", key_prefix=prefix(ACME), source="127.0.0.1")
        configured = self.find(events, action="version.config", resource="model:acme/tuned@1",
                               result="ok", **me)
        self.assertEqual(json.loads(configured["detail"])["max_batch_size"], 4)
        pinned = self.find(events, action="version.pin", resource="model:acme/tuned@1",
                           result="ok", **me)
        self.assertTrue(json.loads(pinned["detail"])["pinned"])
        unpinned = self.find(events, action="version.unpin", resource="model:acme/tuned@1",
                             result="ok", **me)
        self.assertFalse(json.loads(unpinned["detail"])["pinned"])
        self.find(events, action="model.update", resource="model:acme/tuned",
                  detail="description labels", result="ok", **me)
        failed = self.find(events, action="version.config", resource="model:acme/tuned@1",
                           result="error", **me)
        self.assertIn("max_batch_size", failed["detail"])
        quota = self.find(events, action="quota.set", resource="tenant:acme", result="ok",
                          tenant="acme", key_prefix=SERVER.api_key[:22])
        self.assertEqual(json.loads(quota["detail"]), {"max_models": 500})

    def test_a_bogus_key_401_is_audited_with_its_prefix_only(self):
        bogus = "aiaas_00000000deadbeef_" + "Z" * 32
        resp = SERVER.get("/api/v1/models", api_key=bogus)
        self.assertStatus(resp, 401)
        self.assertStatus(SERVER.get("/api/v1/models", api_key="not-a-key"), 401)
        events = self.events(action="auth.failure")
        event = self.find(events, key_prefix="aiaas_00000000deadbeef")
        self.assertEqual(event["resource"], "key:00000000deadbeef")
        self.assertEqual(event["result"], "denied")
        self.assertEqual(event["source"], "127.0.0.1")
        self.assertEqual(event["tenant"], "")
        self.assertIn("GET /api/v1/models", event["detail"])
        self.find(events, detail="malformed API key on GET /api/v1/models")
        self.assertNotIn(b"Z" * 32, read(self.audit_log()))
        # Server-wide events are not a tenant's.
        self.assertEqual(self.events(ACME["key"], action="auth.failure"), [])

    def test_a_tenant_admin_sees_only_its_own_tenant(self):
        support.push(SERVER, "isolated", "two_io", api_key=ACME["key"])
        for event in self.events(OTHER["key"], limit=1000):
            self.assertEqual(event["tenant"], "other", event)
            self.assertNotIn(event["key_prefix"], (prefix(ACME), prefix(VIEWER)), event)
        self.assertError(audit(OTHER["key"], tenant="acme"), 403)
        # The server admin sees both, and can narrow to one.
        everything = self.events(limit=1000)
        self.assertTrue({"acme", "other", ""} <= {e["tenant"] for e in everything})
        self.assertEqual({e["tenant"] for e in self.events(tenant="other", limit=1000)},
                         {"other"})

    def test_viewers_get_403_and_the_denial_is_audited(self):
        self.assertError(audit(VIEWER["key"]), 403, mentions=("admin",))
        self.assertStatus(SERVER.post("/api/v1/models", {"name": "nope"}, api_key=VIEWER["key"]),
                          403)
        denied = self.events(ACME["key"], action="permission.denied")
        self.find(denied, key_prefix=prefix(VIEWER), result="denied", resource="model:acme/nope")
        self.assertTrue([e for e in denied if e["key_prefix"] == prefix(VIEWER)
                         and "GET /api/v1/audit" in e["detail"]], denied)

    def test_a_hidden_404_is_audited_as_a_denial_with_the_real_reason(self):
        support.push(SERVER, "private", "two_io", api_key=ACME["key"])
        hidden = SERVER.get("/api/v1/models/acme/private", api_key=OTHER["key"])
        missing = SERVER.get("/api/v1/models/acme/no-such-model", api_key=OTHER["key"])
        self.assertStatus(hidden, 404)
        self.assertEqual(hidden.raw.replace(b"private", b"X"),
                         missing.raw.replace(b"no-such-model", b"X"))
        denied = self.events(OTHER["key"], action="permission.denied")
        event = self.find(denied, resource="model:acme/private")
        self.assertIn("not shared with tenant 'other'", event["detail"])
        self.assertEqual(event["key_prefix"], prefix(OTHER))
        self.assertFalse([e for e in denied if "no-such-model" in e["resource"]])

    def test_bad_parameters_are_400(self):
        for params in ({"limit": "0"}, {"limit": "x"}, {"before_id": "-1"},
                       {"action": "Key.Create"}, {"since": "yesterday"}, {"bogus": "1"}):
            with self.subTest(params=params):
                self.assertError(audit(**params), 400)

    def test_pages_with_next_before_id(self):
        first = audit(limit=2)
        self.assertStatus(first, 200)
        self.assertEqual(len(first.body["events"]), 2)
        cursor = first.body["next_before_id"]
        self.assertEqual(cursor, first.body["events"][-1]["id"])
        second = self.events(limit=2, before_id=cursor)
        self.assertTrue(all(e["id"] < cursor for e in second))

    def test_no_key_secret_in_the_audit_log_or_table(self):
        fresh = create_key(SERVER, "editor", api_key=ACME["key"], name="fresh")
        self.assertStatus(SERVER.get("/api/v1/models", api_key=fresh["key"]), 200)
        self.assertStatus(SERVER.get("/api/v1/models", api_key=fresh["key"][:-1] + "0"), 401)
        self.events()  # flushes the writer
        mode = stat.S_IMODE(os.stat(self.audit_log()).st_mode)
        self.assertEqual(mode, 0o600, "audit.log mode %o" % mode)
        base = os.path.join(SERVER.data_dir, "metadata.db")
        for path in [self.audit_log()] + [p for p in (base, base + "-wal") if os.path.exists(p)]:
            data = read(path)
            for key in (fresh["key"], ACME["key"], OTHER["key"], VIEWER["key"]):
                self.assertNotIn(secret_of(key).encode(), data, "a key secret is in " + path)
        log = read(self.audit_log())
        self.assertIn(("key:" + fresh["id"]).encode(), log)

    def test_the_cli_prints_the_log(self):
        proc = SERVER.cli("audit", "--action", "tenant.create", api_key=SERVER.api_key)
        self.assertEqual(proc.returncode, 0, proc.stderr)
        self.assertTrue(proc.stdout.startswith("TIME"), proc.stdout)
        self.assertIn("tenant:acme", proc.stdout)
        proc = SERVER.cli("audit", "--limit", "1", "--json", api_key=ACME["key"])
        self.assertEqual(proc.returncode, 0, proc.stderr)
        self.assertEqual(len(json.loads(proc.stdout)["events"]), 1)
        proc = SERVER.cli("audit", api_key=VIEWER["key"])
        self.assertNotEqual(proc.returncode, 0)
        self.assertIn("admin", proc.stderr)

    def test_zz_server_start_and_stop_are_audited_across_a_restart(self):
        SERVER.restart()
        events = self.events(action="server.")
        self.assertGreaterEqual(len(events), 3, events)
        self.assertEqual([e["action"] for e in events[:3]],
                         ["server.start", "server.stop", "server.start"])
        self.assertIn("SIGTERM", events[1]["detail"])
        for event in events[:3]:
            self.assertEqual((event["tenant"], event["key_prefix"], event["resource"]),
                             ("", "", "server"))
        self.find(self.events(action="key.create"), detail="bootstrap server-admin key")

    def audit_log(self):
        return os.path.join(SERVER.data_dir, "audit.log")


if __name__ == "__main__":
    unittest.main()
