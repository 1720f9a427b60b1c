#!/usr/bin/python3
"""End-to-end tests of the seed's demo server (samples/async_primer) with real clients:
raw sockets, curl, ab and httperf. Usage: async_primer_test.py <build/samples>"""
import asyncio
import os
import subprocess
import sys
import time
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from ports import free_port  # noqa: E402

SAMPLES = sys.argv.pop(1) if len(sys.argv) > 1 else "build/samples"


class AsyncPrimer(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.port = free_port()
        cls.proc = subprocess.Popen([os.path.join(SAMPLES, "async_primer"), "--port", str(cls.port), "--quiet"],
                                    stdout=subprocess.PIPE, text=True)
        line = cls.proc.stdout.readline()
        assert f":{cls.port}/" in line, line
        cls.url = f"http://127.0.0.1:{cls.port}"

    @classmethod
    def tearDownClass(cls):
        cls.proc.terminate()
        cls.proc.wait(10)

    def curl(self, *args, stdin=None):
        return subprocess.run(["curl", "-s", "--max-time", "20", *args], input=stdin, capture_output=True, text=True,
                              check=True).stdout

    def test_hello(self):
        self.assertEqual(self.curl(f"{self.url}/hello"), "Hello, World!")

    def test_index_page_lists_the_routes(self):
        page = self.curl(f"{self.url}/")
        for route in ("/hello", "/stream", "/fetch", "/upload"):
            self.assertIn(route, page)

    def test_unknown_path_is_404(self):
        self.assertEqual(self.curl("-o", "/dev/null", "-w", "%{http_code}", f"{self.url}/nope"), "404")

    def test_upload_counts_plain_and_chunked_bodies(self):
        data = "x" * 300000
        self.assertEqual(self.curl("--data-binary", "@-", f"{self.url}/upload", stdin=data), "received 300000 bytes")
        self.assertEqual(self.curl("-H", "Transfer-Encoding: chunked", "--data-binary", "@-", f"{self.url}/upload",
                                   stdin=data), "received 300000 bytes")

    def test_fetch_streams_a_queue_a_chunk_a_second(self):
        start = time.time()
        out = self.curl("-N", f"{self.url}/fetch")
        took = time.time() - start
        self.assertEqual(out, "".join(f"chunk {i}\n" for i in range(1, 6)))
        self.assertGreater(took, 4.5)
        self.assertLess(took, 7.5)

    def test_a_thousand_stream_clients_get_start_middle_end_as_written(self):
        async def client():
            r, w = await asyncio.open_connection("127.0.0.1", self.port)
            t0 = time.monotonic()
            w.write(b"GET /stream HTTP/1.1\r\nHost: x\r\n\r\n")
            await w.drain()
            while (await r.readline()) != b"\r\n":  # the header
                pass
            pieces = []
            while True:
                size = int((await r.readline()).strip(), 16)
                data = (await r.readexactly(size + 2))[:-2]
                if size == 0:
                    break
                pieces.append((data.decode(), time.monotonic() - t0))
            w.close()
            return pieces

        async def main():
            return await asyncio.wait_for(asyncio.gather(*(client() for _ in range(1000))), 30)

        start = time.monotonic()
        results = asyncio.run(main())
        total = time.monotonic() - start
        self.assertEqual(len(results), 1000)
        for pieces in results:
            self.assertEqual([p for p, _ in pieces], ["START", "MIDDLE", "END"])
            (_, t_start), (_, t_middle), (_, t_end) = pieces
            self.assertLess(t_start, 1.5)  # each piece as it is written: ~0 s, ~3 s, ~8 s
            self.assertTrue(2.5 < t_middle < 4.5, t_middle)
            self.assertTrue(7.5 < t_end < 9.8, t_end)
        self.assertLess(total, 10.5)

    def test_ab_keepalive_has_no_errors(self):
        out = subprocess.run(["ab", "-k", "-n", "20000", "-c", "50", f"{self.url}/hello"], capture_output=True,
                             text=True, timeout=120).stdout
        self.assertRegex(out, r"Complete requests:\s+20000")
        self.assertRegex(out, r"Failed requests:\s+0\b")
        self.assertRegex(out, r"Keep-Alive requests:\s+20000")

    def test_httperf_has_no_errors(self):
        out = subprocess.run(["httperf", "--server", "127.0.0.1", "--port", str(self.port), "--uri", "/hello",
                              "--num-conns", "500", "--num-calls", "20"], capture_output=True, text=True,
                             timeout=120).stdout
        self.assertIn("Reply status: 1xx=0 2xx=10000 3xx=0 4xx=0 5xx=0", out)
        self.assertRegex(out, r"Errors: total 0 ")


if __name__ == "__main__":
    unittest.main(verbosity=2)
