#!/usr/bin/python3
"""Loads multi_hub_server (two server hubs, cross-hub Lock, Queue, AsyncResult, ThreadPool and
Event) with wrk on four routes at once, checks every answer and the shared count, then stops it
with SIGTERM; make test runs it in the release and the ASan+UBSan builds.
It also runs the seed's demo server on two hubs (async_primer --threads 2) under load.
Usage: multi_hub_test.py <program> <build/samples>"""
import os
import re
import signal
import socket
import subprocess
import sys
import tempfile
import unittest
import urllib.request

PROGRAM = sys.argv.pop(1) if len(sys.argv) > 1 else "build/tests/http/multi_hub_server"
SAMPLES = sys.argv.pop(1) if len(sys.argv) > 1 else "build/samples"
SECONDS = os.environ.get("MULTI_HUB_SECONDS", "3")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class MultiHub(unittest.TestCase):
    def test_two_hubs_under_load_share_state_across_hubs_cleanly(self):
        port = free_port()
        err = tempfile.TemporaryFile("w+")
        proc = subprocess.Popen([PROGRAM, str(port)], stdout=subprocess.PIPE, stderr=err, text=True)
        try:
            self.assertIn(f"listening on {port}", proc.stdout.readline())
            url = f"http://127.0.0.1:{port}"
            for path, want in [("/hello", "Hello, World!"), ("/relay/21", "42"), ("/pool/12", "144"),
                               ("/opened", "yes")]:
                self.assertEqual(urllib.request.urlopen(url + path, timeout=10).read().decode(), want)
            loads = [subprocess.Popen(["wrk", "-t1", "-c8", f"-d{SECONDS}s", url + path], stdout=subprocess.PIPE,
                                      text=True) for path in ("/count", "/relay/7", "/pool/9", "/hello")]
            outputs = [load.communicate(timeout=120)[0] for load in loads]
            counted = 0
            for out in outputs:
                self.assertNotIn("Non-2xx", out, out)
                self.assertNotRegex(out, r"Socket errors: connect [1-9]", out)
                done = int(re.search(r"(\d+) requests in", out)[1])
                self.assertGreater(done, 0, out)
                counted = counted or done
            last = int(urllib.request.urlopen(url + "/count", timeout=10).read())
            self.assertGreaterEqual(last, counted + 1)  # every /count request counted once
            proc.send_signal(signal.SIGTERM)
            out, _ = proc.communicate(timeout=60)
            self.assertEqual(proc.returncode, 0)
            self.assertIn(f"served {last} counted requests", out)
            err.seek(0)
            self.assertEqual(err.read(), "")
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
            err.close()


    def test_the_demo_server_on_two_hubs_under_load(self):
        port = free_port()
        err = tempfile.TemporaryFile("w+")
        proc = subprocess.Popen([os.path.join(SAMPLES, "async_primer"), "--port", str(port), "--threads", "2",
                                 "--quiet"], stdout=subprocess.PIPE, stderr=err, text=True)
        try:
            self.assertIn("(2 threads)", proc.stdout.readline())
            url = f"http://127.0.0.1:{port}"
            fetch = subprocess.Popen(["curl", "-sN", "--max-time", "20", url + "/fetch"], stdout=subprocess.PIPE)
            load = subprocess.run(["wrk", "-t2", "-c32", f"-d{SECONDS}s", url + "/hello"], capture_output=True,
                                  text=True, timeout=120).stdout
            self.assertNotIn("Non-2xx", load, load)
            self.assertGreater(int(re.search(r"(\d+) requests in", load)[1]), 0, load)
            self.assertEqual(fetch.communicate(timeout=30)[0].count(b"chunk "), 5)
            proc.send_signal(signal.SIGTERM)
            proc.communicate(timeout=60)
            self.assertEqual(proc.returncode, 0)
            err.seek(0)
            self.assertEqual(err.read(), "")
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
            err.close()


if __name__ == "__main__":
    unittest.main(verbosity=2)
