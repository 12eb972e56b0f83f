"""Hostile model names (docs/security.md "HTTP limits"): names must match
[a-z0-9][a-z0-9._-]{0,127}; anything else is a 400 and creates nothing. Percent-escapes are
decoded before the check, and an encoded `/` splits `{tenant}/{model}` like a plain one (so
`a%2Fb` names model `b` of a tenant `a` the caller cannot see: 404)."""

import os
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
from security import support  # noqa: E402
from security.support import create_key  # noqa: E402

from common import E2ETestCase, case  # noqa: E402
from server import Server  # noqa: E402

SERVER = None

# As they appear in the URL path (sent exactly like this).
BAD_PATH_NAMES = [
    "../x",             # plain: the router sees owner ".." and model "x"
    "..%2Fx",           # "../x" with the slash encoded
    "%2e%2e%2f",        # "../"
    "%2e%2e",           # ".."
    "%252e%252e%252f",  # the literal text "%2e%2e%2f"
    ".hidden",
    "a" * 300,
    "a%00b",            # NUL byte
    "%00",
    "Upper",
]
# As JSON strings in POST /api/v1/models (no URL decoding involved).
BAD_BODY_NAMES = ["../x", "%2e%2e%2f", "..", ".hidden", "a" * 300, "a\x00b", "\x00", "a/b",
                  "Upper", ""]


def setUpModule():
    global SERVER
    SERVER = Server(name="sec-names").start()


def tearDownModule():
    if SERVER is not None:
        SERVER.stop()


def blob_files():
    found = []
    for root, _, files in os.walk(os.path.join(SERVER.data_dir, "blobs")):
        found.extend(os.path.join(root, f) for f in files)
    return sorted(found)


class ModelNameTest(E2ETestCase):
    server = property(lambda self: SERVER)

    def setUp(self):
        self.blobs_before = blob_files()

    def assertNothingCreated(self):
        self.assertEqual(SERVER.get("/api/v1/models").body["models"], [])
        tenants = sorted(t["name"] for t in SERVER.get("/api/v1/tenants").body["tenants"])
        self.assertEqual(tenants, ["default"])
        self.assertEqual(blob_files(), self.blobs_before)

    def test_bad_names_are_400_and_create_nothing(self):
        c = case("two_io", "batch1")
        for name in BAD_PATH_NAMES:
            shown = name[:24]
            with self.subTest(push=shown):
                self.assertError(support.push_raw(SERVER, name, "two_io"), 400,
                                 mentions=(("name",),))
            with self.subTest(get=shown):
                self.assertError(SERVER.get("/api/v1/models/" + name), 400)
            with self.subTest(delete=shown):
                self.assertError(SERVER.delete("/api/v1/models/" + name), 400)
            with self.subTest(alias=shown):
                self.assertError(SERVER.put("/api/v1/models/%s/aliases/prod" % name,
                                            {"version": 1}), 400)
            with self.subTest(infer=shown):
                self.assertError(support.infer(SERVER, name, c, SERVER.api_key), 400)
            with self.subTest(metadata=shown):
                self.assertError(SERVER.get("/v2/models/" + name), 400)
        for name in BAD_BODY_NAMES:
            with self.subTest(create=repr(name[:24])):
                self.assertError(SERVER.post("/api/v1/models", {"name": name}), 400)
        for name in BAD_BODY_NAMES:
            with self.subTest(tenant=repr(name[:24])):
                self.assertError(SERVER.post("/api/v1/tenants", {"name": name}), 400)
        self.assertNothingCreated()

    def test_encoded_slash_addresses_another_tenant(self):
        # "a/b" is model "b" of tenant "a", which the caller cannot see: 404, nothing made.
        self.assertError(support.push_raw(SERVER, "a%2Fb", "two_io"), 404)
        self.assertError(support.push_raw(SERVER, "a/b", "two_io"), 404)
        self.assertNothingCreated()

    def test_names_are_not_paths_in_the_data_dir(self):
        # A good name never shows up as a file or folder name in the data dir.
        support.push(SERVER, "evil..name", "two_io")
        try:
            for root, dirs, files in os.walk(SERVER.data_dir):
                for entry in dirs + files:
                    self.assertNotIn("evil", entry, os.path.join(root, entry))
        finally:
            self.assertStatus(SERVER.delete("/api/v1/models/evil..name"), 204)

    def test_non_admin_key_gets_the_same_400(self):
        key = create_key(SERVER, "editor")["key"]
        for name in ("..%2Fx", ".hidden", "a%00b"):
            with self.subTest(name=name):
                self.assertError(support.push_raw(SERVER, name, "two_io", api_key=key), 400)


if __name__ == "__main__":
    unittest.main()
