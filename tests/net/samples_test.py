#!/usr/bin/python3
"""End-to-end tests of the net samples: each runs as a process and is talked to with real
sockets from Python, as a user would with telnet/nc. Usage: samples_test.py <build/samples>"""
import asyncio
import os
import re
import signal
import socket
import sys
import tempfile
import threading
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
    def forwarder(self, dest_port):
        return Sample("portforwarder", "127.0.0.1:0", f"127.0.0.1:{dest_port}", ready=r"127\.0\.0\.1:(\d+) ->")

    def test_forwards_both_ways(self):
        echo = Sample("echoserver", 0, ready=r"port (\d+)")
        fwd = self.forwarder(echo.match.group(1))
        try:
            with socket.create_connection(("127.0.0.1", int(fwd.match.group(1))), timeout=5) as s:
                f = s.makefile("rb")
                self.assertTrue(f.readline().startswith(b"Welcome"))
                s.sendall(b"through the forwarder\n")
                self.assertEqual(f.readline(), b"through the forwarder\n")
                f.close()  # else the connection stays open, and the forwarder waits for it at exit
        finally:
            fwd.stop()
            echo.stop()

    def test_reports_a_destination_that_refuses(self):
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            dead_port = probe.getsockname()[1]
        fwd = self.forwarder(dead_port)
        try:
            with socket.create_connection(("127.0.0.1", int(fwd.match.group(1))), timeout=5) as s:
                self.assertEqual(s.recv(10), b"")
            time.sleep(0.1)
            self.assertIn("failed to connect", fwd.text())
            self.assertIn("refused", fwd.text())
        finally:
            fwd.stop()

    def test_a_signal_closes_the_listener_open_connections_go_on_and_it_exits_0(self):
        """gevent's src/gevent/tests/test__example_portforwarder.py, step by step."""
        log = []
        with socket.socket() as dest:
            dest.bind(("127.0.0.1", 0))
            dest.listen()
            dest.settimeout(10)

            def handle():
                conn, _ = dest.accept()
                with conn:
                    while True:
                        data = conn.recv(1024)
                        if not data:
                            break
                        log.append(data)

            receiver = threading.Thread(target=handle)
            receiver.start()
            fwd = self.forwarder(dest.getsockname()[1])
            try:
                port = int(fwd.match.group(1))
                conn = socket.create_connection(("127.0.0.1", port), timeout=5)
                conn.sendall(b"msg1")
                time.sleep(0.1)
                fwd.proc.send_signal(signal.SIGTERM)
                time.sleep(0.1)
                with self.assertRaises(ConnectionRefusedError):  # the listener is closed
                    socket.create_connection(("127.0.0.1", port), timeout=5)
                conn.sendall(b"msg2")  # the open connection still works
                conn.close()
                self.assertEqual(fwd.proc.wait(2.1), 0)
                receiver.join(5)
                self.assertEqual(log, [b"msg1", b"msg2"])
                self.assertIn("Closing listener socket", fwd.text())
            finally:
                fwd.stop()

    def test_a_second_signal_aborts(self):
        echo = Sample("echoserver", 0, ready=r"port (\d+)")
        fwd = self.forwarder(echo.match.group(1))
        try:
            with socket.create_connection(("127.0.0.1", int(fwd.match.group(1))), timeout=5) as s:
                s.makefile("rb").readline()
                fwd.proc.send_signal(signal.SIGINT)
                time.sleep(0.1)
                self.assertIsNone(fwd.proc.poll())  # a connection is open: it waits for it
                fwd.proc.send_signal(signal.SIGTERM)
                self.assertEqual(fwd.proc.wait(5), 1)
            self.assertIn("Multiple exit signals received - aborting.", fwd.text())
        finally:
            fwd.stop()
            echo.stop()

    def test_bad_addresses_are_refused_with_a_message(self):
        for args, message in [(("127.0.0.1:0", "127.0.0.1"), "Expected HOST:PORT: '127.0.0.1'"),
                              (("127.0.0.1:x", "127.0.0.1:80"), "Failed to parse address '127.0.0.1:x'")]:
            run = Sample("portforwarder", *args)
            out = run.wait(10)
            self.assertEqual(run.proc.returncode, 1, out)
            run.stop()
            self.assertIn(message, out)


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
    def test_a_wsgi_server_on_a_unix_socket_answers_a_raw_http_10_get(self):
        path = tempfile.mktemp(prefix="gevtest-", suffix=".sock")
        server = Sample("unixsocket_server", path, ready="Listening")
        try:
            client = Sample("unixsocket_client", path)
            out = client.wait()
            self.assertEqual(client.proc.returncode, 0)
            client.stop()
            received = int(re.search(r"received (\d+) bytes", out).group(1))
            answer = out[out.index("bytes\n") + len("bytes\n"):]  # read as text: its CRLFs are \n
            self.assertRegex(answer, r"^HTTP/1\.[01] 200 OK\n")
            self.assertIn("\nContent-Length: 0\n\n", answer)
            self.assertEqual(received, len(answer[:-1].replace("\n", "\r\n").encode()))
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
