#!/usr/bin/python3
"""Loads multi_hub_server (two server hubs, cross-hub Lock, Queue, AsyncResult, ThreadPool and
Event) with wrk on four routes at once, checks every answer and the shared count, then stops it
with SIGTERM; make test runs it in the release and the ASan+UBSan builds.
It also runs the seed's demo server on two hubs (async_primer --threads 2) under load.
Usage: multi_hub_test.py <program> <build/samples>"""
import os
import re
import signal
import subprocess
import sys
import tempfile
import unittest
import urllib.request

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from ports import free_port  # noqa: E402

PROGRAM = sys.argv.pop(1) if len(sys.argv) > 1 else "build/tests/http/multi_hub_server"
SAMPLES = sys.argv.pop(1) if len(sys.argv) > 1 else "build/samples"
SECONDS = os.environ.get("MULTI_HUB_SECONDS", "3")


class Server:
    """A server program on a free port; stop() sends SIGTERM and returns what it printed, after
    checking it exited 0 with nothing on stderr (where a sanitizer would report)."""

    def __init__(self, *cmd, ready):
        self.port = free_port()
        self.err = tempfile.TemporaryFile("w+")
        self.proc = subprocess.Popen([*cmd[:1], *[a.format(port=self.port) for a in cmd[1:]]], stdout=subprocess.PIPE,
                                     stderr=self.err, text=True)
        line = self.proc.stdout.readline()
        assert ready in line, line
        self.url = f"http://127.0.0.1:{self.port}"

    def stop(self, test):
        self.proc.send_signal(signal.SIGTERM)
        out, _ = self.proc.communicate(timeout=60)
        test.assertEqual(self.proc.returncode, 0)
        self.err.seek(0)
        test.assertEqual(self.err.read(), "")
        return out

    def close(self):
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        self.err.close()


def wrk(url):
    return subprocess.Popen(["wrk", "-t1", "-c8", f"-d{SECONDS}s", url], stdout=subprocess.PIPE, text=True)


class MultiHub(unittest.TestCase):
    def check_load(self, out):
        self.assertNotIn("Non-2xx", out, out)
        self.assertNotRegex(out, r"Socket errors: connect [1-9]", out)
        done = int(re.search(r"(\d+) requests in", out)[1])
        self.assertGreater(done, 0, out)
        return done

    def test_two_hubs_under_load_share_state_across_hubs_cleanly(self):
        server = Server(PROGRAM, "{port}", ready="listening on")
        try:
            for path, want in [("/hello", "Hello, World!"), ("/relay/21", "42"), ("/pool/12", "144"),
                               ("/opened", "yes")]:
                self.assertEqual(urllib.request.urlopen(server.url + path, timeout=10).read().decode(), want)
            loads = [wrk(server.url + path) for path in ("/count", "/relay/7", "/pool/9", "/hello")]
            counted = [self.check_load(load.communicate(timeout=120)[0]) for load in loads][0]
            last = int(urllib.request.urlopen(server.url + "/count", timeout=10).read())
            self.assertGreaterEqual(last, counted + 1)  # every /count request counted once
            self.assertIn(f"served {last} counted requests", server.stop(self))
        finally:
            server.close()

    def test_the_demo_server_on_two_hubs_under_load(self):
        server = Server(os.path.join(SAMPLES, "async_primer"), "--port", "{port}", "--threads", "2", "--quiet",
                        ready="(2 threads)")
        try:
            fetch = subprocess.Popen(["curl", "-sN", "--max-time", "20", server.url + "/fetch"], stdout=subprocess.PIPE)
            loads = [wrk(server.url + "/hello") for _ in range(2)]
            for load in loads:
                self.check_load(load.communicate(timeout=120)[0])
            self.assertEqual(fetch.communicate(timeout=30)[0].count(b"chunk "), 5)
            server.stop(self)
        finally:
            server.close()


if __name__ == "__main__":
    unittest.main(verbosity=2)
