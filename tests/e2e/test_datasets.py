"""Datasets: uploads of the real scikit-learn datasets shipped by Debian (CSV, gzip CSV)
and of NumPy files, described by an inferred schema, versioned, previewed, deleted, kept
across a restart; bad files refused with a 400 that says where, leaving nothing behind.
"""

import csv
import gzip
import hashlib
import io
import os
import subprocess

import common
from common import E2ETestCase
from server import Server, post_multipart, request, run_cli

SKLEARN_DATA = "/usr/lib/python3/dist-packages/sklearn/datasets/data"
MAX_DATASET_BYTES = 2 << 20
SERVER = None


def iris_csv():
    """iris.csv as a plain CSV with a header and string species labels."""
    with open(os.path.join(SKLEARN_DATA, "iris.csv")) as f:
        rows = list(csv.reader(f))
    names = rows[0][2:]  # first line: n_samples, n_features, class names
    out = io.StringIO()
    w = csv.writer(out, lineterminator="\n")
    w.writerow(["sepal_length", "sepal_width", "petal_length", "petal_width", "species"])
    for r in rows[1:]:
        w.writerow(r[:4] + [names[int(r[4])]])
    return out.getvalue().encode()


def digits_csv_gz():
    """digits.csv.gz (no header in the original) with a header: p0..p63, label."""
    with gzip.open(os.path.join(SKLEARN_DATA, "digits.csv.gz"), "rt") as f:
        body = f.read()
    header = ",".join(["p%d" % i for i in range(64)] + ["label"]) + "\n"
    return gzip.compress((header + body).encode())


def npz_bytes():
    """An .npz written by the real NumPy: X [5, 2, 3] float32 and y [5] int64."""
    code = ("import io, sys, numpy as np\n"
            "X = np.arange(30, dtype=np.float32).reshape(5, 2, 3) / 4\n"
            "y = np.array([0, 1, 0, 1, 1])\n"
            "b = io.BytesIO(); np.savez_compressed(b, X=X, y=y)\n"
            "sys.stdout.buffer.write(b.getvalue())\n")
    return subprocess.run([common.srvmod.PYTHON, "-c", code], check=True,
                          capture_output=True, timeout=120).stdout


def upload(server, name, data, filename, fmt=None):
    fields = [("name", name), ("file", data, filename)]
    if fmt is not None:
        fields.append(("format", fmt))
    return post_multipart(server.url + "/api/v1/datasets", fields)


def blob_count(server):
    root = os.path.join(server.data_dir, "blobs", "sha256")
    return sum(len(files) for _, _, files in os.walk(root))


def setUpModule():
    global SERVER
    SERVER = Server(name="datasets",
                    extra_args=["--max-dataset-bytes", str(MAX_DATASET_BYTES)]).start()


def tearDownModule():
    if SERVER is not None:
        SERVER.stop()


class DatasetUploadTest(E2ETestCase):
    server = None

    def setUp(self):
        self.server = SERVER

    def test_iris_csv_schema_rows_digest_and_preview(self):
        data = iris_csv()
        resp = upload(self.server, "iris", data, "iris.csv")
        self.assertStatus(resp, 201)
        body = resp.body
        self.assertEqual(body["name"], "iris")
        self.assertEqual(body["format"], "csv")
        self.assertEqual(body["rows"], 150)
        self.assertEqual(body["size_bytes"], len(data))
        self.assertEqual(body["digest"], "sha256:" + hashlib.sha256(data).hexdigest())
        columns = {c["name"]: c for c in body["schema"]["columns"]}
        self.assertEqual(list(columns), ["sepal_length", "sepal_width", "petal_length",
                                         "petal_width", "species"])
        self.assertEqual(columns["sepal_length"]["kind"], "numeric")
        self.assertEqual(columns["species"]["kind"], "categorical")
        self.assertEqual(columns["species"]["missing"], 0)

        preview = self.server.get("/api/v1/datasets/iris/preview?rows=3")
        self.assertStatus(preview, 200)
        rows = preview.body["rows"]
        self.assertEqual(len(rows), 3)
        header = next(csv.reader(io.StringIO(data.decode())))
        self.assertEqual(preview.body["columns"], header)
        self.assertEqual(list(rows[0]), header, "row keys come in the file's column order")
        first = next(csv.DictReader(io.StringIO(data.decode())))
        self.assertAlmostEqual(rows[0]["sepal_length"], float(first["sepal_length"]))
        self.assertEqual(rows[0]["species"], first["species"])

    def test_gzip_csv_of_digits(self):
        resp = upload(self.server, "digits", digits_csv_gz(), "digits.csv.gz")
        self.assertStatus(resp, 201)
        self.assertEqual(resp.body["rows"], 1797)
        self.assertEqual(len(resp.body["schema"]["columns"]), 65)
        self.assertTrue(all(c["kind"] == "numeric" for c in resp.body["schema"]["columns"]))

    def test_npz_written_by_numpy(self):
        resp = upload(self.server, "cube", npz_bytes(), "cube.npz")
        self.assertStatus(resp, 201)
        self.assertEqual(resp.body["format"], "npz")
        self.assertEqual(resp.body["rows"], 5)
        names = [c["name"] for c in resp.body["schema"]["columns"]]
        self.assertEqual(names, ["X_%d" % i for i in range(6)] + ["y"])
        preview = self.server.get("/api/v1/datasets/cube/preview?rows=2").body["rows"]
        self.assertAlmostEqual(preview[1]["X_0"], 6 / 4)
        self.assertEqual(preview[1]["y"], 1)

    def test_versions_list_delete_and_restart(self):
        v1 = upload(self.server, "grow", b"a,b\n1,2\n", "grow.csv")
        self.assertStatus(v1, 201)
        v2 = upload(self.server, "grow", b"a,b\n1,2\n3,4\n", "grow.csv")
        self.assertStatus(v2, 201)
        self.assertEqual((v1.body["version"], v2.body["version"]), (1, 2))
        listed = {d["name"]: d for d in self.server.get("/api/v1/datasets").body["datasets"]}
        self.assertEqual(listed["grow"]["version"], 2)
        self.assertEqual(listed["grow"]["rows"], 2)
        shown = self.server.get("/api/v1/datasets/grow")
        self.assertEqual([v["version"] for v in shown.body["versions"]], [1, 2])

        self.assertStatus(self.server.delete("/api/v1/datasets/grow/versions/1"), 204)
        self.assertError(self.server.get("/api/v1/datasets/grow/versions/1"), 404, ["version 1"])
        self.server.restart()
        again = self.server.get("/api/v1/datasets/grow/versions/latest")
        self.assertStatus(again, 200)
        self.assertEqual(again.body["version"], 2)
        v3 = upload(self.server, "grow", b"a,b\n5,6\n", "grow.csv")
        self.assertEqual(v3.body["version"], 3)  # numbers are never reused
        self.assertStatus(self.server.delete("/api/v1/datasets/grow"), 204)
        self.assertError(self.server.get("/api/v1/datasets/grow"), 404, ["grow"])


    def test_cli_push_list_show_preview(self):
        path = os.path.join(self.server.data_dir, "..", "cli-iris.csv")
        with open(path, "wb") as f:
            f.write(iris_csv())
        pushed = run_cli(self.server.url, "datasets", "push", "cli-iris", path)
        self.assertEqual(pushed.returncode, 0, pushed.stderr)
        self.assertIn("cli-iris version 1: 150 rows, 5 columns (csv", pushed.stdout)
        listed = run_cli(self.server.url, "datasets", "list")
        self.assertEqual(listed.returncode, 0, listed.stderr)
        self.assertRegex(listed.stdout, r"cli-iris\s+1\s+150\s+csv")
        shown = run_cli(self.server.url, "datasets", "show", "cli-iris")
        self.assertEqual(shown.returncode, 0, shown.stderr)
        self.assertRegex(shown.stdout, r"species\s+categorical\s+0\s+3 distinct")
        preview = run_cli(self.server.url, "datasets", "preview", "cli-iris", "--rows", "2")
        self.assertEqual(preview.returncode, 0, preview.stderr)
        lines = preview.stdout.strip().splitlines()
        self.assertEqual(len(lines), 3)  # header + 2 rows
        self.assertEqual(lines[0].split(), ["sepal_length", "sepal_width", "petal_length",
                                            "petal_width", "species"])
        self.assertIn("setosa", preview.stdout)
        missing = run_cli(self.server.url, "datasets", "show", "nope")
        self.assertEqual(missing.returncode, 1)
        self.assertIn("not found", missing.stderr)


class DatasetRefusalTest(E2ETestCase):
    server = None

    def setUp(self):
        self.server = SERVER
        self.blobs_before = blob_count(self.server)

    def refused(self, data, status, mentions, name="bad", filename="bad.csv", fmt=None):
        resp = upload(self.server, name, data, filename, fmt)
        self.assertError(resp, status, mentions)
        self.assertError(self.server.get("/api/v1/datasets/%s" % name), 404, [name])
        self.assertEqual(blob_count(self.server), self.blobs_before, "a blob was left behind")
        return resp

    def test_ragged_rows_name_their_lines(self):
        self.refused(b"a,b,c\n1,2,3\n4,5\n6,7,8\n9,10,11,12\n", 400, ["line 3", "line 5"])

    def test_non_numeric_cell_in_numeric_column(self):
        rows = "".join("%d,%d\n" % (i, i * 2) for i in range(20))
        data = ("x,y\n" + rows + "7,seven\n").encode()
        self.refused(data, 400, ["line 22", "seven", '"y"'])

    def test_empty_file_and_header_only(self):
        self.refused(b"", 400, ["empty"])
        self.refused(b"a,b\n", 400, ["no data rows"])

    def test_truncated_npz_and_not_a_dataset(self):
        data = npz_bytes()
        self.refused(data[: len(data) // 2], 400, [], filename="half.npz")
        self.refused(b"\x93NUMPY\x01\x00garbage", 400, [], filename="x.npy")

    def test_too_large_is_413(self):
        data = b"a\n" + b"1\n" * (MAX_DATASET_BYTES // 2 + 10)
        self.refused(data, 413, [])

    def test_bad_form(self):
        url = self.server.url + "/api/v1/datasets"
        self.assertError(post_multipart(url, [("file", b"a\n1\n", "a.csv")]), 400, ["name"])
        self.assertError(post_multipart(url, [("name", "x")]), 400, ["file"])
        self.assertError(upload(self.server, "Bad Name!", b"a\n1\n", "a.csv"), 400, ["name"])
        self.assertError(upload(self.server, "fmt", b"a\n1\n", "a.csv", fmt="parquet"), 400,
                         ["parquet"])
        self.assertError(request("POST", url, body=b"a\n1\n", content_type="text/csv"), 415, [])
        self.assertError(self.server.get("/api/v1/datasets/none/preview?rows=0"), 400, ["rows"])
        self.assertEqual(blob_count(self.server), self.blobs_before)
