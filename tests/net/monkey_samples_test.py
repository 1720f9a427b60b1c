#!/usr/bin/python3
"""End-to-end tests of libgeventpp_monkey with real programs: the seed's /stream written with
plain sleeps (samples/monkey_stream), Debian's blocking hiredis against a real redis-server
(samples/redis_fanout), and an unmodified geventpp program patched by LD_PRELOAD.
Usage: monkey_samples_test.py <build dir>"""
import os
import re
import socket
import subprocess
import sys
import tempfile
import threading
import time
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from ports import free_port, wait_for_port  # noqa: E402

BUILD = sys.argv.pop(1) if len(sys.argv) > 1 else "build"
SAMPLES = os.path.join(BUILD, "samples")


class MonkeyStream(unittest.TestCase):
    """The seed's /stream with ::sleep and std::this_thread::sleep_for, patched."""

    def test_a_hundred_stream_clients_finish_together_on_one_thread(self):
        port = free_port()
        proc = subprocess.Popen([os.path.join(SAMPLES, "monkey_stream"), "--port", str(port)],
                                stdout=subprocess.PIPE, text=True)
        try:
            self.assertIn("(patched)", proc.stdout.readline())
            self.assertEqual(len(os.listdir(f"/proc/{proc.pid}/task")), 1)  # one OS thread
            arrivals = [None] * 100
            start = time.time()

            def client(i):
                seen = {}
                with socket.create_connection(("127.0.0.1", port), timeout=20) as s:
                    s.sendall(b"GET /stream HTTP/1.1\r\nHost: test\r\nConnection: close\r\n\r\n")
                    data = b""
                    while chunk := s.recv(4096):
                        data += chunk
                        for word in (b"START", b"MIDDLE", b"END"):
                            if word in data and word not in seen:
                                seen[word] = time.time() - start
                arrivals[i] = seen

            threads = [threading.Thread(target=client, args=(i,)) for i in range(100)]
            for t in threads:
                t.start()
            for t in threads:
                t.join(30)
            for seen in arrivals:
                self.assertEqual(list(seen), [b"START", b"MIDDLE", b"END"])
                self.assertLess(seen[b"START"], 1.5)
                self.assertTrue(2.5 < seen[b"MIDDLE"] < 4.5, seen)
                self.assertTrue(7.5 < seen[b"END"] < 10.0, seen)  # one after another: 800 s
        finally:
            proc.terminate()
            proc.wait(10)
            proc.stdout.close()


class RedisFanout(unittest.TestCase):
    """hiredis, unmodified, in 1,000 greenlets against a real redis-server."""

    @classmethod
    def setUpClass(cls):
        cls.port = free_port()
        cls.dir = tempfile.TemporaryDirectory(prefix="gevtest-redis-")
        cls.redis = subprocess.Popen(["redis-server", "--port", str(cls.port), "--bind", "127.0.0.1", "--save", "",
                                      "--appendonly", "no", "--dir", cls.dir.name, "--maxclients", "4000"],
                                     stdout=subprocess.DEVNULL)
        wait_for_port(cls.port)

    @classmethod
    def tearDownClass(cls):
        cls.redis.terminate()
        cls.redis.wait(10)
        cls.dir.cleanup()

    def fanout(self, *args):
        out = subprocess.run([os.path.join(SAMPLES, "redis_fanout"), "--port", str(self.port), *args],
                             capture_output=True, text=True, timeout=60)
        self.assertEqual(out.returncode, 0, out.stdout + out.stderr)
        m = re.search(r"(\d+) of (\d+) clients ok; slowest client ([\d.]+) s; all of them ([\d.]+) s", out.stdout)
        self.assertTrue(m, out.stdout)
        return int(m[1]), int(m[2]), float(m[3]), float(m[4])

    def test_a_thousand_blocking_clients_take_as_long_as_the_slowest(self):
        ok, clients, slowest, total = self.fanout("--clients", "1000")
        self.assertEqual((ok, clients), (1000, 1000))
        self.assertGreaterEqual(slowest, 1.0)  # BLPOP held each one for 1 s
        self.assertLess(total, slowest + 2.0)  # not 1,000 s

    def test_unpatched_the_same_clients_queue_up(self):
        ok, clients, slowest, total = self.fanout("--clients", "3", "--no-patch")
        self.assertEqual(ok, 3)
        self.assertGreaterEqual(total, 3.0)


class Preload(unittest.TestCase):
    """LD_PRELOAD patches a program that was never linked with the monkey library."""

    def run_probe(self, env):
        out = subprocess.run([os.path.join(BUILD, "tests", "net", "monkey_preload_probe")], capture_output=True,
                             text=True, timeout=30, env={**os.environ, **env})
        self.assertEqual(out.returncode, 0, out.stderr)
        return float(out.stdout)

    def test_preloading_makes_plain_sleeps_cooperative(self):
        preload = [os.path.abspath(os.path.join(BUILD, "libgeventpp_monkey.so"))]
        # In the sanitizer build ASan's runtime must come first of all.
        ldd = subprocess.run(["ldd", os.path.join(BUILD, "tests", "net", "monkey_preload_probe")], capture_output=True,
                             text=True).stdout
        preload[:0] = re.findall(r"=> (\S*libasan\.so\S*)", ldd)
        self.assertGreaterEqual(self.run_probe({}), 2.0)
        self.assertLess(self.run_probe({"LD_PRELOAD": " ".join(preload)}), 1.0)


if __name__ == "__main__":
    unittest.main(verbosity=2)
