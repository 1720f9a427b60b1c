#!/usr/bin/python3
"""End-to-end tests of gevent's HTTP examples as ported: wsgiserver, webproxy, webpy,
concurrent_download (against the local async_primer: there is no internet).
Usage: samples_test.py <build/samples>"""
import os
import subprocess
import sys
import time
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
import sample_process  # noqa: E402

SAMPLES = sys.argv.pop(1) if len(sys.argv) > 1 else "build/samples"


def Sample(name, *args, **kw):
    return sample_process.Sample(SAMPLES, name, *args, **kw)


def curl(*args):
    return subprocess.run(["curl", "-s", "--max-time", "20", "-w", "\n%{http_code}", *args], capture_output=True,
                          text=True, check=True).stdout.rsplit("\n", 1)


class HttpSamples(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.origin = Sample("async_primer", "--port", 0, "--quiet", ready=r"http://127\.0\.0\.1:(\d+)/")
        cls.origin_url = f"http://127.0.0.1:{cls.origin.match.group(1)}"

    @classmethod
    def tearDownClass(cls):
        cls.origin.stop()

    def test_wsgiserver_hello_and_404(self):
        s = Sample("wsgiserver", 0, ready=r"Serving on (\d+)")
        try:
            base = f"http://127.0.0.1:{s.match.group(1)}"
            self.assertEqual(curl(base + "/"), ["<b>hello world</b>", "200"])
            self.assertEqual(curl(base + "/x"), ["<h1>Not Found</h1>", "404"])
        finally:
            s.stop()

    def test_webproxy_fetches_through_the_client(self):
        s = Sample("webproxy", 0, ready=r"Serving on (\d+)")
        try:
            base = f"http://127.0.0.1:{s.match.group(1)}"
            self.assertEqual(curl(f"{base}/{self.origin_url}/hello"), ["Hello, World!", "200"])
            self.assertEqual(curl(f"{base}/{self.origin_url}/nope")[1], "404")
            self.assertEqual(curl(f"{base}/nonsense")[1], "400")
            self.assertEqual(curl(f"{base}/http://127.0.0.1:1/")[1], "502")
        finally:
            s.stop()

    def test_webpy_long_sleeps_without_blocking_and_keeps_its_own_context(self):
        s = Sample("webpy", 0, ready=r"Serving on (\d+)")
        try:
            base = f"http://127.0.0.1:{s.match.group(1)}"
            start = time.time()
            longs = [subprocess.Popen(["curl", "-s", "--max-time", "20", f"{base}/long?who={who}"],
                                      stdout=subprocess.PIPE, text=True) for who in ("a", "b")]
            while s.text().count("handling GET context id") < 2 and time.time() - start < 5:
                time.sleep(0.01)
            self.assertEqual(curl(base + "/"), ['Hello, world!<br><a href="/long">/long</a>', "200"])
            self.assertLess(time.time() - start, 2)
            self.assertEqual([p.poll() for p in longs], [None, None])  # both still sleeping
            bodies = [p.communicate(timeout=20)[0] for p in longs]
            took = time.time() - start
            # Each request's web.ctx survived the other's: its own query string, 10 s later.
            self.assertEqual(bodies, ["Hello, 10 seconds later: /long?who=a", "Hello, 10 seconds later: /long?who=b"])
            self.assertGreaterEqual(took, 10)
            self.assertLess(took, 13)  # slept side by side, not one after the other
            ids = [line.split(" = ")[1] for line in s.text().splitlines() if "context id" in line]
            self.assertEqual(len(set(ids)), 2, ids)
        finally:
            s.stop()

    def test_concurrent_download_fetches_all_at_once(self):
        start = time.time()
        run = Sample("concurrent_download", f"{self.origin_url}/hello", f"{self.origin_url}/fetch",
                     f"{self.origin_url}/")
        out = run.wait(30)
        run.stop()
        took = time.time() - start
        self.assertEqual(out.count("Starting"), 3)
        self.assertIn(f"{self.origin_url}/hello: 13 bytes: 'Hello, World!'", out)
        self.assertIn(f"{self.origin_url}/fetch: 40 bytes: 'chunk 1", out)
        # All three started before any finished: concurrent, not one after another.
        self.assertLess(out.rfind("Starting"), out.find("bytes:"))
        self.assertLess(took, 8)


if __name__ == "__main__":
    unittest.main(verbosity=2)
