#!/usr/bin/python3
"""End-to-end tests of the net samples: each runs as a process and is talked to with real
sockets from Python, as a user would with telnet/nc. Usage: samples_test.py <build/samples>"""
import asyncio
import os
import re
import socket
import sys
import tempfile
import time
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
import sample_process  # noqa: E402

SAMPLES = sys.argv.pop(1) if len(sys.argv) > 1 else "build/samples"


def Sample(name, *args, **kw):
    return sample_process.Sample(SAMPLES, name, *args, **kw)


class EchoServerTest(unittest.TestCase):
    def setUp(self):
        self.server = Sample("echoserver", 0, ready=r"Starting echo server on port (\d+)")
        self.port = int(self.server.match.group(1))

    def tearDown(self):
        self.server.stop()

    def test_greets_echoes_lines_and_quits(self):
        with socket.create_connection(("127.0.0.1", self.port), timeout=5) as s:
            f = s.makefile("rb")
            self.assertEqual(f.readline(), b"Welcome to the echo server! Type quit to exit.\r\n")
            s.sendall(b"hello\r\n")
            self.assertEqual(f.readline(), b"hello\r\n")
            s.sendall(b"in two ")
            time.sleep(0.05)
            s.sendall(b"pieces\n")
            self.assertEqual(f.readline(), b"in two pieces\n")
            s.sendall(b"QUIT\r\n")
            self.assertEqual(f.read(), b"")  # the server closed the connection
        time.sleep(0.1)
        self.assertIn("client quit", self.server.text())

    def test_a_thousand_concurrent_clients_on_one_hub(self):
        async def client(i):
            r, w = await asyncio.open_connection("127.0.0.1", self.port)
            await r.readline()
            w.write(f"client {i}\n".encode())
            await w.drain()
            line = await r.readline()
            await asyncio.sleep(0.5)  # everyone is connected at once
            w.write(f"again {i}\n".encode())
            line2 = await r.readline()
            w.close()
            return line == f"client {i}\n".encode() and line2 == f"again {i}\n".encode()

        async def main():
            return await asyncio.wait_for(asyncio.gather(*(client(i) for i in range(1000))), 60)

        results = asyncio.run(main())
        self.assertEqual(sum(results), 1000)

    def test_a_client_that_vanishes_does_not_disturb_others(self):
        rude = socket.create_connection(("127.0.0.1", self.port))
        rude.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")
        rude.sendall(b"half a li")
        rude.close()  # reset mid-line
        with socket.create_connection(("127.0.0.1", self.port), timeout=5) as s:
            f = s.makefile("rb")
            f.readline()
            s.sendall(b"fine\n")
            self.assertEqual(f.readline(), b"fine\n")


class PortForwarderTest(unittest.TestCase):
    def test_forwards_both_ways(self):
        echo = Sample("echoserver", 0, ready=r"port (\d+)")
        fwd = Sample("portforwarder", 0, "127.0.0.1", echo.match.group(1), ready=r"127\.0\.0\.1:(\d+) ->")
        try:
            with socket.create_connection(("127.0.0.1", int(fwd.match.group(1))), timeout=5) as s:
                f = s.makefile("rb")
                self.assertTrue(f.readline().startswith(b"Welcome"))
                s.sendall(b"through the forwarder\n")
                self.assertEqual(f.readline(), b"through the forwarder\n")
        finally:
            fwd.stop()
            echo.stop()

    def test_reports_a_destination_that_refuses(self):
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            dead_port = probe.getsockname()[1]
        fwd = Sample("portforwarder", 0, "127.0.0.1", dead_port, ready=r"127\.0\.0\.1:(\d+) ->")
        try:
            with socket.create_connection(("127.0.0.1", int(fwd.match.group(1))), timeout=5) as s:
                self.assertEqual(s.recv(10), b"")
            time.sleep(0.1)
            self.assertIn("failed to connect", fwd.text())
            self.assertIn("refused", fwd.text())
        finally:
            fwd.stop()


class UdpTest(unittest.TestCase):
    def test_udp_server_and_client(self):
        server = Sample("udp_server", 0, ready=r"Receiving datagrams on :(\d+)")
        try:
            client = Sample("udp_client", "hello", "there", env={"GEV_UDP_PORT": server.match.group(1)})
            out = client.wait()
            client.stop()
            self.assertIn("Sending 11 bytes to localhost:", out)
            self.assertRegex(out, r"127\.0\.0\.1:\d+: got 'Received 11 bytes'")
            self.assertIn("127.0.0.1: got 'hello there'", server.text())
        finally:
            server.stop()


class UnixSocketTest(unittest.TestCase):
    def test_unixsocket_server_and_client(self):
        path = tempfile.mktemp(prefix="gevtest-", suffix=".sock")
        server = Sample("unixsocket_server", path, ready="Listening")
        try:
            client = Sample("unixsocket_client", path)
            self.assertEqual(client.wait().strip(), "hello world")
            client.stop()
        finally:
            server.stop()
            if os.path.exists(path):
                os.unlink(path)


class DnsMassResolveTest(unittest.TestCase):
    def test_resolves_names_concurrently_within_the_timeout(self):
        names = ["localhost"] * 200
        run = Sample("dns_mass_resolve", *names)
        out = run.wait()
        run.stop()
        self.assertEqual(out.count("localhost = 127.0.0.1"), 200)
        self.assertIn("finished within 2 seconds: 200/200", out)


class ThreadPoolTest(unittest.TestCase):
    def test_four_sleeps_on_three_threads_take_about_two_seconds(self):
        run = Sample("threadpool")
        out = run.wait()
        run.stop()
        seconds = float(re.search(r"about 2 seconds: ([\d.]+)s", out).group(1))
        self.assertGreaterEqual(seconds, 1.9)
        self.assertLess(seconds, 3.0)


if __name__ == "__main__":
    unittest.main(verbosity=2)
