#!/usr/bin/python3
"""End-to-end tests of gevent's HTTP examples as ported: wsgiserver, webproxy, webpy,
concurrent_download (against the local async_primer: there is no internet).
Usage: samples_test.py <build/samples>"""
import http.client
import http.server
import os
import socket
import subprocess
import sys
import threading
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
        s = Sample("webproxy", "127.0.0.1:0", ready=r"Serving on 127\.0\.0\.1:(\d+)")
        try:
            base = f"http://127.0.0.1:{s.match.group(1)}"
            self.assertEqual(curl(f"{base}/{self.origin_url}/hello"), ["Hello, World!", "200"])
            self.assertEqual(curl(f"{base}/{self.origin_url}/nope")[1], "404")  # the origin's error, passed on
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


ORIGIN_PAGE = (b'<html><a href="/page2">two</a> <img src=img/logo.png width=10> '
               b"<a href='http://elsewhere.test/x'>out</a> <a href=\"#top\">top</a> "
               b'<form action="/search?q=1"></form></html>')


class OriginHandler(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        self.send_response(200 if self.path != "/missing" else 404)
        self.send_header("Content-Type", "text/html")
        self.send_header("Set-Cookie", "secret=1")
        self.send_header("X-Origin", self.path)
        self.send_header("Content-Length", str(len(ORIGIN_PAGE)))
        self.end_headers()
        self.wfile.write(ORIGIN_PAGE)

    def log_message(self, *args):
        pass


class WebProxy(unittest.TestCase):
    """gevent's examples/webproxy.py in full, against an origin server of the test's own."""

    @classmethod
    def setUpClass(cls):
        cls.origin = http.server.ThreadingHTTPServer(("127.0.0.1", 0), OriginHandler)
        threading.Thread(target=cls.origin.serve_forever, daemon=True).start()
        cls.origin_url = f"http://127.0.0.1:{cls.origin.server_address[1]}"
        cls.proxy = Sample("webproxy", "127.0.0.1:0", ready=r"Serving on 127\.0\.0\.1:(\d+)")
        cls.base = f"http://127.0.0.1:{cls.proxy.match.group(1)}"

    @classmethod
    def tearDownClass(cls):
        cls.proxy.stop()
        cls.origin.shutdown()
        cls.origin.server_close()

    def request(self, method, path, body=None, headers=None):
        conn = http.client.HTTPConnection("127.0.0.1", int(self.proxy.match.group(1)), timeout=20)
        try:
            conn.request(method, path, body=body, headers=headers or {})
            r = conn.getresponse()
            return r.status, dict(r.getheaders()), r.read()
        finally:
            conn.close()

    def test_the_form_at_the_root(self):
        status, headers, body = self.request("GET", "/")
        self.assertEqual(status, 200)
        self.assertEqual(headers["Content-Type"], "text/html")
        self.assertIn(b"<form action=/ method=post>", body)
        self.assertIn(b'<input size=80 name=url value="http://www.gevent.org"/>', body)

    def test_posting_the_form_redirects_to_the_proxied_url(self):
        status, headers, _ = self.request("POST", "/", body="url=http%3A%2F%2F127.0.0.1%3A9%2Fa",
                                          headers={"Content-Type": "application/x-www-form-urlencoded"})
        self.assertEqual(status, 302)
        self.assertEqual(headers["Location"], f"{self.base}/http://127.0.0.1:9/a")
        self.assertEqual(self.request("POST", "/elsewhere", body="")[0], 404)
        self.assertEqual(self.request("DELETE", "/")[0], 501)

    def test_links_in_the_fetched_page_go_through_the_proxy(self):
        status, headers, body = self.request("GET", f"/{self.origin_url}/index.html?x=1")
        self.assertEqual(status, 200)
        self.assertEqual(headers["X-Origin"], "/index.html?x=1")
        self.assertNotIn("Set-Cookie", headers)  # gevent's drop_headers
        self.assertEqual(int(headers["Content-Length"]), len(body))  # of the rewritten body
        via = f"{self.base}/{self.origin_url}"
        self.assertIn(f'<a href="{via}/page2">two</a>'.encode(), body)
        self.assertIn(f'<img src="{via}/img/logo.png" width=10>'.encode(), body)
        self.assertIn(f'<a href="{self.base}/http://elsewhere.test/x">out</a>'.encode(), body)
        self.assertIn(b'<a href="#top">top</a>', body)  # an anchor stays as it is
        self.assertIn(f'<form action="{via}/search?q=1">'.encode(), body)

    def test_a_url_without_scheme_is_http_and_errors_pass_through(self):
        host = self.origin_url[len("http://"):]
        status, _, body = self.request("GET", f"/{host}/page")
        self.assertEqual(status, 200)
        self.assertIn(f'href="{self.base}/{self.origin_url}/page2"'.encode(), body)
        self.assertEqual(self.request("GET", f"/{self.origin_url}/missing")[0], 404)

    def test_an_unreachable_origin_or_a_bad_url_is_a_502(self):
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            dead = probe.getsockname()[1]
        status, headers, body = self.request("GET", f"/http://127.0.0.1:{dead}/")
        self.assertEqual(status, 502)
        self.assertEqual(headers["Content-Type"], "text/html")
        self.assertIn(b"<h1>", body)
        self.assertIn(f"<h2>http://127.0.0.1:{dead}/</h2>".encode(), body)
        self.assertIn(b"refused", body.lower())
        status, _, body = self.request("GET", "/http://[bad/")
        self.assertEqual(status, 502)
        self.assertIn(b"<h2>http://[bad/</h2>", body)
        self.assertIn(b"error while reading http://[bad/", self.proxy.text().encode())


if __name__ == "__main__":
    unittest.main(verbosity=2)
