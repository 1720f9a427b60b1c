#!/usr/bin/python3
"""The TLS samples as a user runs them, against real clients: wsgiserver_ssl (gevent's
examples/wsgiserver_ssl.py, tested as gevent's example test tests it) and async_primer with
--tls-cert/--tls-key (the seed's endpoints over HTTPS and WSS), with curl, openssl s_client,
Python's ssl and websockets, and headless Chromium; and our client against nginx-light. All use
the checked-in samples/server.crt.
Usage: tls_samples_test.py <build/samples>"""
import asyncio
import os
import socket
import shutil
import ssl
import subprocess
import sys
import tempfile
import time
import unittest
import urllib.error
import urllib.request

import websockets

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from sample_process import Sample  # noqa: E402
from ports import free_port, wait_for_port  # noqa: E402

SAMPLES = sys.argv.pop(1) if len(sys.argv) > 1 else "build/samples"
ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
CERT = os.path.join(ROOT, "samples", "server.crt")
KEY = os.path.join(ROOT, "samples", "server.key")


def curl(port, path, *extra):
    """(body, status, HTTP version) of curl's GET https://localhost:port/path."""
    out = subprocess.run(["curl", "-sS", "--max-time", "20", "--cacert", CERT, "-w", "\n%{http_code} %{http_version}",
                          *extra, f"https://localhost:{port}{path}"], capture_output=True, text=True, timeout=30)
    body, _, tail = out.stdout.rpartition("\n")
    status, version = tail.split()
    return body, int(status), version


def trusting():
    return ssl.create_default_context(cafile=CERT)


class WsgiServerSsl(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.server = Sample(SAMPLES, "wsgiserver_ssl", "--port", "0", "--cert", CERT, "--key", KEY,
                            ready=r"Serving on https://127.0.0.1:(\d+)")
        cls.port = int(cls.server.match.group(1))

    @classmethod
    def tearDownClass(cls):
        cls.server.stop()

    def test_hello_world_over_https(self):
        self.assertEqual(curl(self.port, "/"), ("<b>hello world</b>", 200, "1.1"))

    def test_not_found(self):
        self.assertEqual(curl(self.port, "/missing")[:2], ("<h1>Not Found</h1>", 404))

    def test_half_a_request_or_half_a_handshake_blocks_no_other_client(self):
        half_request = trusting().wrap_socket(socket.create_connection(("127.0.0.1", self.port), 5),
                                              server_hostname="localhost")
        half_request.sendall(b"GET / HTTP/1.1\r\nHost: localhost\r\n")
        half_handshake = socket.create_connection(("127.0.0.1", self.port), 5)
        half_handshake.sendall(b"\x16\x03\x01\x02\x00")
        try:
            t0 = time.monotonic()
            self.assertEqual(curl(self.port, "/")[:2], ("<b>hello world</b>", 200))
            self.assertLess(time.monotonic() - t0, 5)
        finally:
            half_request.close()
            half_handshake.close()

    def test_openssl_s_client_sees_tls_1_3_and_alpn_and_tls_1_2_on_request(self):
        def s_client(*args):
            out = subprocess.run(["openssl", "s_client", "-connect", f"127.0.0.1:{self.port}", "-servername",
                                  "localhost", "-CAfile", CERT, *args], input="", capture_output=True, text=True,
                                 timeout=20)
            return out.stdout + out.stderr
        brief = s_client("-brief")
        self.assertIn("Protocol version: TLSv1.3", brief)
        self.assertIn("Verification: OK", brief)
        self.assertIn("ALPN protocol: http/1.1", s_client("-alpn", "h2,http/1.1"))
        self.assertIn("Protocol version: TLSv1.2", s_client("-brief", "-tls1_2"))

    def test_plain_http_on_the_https_port_gets_400(self):
        with self.assertRaises(urllib.error.HTTPError) as e:
            urllib.request.urlopen(f"http://127.0.0.1:{self.port}/", timeout=10)
        self.assertEqual(e.exception.code, 400)
        self.assertEqual(e.exception.read(), b"The plain HTTP request was sent to HTTPS port\n")

    def test_a_client_checking_another_name_refuses_the_certificate(self):
        with self.assertRaises(ssl.SSLCertVerificationError):
            trusting().wrap_socket(socket.create_connection(("127.0.0.1", self.port), 5), server_hostname="other.test")


class AsyncPrimerOverTls(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.server = Sample(SAMPLES, "async_primer", "--port", "0", "--quiet", "--tls-cert", CERT, "--tls-key", KEY,
                            ready=r"Serving on https://127.0.0.1:(\d+)/")
        cls.port = int(cls.server.match.group(1))

    @classmethod
    def tearDownClass(cls):
        cls.server.stop()

    def test_stream_arrives_with_its_spacing_through_curl_n(self):
        # The seed's /stream: START at once, MIDDLE 3 s later, END 5 s after that.
        proc = subprocess.Popen(["curl", "-sS", "-N", "--max-time", "20", "--cacert", CERT,
                                 f"https://localhost:{self.port}/stream"], stdout=subprocess.PIPE)
        t0, seen, when = time.monotonic(), b"", {}
        while True:
            piece = os.read(proc.stdout.fileno(), 100)
            if not piece:
                break
            seen += piece
            for word in (b"START", b"MIDDLE", b"END"):
                if word in seen and word not in when:
                    when[word] = time.monotonic() - t0
        proc.wait(10)
        proc.stdout.close()
        self.assertEqual(seen, b"STARTMIDDLEEND")
        self.assertLess(when[b"START"], 1.5)
        self.assertGreater(when[b"MIDDLE"] - when[b"START"], 2.5)
        self.assertGreater(when[b"END"] - when[b"MIDDLE"], 4.5)

    def test_wss_with_python_websockets(self):
        async def talk():
            async with websockets.connect(f"wss://localhost:{self.port}/websocket", ssl=trusting()) as ws:
                await ws.send("Hello")
                return await ws.recv()
        self.assertEqual(asyncio.run(asyncio.wait_for(talk(), 30)), "Your message was: 'Hello'")

    def test_concurrent_download_fetches_all_three_over_https_at_once(self):
        base = f"https://localhost:{self.port}"
        run = Sample(SAMPLES, "concurrent_download", f"{base}/hello", f"{base}/fetch", f"{base}/",
                     env={"SSL_CERT_FILE": CERT})
        out = run.wait(30)
        run.stop()
        self.assertEqual(out.count("Starting"), 3)
        self.assertIn(f"{base}/hello: 13 bytes: 'Hello, World!'", out)
        self.assertIn(f"{base}/fetch: 40 bytes: 'chunk 1", out)
        self.assertLess(out.rfind("Starting"), out.find("bytes:"))  # all started before any finished

    def test_concurrent_download_refuses_a_server_it_cannot_verify(self):
        run = Sample(SAMPLES, "concurrent_download", f"https://localhost:{self.port}/hello",
                     env={"SSL_CERT_FILE": "/dev/null"})
        out = run.wait(30)
        run.stop()
        self.assertIn("certificate verify failed for 'localhost'", out)

    def test_a_browser_loads_the_page_over_https_and_its_script_gets_the_wss_reply(self):
        expected = "<li class=\"reply\">Your message was: 'Hello, world'</li>"
        dom = ""
        for budget in (3000, 10000):
            dom = subprocess.run(["chromium", "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
                                  "--ignore-certificate-errors", f"--virtual-time-budget={budget}", "--dump-dom",
                                  f"https://127.0.0.1:{self.port}/"], capture_output=True, text=True, timeout=60).stdout
            if expected in dom:
                break
        self.assertIn(expected, dom)


class OurClientAgainstNginx(unittest.TestCase):
    """Our client (concurrent_download's http::get) against nginx-light serving TLS 1.3 on one
    port and only TLS 1.2 on another: a short body and one of 1 MiB, many records long."""
    BIG = ("abcdefghijklmnopqrstuvwxyz" * 40330)[:1 << 20]

    @classmethod
    def setUpClass(cls):
        cls.dir = tempfile.mkdtemp(prefix="gev-nginx-")
        os.chmod(cls.dir, 0o755)  # nginx's worker runs as nobody when we are root
        with open(os.path.join(cls.dir, "big.txt"), "w") as f:
            f.write(cls.BIG)
        cls.port13, cls.port12 = free_port(), free_port()
        tmp = cls.dir
        servers = "".join(f"""
  server {{ listen 127.0.0.1:{port} ssl; ssl_protocols {protocols};
    ssl_certificate {CERT}; ssl_certificate_key {KEY}; root {tmp};
    location = /hello {{ default_type text/plain; return 200 "Hello over {protocols}"; }} }}"""
                          for port, protocols in ((cls.port13, "TLSv1.3"), (cls.port12, "TLSv1.2")))
        conf = os.path.join(tmp, "nginx.conf")
        with open(conf, "w") as f:
            f.write(f"""worker_processes 1; daemon off; pid {tmp}/nginx.pid; error_log {tmp}/error.log;
events {{ worker_connections 64; }}
http {{ access_log off; client_body_temp_path {tmp}; proxy_temp_path {tmp}; fastcgi_temp_path {tmp};
  uwsgi_temp_path {tmp}; scgi_temp_path {tmp};{servers} }}
""")
        cls.nginx = subprocess.Popen(["nginx", "-c", conf, "-p", tmp], stdout=subprocess.DEVNULL)
        try:
            for port in (cls.port13, cls.port12):
                wait_for_port(port, 20)
        except AssertionError:
            cls.tearDownClass()
            raise

    @classmethod
    def tearDownClass(cls):
        cls.nginx.terminate()
        cls.nginx.wait(10)
        shutil.rmtree(cls.dir)

    def download(self, *urls):
        run = Sample(SAMPLES, "concurrent_download", *urls, env={"SSL_CERT_FILE": CERT})
        out = run.wait(30)
        run.stop()
        return out

    def test_both_bodies_arrive_whole_over_tls_1_3_and_over_tls_1_2(self):
        # The TLS 1.2 server is named by its address: the certificate's IP entry is what matches.
        for base, protocols in ((f"https://localhost:{self.port13}", "TLSv1.3"),
                                (f"https://127.0.0.1:{self.port12}", "TLSv1.2")):
            with self.subTest(protocols):
                out = self.download(f"{base}/hello", f"{base}/big.txt")
                self.assertIn(f"{base}/hello: {len(protocols) + 11} bytes: 'Hello over {protocols}'", out)
                self.assertIn(f"{base}/big.txt: 1048576 bytes: '{self.BIG[:50]}'", out)


if __name__ == "__main__":
    unittest.main(verbosity=2)
