#!/usr/bin/python3
"""End-to-end test of samples/geventsendfile, run as gevent's test__examples.py runs its examples:
as a process that must exit 0 in time. It serves a multi-MiB file to a slow reader whose receive
buffer is small, so its sendfile meets EAGAIN and waits; the copy must be byte-exact.
Usage: sendfile_sample_test.py <build/samples>"""
import os
import socket
import subprocess
import sys
import tempfile
import time
import unittest

SAMPLES = sys.argv.pop(1) if len(sys.argv) > 1 else "build/samples"


class GeventSendfileTest(unittest.TestCase):
    def test_a_big_file_arrives_byte_exact_over_a_slow_reader(self):
        content = os.urandom(3 << 20)
        with tempfile.TemporaryDirectory() as tmp:
            path = os.path.join(tmp, "payload.bin")
            with open(path, "wb") as f:
                f.write(content)
            proc = subprocess.Popen([os.path.join(os.path.abspath(SAMPLES), "geventsendfile"), path],
                                    stdout=subprocess.PIPE, stderr=subprocess.PIPE)
            try:
                banner = proc.stdout.readline().decode()
                self.assertTrue(banner.startswith("Serving " + path + " on port "), banner)
                port = int(banner.rsplit(" ", 1)[1])
                sock = socket.socket()
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
                sock.settimeout(20)
                sock.connect(("127.0.0.1", port))
                got = bytearray()
                reads = 0
                while True:
                    chunk = sock.recv(16384)
                    if not chunk:
                        break
                    got += chunk
                    reads += 1
                    if reads % 32 == 0:
                        time.sleep(0.002)  # a slow reader: the sender's socket fills up
                sock.close()
                out, err = proc.communicate(timeout=20)
            finally:
                if proc.poll() is None:
                    proc.kill()
                    proc.wait()
        self.assertEqual(proc.returncode, 0, err)
        self.assertEqual(len(got), len(content))
        self.assertTrue(got == content, "the copy differs from the file")
        self.assertGreater(reads, 100)
        self.assertRegex(out.decode(), r"^sent %d bytes to 127\.0\.0\.1:\d+\n$" % len(content))


if __name__ == "__main__":
    unittest.main()
