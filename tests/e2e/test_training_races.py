"""Cancel and restart races of training jobs against the real server (issue #5).

One worker (--training-workers 1), so a long job holds it and the next one waits queued.
What must hold whatever the timing: a job ends in exactly one final state; a cancelled
job has no version registered, a succeeded one has exactly one; a cancelled job is never
resumed by a restart; a queued job survives a SIGKILL and runs after the restart; cancel
is idempotent and a finished job's cancel is a 409; a dataset a queued or running job
needs cannot be deleted (409) until the job ends.
"""

import datetime
import signal
import time

from common import E2ETestCase
from server import Server, delete, get, post_json, post_multipart, request
from test_datasets import iris_csv
from test_training import JobHelpers, iris_spec

SERVER = None
ARGS = ["--training-workers", "1", "--training-threads", "1"]


def long_spec(output, dataset="iris"):
    """Runs until cancelled (minutes): one worker stays busy."""
    return iris_spec(output, dataset=dataset, epochs=100000, batch_size=4)


def tiny_spec(output, dataset="iris"):
    return iris_spec(output, dataset=dataset, epochs=2, batch_size=32)


def race_spec(output):
    """About half a second of training: long enough to be cancelled mid-run."""
    return iris_spec(output, epochs=15, batch_size=8)


def seconds_between(start, end):
    """Seconds between two API timestamps ("2026-11-23T06:00:00.000Z")."""
    parse = lambda t: datetime.datetime.strptime(t, "%Y-%m-%dT%H:%M:%S.%fZ")
    return (parse(end) - parse(start)).total_seconds()


def upload_iris(server, name="iris"):
    resp = post_multipart(server.url + "/api/v1/datasets",
                          [("name", name), ("file", iris_csv(), "iris.csv")])
    if resp[0] != 201:
        raise AssertionError("dataset upload failed: %s" % resp.describe())
    return resp[1]


def setUpModule():
    global SERVER
    SERVER = Server(name="training-races", extra_args=ARGS).start()
    upload_iris(SERVER)


def tearDownModule():
    if SERVER is not None:
        SERVER.stop()


class RaceHelpers(JobHelpers):
    """JobHelpers whose default server is the test's `self.server` (not test_training's)."""

    def submit(self, spec, server=None):
        return super().submit(spec, server or self.server)

    def job(self, job_id, server=None):
        return super().job(job_id, server or self.server)

    def wait_for(self, job_id, server=None, **kw):
        return super().wait_for(job_id, server=server or self.server, **kw)

    def succeeded(self, job_id, timeout=120, server=None):
        return super().succeeded(job_id, timeout, server or self.server)

    def version(self, model, version, server=None):
        return super().version(model, version, server or self.server)

    def infer(self, model, rows, server=None):
        return super().infer(model, rows, server or self.server)

    def cancel(self, job_id, server=None):
        return request("POST", (server or self.server).url + "/api/v1/jobs/%s/cancel" % job_id)

    def running(self, job_id, server=None, timeout=60):
        """Waits until the job runs and has taken a training step."""
        job = self.wait_for(job_id, server=server, timeout=timeout,
                            until=lambda j: j["state"] == "running" and j["progress"].get("step"))
        self.assertEqual(job["state"], "running", job)
        return job

    def versions_of(self, model, server=None):
        """The versions of `model` as {job id: version number}; {} when there is no model."""
        resp = get((server or self.server).url + "/api/v1/models/%s/versions" % model)
        if resp[0] == 404:
            return {}
        self.assertStatus(resp, 200)
        return {v["lineage"].get("job"): v["version"] for v in resp[1]["versions"]}

    def assert_final_and_consistent(self, job, model, server=None):
        """A final job: succeeded with its version registered, or not succeeded and none."""
        self.assertIn(job["state"], ("succeeded", "cancelled", "failed"), job)
        by_job = self.versions_of(model, server)
        if job["state"] == "succeeded":
            self.assertIsNotNone(job["output"]["version"], job)
            self.assertEqual(by_job.get(job["id"]), job["output"]["version"], by_job)
        else:
            self.assertIsNone(job["output"]["version"], job)
            self.assertNotIn(job["id"], by_job, "a %s job registered a version" % job["state"])

    def concurrent_jobs(self, server=None):
        srv = server or self.server
        tenant = get(srv.url + "/api/v1/keys/self")[1]["tenant"]
        resp = get(srv.url + "/api/v1/tenants/%s/quotas" % tenant)
        self.assertStatus(resp, 200)
        return resp[1]["usage"]["concurrent_jobs"]


class CancelRaceTest(RaceHelpers, E2ETestCase):
    server = None

    def setUp(self):
        self.server = SERVER

    def test_cancel_a_queued_job_it_never_runs(self):
        ahead = self.submit(long_spec("race-ahead"))
        try:
            self.running(ahead)
            queued = self.submit(tiny_spec("race-queued"))
            self.assertEqual(self.job(queued)["state"], "queued")
            self.assertEqual(self.concurrent_jobs(), 2)  # quota usage: running + queued
            resp = self.cancel(queued)
            self.assertStatus(resp, 200)
            self.assertEqual(resp[1]["state"], "cancelled")  # at once, not "requested"
            self.assertEqual(self.concurrent_jobs(), 1)
        finally:
            self.cancel(ahead)
        self.assertEqual(self.wait_for(ahead, timeout=30)["state"], "cancelled")
        time.sleep(0.5)  # the freed worker would have claimed it by now
        job = self.job(queued)
        self.assertEqual(job["state"], "cancelled")
        self.assertEqual(job["attempts"], 0)
        self.assertIsNone(job["started_at"])
        self.assertEqual(job["history"], [])
        self.assertEqual(self.versions_of("race-queued"), {})
        self.assert_final_and_consistent(self.job(ahead), "race-ahead")
        self.assertEqual(self.concurrent_jobs(), 0)

    def test_cancel_racing_completion_ends_in_exactly_one_state(self):
        # How long a short job takes here, submit to the end, by the server's clock.
        first = self.succeeded(self.submit(race_spec("race-end")), timeout=60)
        self.assert_final_and_consistent(first, "race-end")
        duration = seconds_between(first["created_at"], first["finished_at"])
        outcomes = []
        # Right after submit (queued or just claimed), mid-run, and around the end (the
        # last step, evaluation, registering the version).
        fractions = [0.0, 0.0, 0.2, 0.5, 0.8, 0.9, 0.95, 1.0, 1.0, 1.05, 1.1, 1.3]
        for fraction in fractions:
            job_id = self.submit(race_spec("race-end"))
            time.sleep(fraction * duration)
            resp = self.cancel(job_id)
            # 200 (cancelled, or a cancel requested of a running job) or 409 (it won the race).
            self.assertStatus(resp, (200, 409))
            if resp[0] == 409:
                self.assertError(resp, 409, ["already succeeded"])
            job = self.wait_for(job_id, timeout=30)  # never stuck
            self.assert_final_and_consistent(job, "race-end")
            if resp[0] == 409:
                self.assertEqual(job["state"], "succeeded")
            # "succeeded*": the cancel came after the last step; the job finished anyway.
            outcomes.append(job["state"] + ("*" if job["state"] == "succeeded"
                                            and job["cancel_requested"] else ""))
        # Every version of the model belongs to exactly one succeeded job.
        by_job = self.versions_of("race-end")
        succeeded = sum(o.startswith("succeeded") for o in outcomes) + 1  # + the first
        self.assertEqual(len(by_job), succeeded, (by_job, outcomes))
        self.assertEqual(sorted(by_job.values()), list(range(1, succeeded + 1)))
        self.assertEqual(self.concurrent_jobs(), 0)
        print("\n  cancel vs completion (job %.2f s): %s" % (duration, ", ".join(
            "%.2f %s" % (f, s) for f, s in zip(fractions, outcomes))))

    def test_double_cancel_is_idempotent(self):
        queued_behind = None
        job_id = self.submit(long_spec("race-double"))
        try:
            self.running(job_id)
            queued_behind = self.submit(tiny_spec("race-double-q"))
            first = self.cancel(queued_behind)
            second = self.cancel(queued_behind)
            self.assertStatus(first, 200)
            self.assertStatus(second, 200)
            self.assertEqual(second[1]["state"], "cancelled")
            self.assertEqual(second[1]["finished_at"], first[1]["finished_at"])
            a = self.cancel(job_id)
            b = self.cancel(job_id)
            self.assertStatus(a, 200)
            self.assertStatus(b, 200)
            self.assertTrue(b[1]["cancel_requested"])
        finally:
            self.cancel(job_id)
        job = self.wait_for(job_id, timeout=30)
        self.assertEqual(job["state"], "cancelled")
        again = self.cancel(job_id)  # after the end: still 200, still cancelled
        self.assertStatus(again, 200)
        self.assertEqual(again[1]["state"], "cancelled")
        self.assertEqual(again[1]["finished_at"], job["finished_at"])
        self.assert_final_and_consistent(self.job(job_id), "race-double")

    def test_cancel_of_a_finished_job_is_409(self):
        job = self.succeeded(self.submit(tiny_spec("race-done")), timeout=60)
        self.assertError(self.cancel(job["id"]), 409, ["already succeeded"])
        after = self.job(job["id"])
        self.assertEqual(after["state"], "succeeded")
        self.assertFalse(after["cancel_requested"])
        self.assert_final_and_consistent(after, "race-done")
        self.assertError(self.cancel("job-0123456789abcdef"), 404, ["not found"])
        self.assertError(self.cancel("nope"), 404, [])

    def test_deleting_a_dataset_a_job_needs_is_409_until_the_job_ends(self):
        upload_iris(SERVER, "iris-del")
        upload_iris(SERVER, "iris-del")  # version 2: the one a job pins
        running = self.submit(long_spec("race-del", dataset="iris-del"))
        queued = None
        try:
            self.running(running)
            queued = self.submit(tiny_spec("race-del-q"))
            for path in ("/api/v1/datasets/iris-del", "/api/v1/datasets/iris-del/versions/2"):
                self.assertError(delete(SERVER.url + path), 409,
                                 ["iris-del", running, "running", "cancel"])
            # The version no job pins can go.
            self.assertStatus(delete(SERVER.url + "/api/v1/datasets/iris-del/versions/1"), 204)
            self.assertError(delete(SERVER.url + "/api/v1/datasets/iris"), 409,
                             [queued, "queued"])
        finally:
            self.cancel(running)
            if queued is not None:
                self.cancel(queued)
        self.assertEqual(self.wait_for(running, timeout=30)["state"], "cancelled")
        self.assertStatus(delete(SERVER.url + "/api/v1/datasets/iris-del"), 204)
        self.assertError(get(SERVER.url + "/api/v1/datasets/iris-del"), 404, ["iris-del"])

        # A finished job needs its dataset no more: its version serves without it.
        upload_iris(SERVER, "iris-gone")
        done = self.succeeded(self.submit(tiny_spec("race-gone", dataset="iris-gone")),
                              timeout=60)
        self.assertStatus(delete(SERVER.url + "/api/v1/datasets/iris-gone"), 204)
        out = self.infer("race-gone", [[5.1, 3.5, 1.4, 0.2]])
        self.assertEqual(out["label"]["shape"], [1])
        self.assertEqual(self.version("race-gone", done["output"]["version"])["lineage"]["dataset"],
                         "iris-gone")


class RestartRaceTest(RaceHelpers, E2ETestCase):
    """Own servers: SIGKILL and restart."""

    server = None

    def start_server(self, name):
        self.server = Server(name=name, extra_args=ARGS).start()
        self.addCleanup(self.server.stop)
        upload_iris(self.server)
        return self.server

    def restart_after_sigkill(self, srv):
        srv.signal(signal.SIGKILL)
        srv.wait(10)
        srv.start()

    def test_cancel_then_sigkill_then_restart_stays_cancelled(self):
        srv = self.start_server("races-cancel-kill")
        job_id = self.submit(long_spec("kill-cancelled"), server=srv)
        self.running(job_id, server=srv)
        resp = self.cancel(job_id, server=srv)
        self.assertStatus(resp, 200)
        self.assertTrue(resp[1]["cancel_requested"])
        self.restart_after_sigkill(srv)  # right after the answer: the worker may not have seen it
        job = self.job(job_id, server=srv)
        self.assertEqual(job["state"], "cancelled", job)
        time.sleep(0.5)
        job = self.job(job_id, server=srv)
        self.assertEqual(job["state"], "cancelled", job)
        self.assertEqual(job["attempts"], 1)  # not resumed
        self.assertEqual(self.versions_of("kill-cancelled", server=srv), {})
        logs = get(srv.url + "/api/v1/jobs/%s/logs" % job_id).raw.decode()
        self.assertNotIn("resumed", logs)
        self.assertEqual(self.concurrent_jobs(server=srv), 0)
        # (Its checkpoint blob is removed at the start: JobServiceTest covers that. A blob
        # count here would be flaky: a SIGKILL between writing an epoch's checkpoint blob
        # and recording it leaves an unreferenced blob that nothing collects yet.)

    def test_sigkill_while_queued_then_the_job_runs_after_restart(self):
        srv = self.start_server("races-kill-queued")
        ahead = self.submit(long_spec("kill-ahead"), server=srv)
        self.running(ahead, server=srv)
        queued = self.submit(tiny_spec("kill-queued"), server=srv)
        self.assertEqual(self.job(queued, server=srv)["state"], "queued")
        self.restart_after_sigkill(srv)
        # The interrupted job is queued again ahead of it and resumes; cancel it to move on.
        resumed = self.wait_for(ahead, server=srv, timeout=60,
                                until=lambda j: j["state"] == "running" and j["attempts"] == 2)
        self.assertEqual(resumed["attempts"], 2, resumed)
        self.assertEqual(self.job(queued, server=srv)["state"], "queued")
        self.assertStatus(self.cancel(ahead, server=srv), 200)
        job = self.succeeded(queued, server=srv, timeout=60)
        self.assertEqual(job["attempts"], 1)
        self.assert_final_and_consistent(job, "kill-queued", server=srv)
        self.assert_final_and_consistent(self.wait_for(ahead, server=srv, timeout=30),
                                         "kill-ahead", server=srv)
        out = self.infer("kill-queued", [[6.7, 3.0, 5.2, 2.3]], server=srv)
        self.assertEqual(out["label"]["shape"], [1])
