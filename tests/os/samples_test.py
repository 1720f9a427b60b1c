#!/usr/bin/python3
"""End-to-end test of the os samples, run as gevent's test__examples.py runs its examples: as a
process, which must exit 0 in time; and here its output is checked too.
Usage: samples_test.py <build/samples>"""
import os
import subprocess
import sys
import tempfile
import time
import unittest

SAMPLES = sys.argv.pop(1) if len(sys.argv) > 1 else "build/samples"


class ProcessesTest(unittest.TestCase):
    def test_uname_and_ls_waited_on_together(self):
        with tempfile.TemporaryDirectory() as cwd:
            for name in ("a.txt", "b c.txt"):
                open(os.path.join(cwd, name), "w").close()
            start = time.monotonic()
            done = subprocess.run([os.path.join(os.path.abspath(SAMPLES), "processes")], cwd=cwd,
                                  capture_output=True, timeout=20)
            elapsed = time.monotonic() - start
        uname = subprocess.run(["uname"], capture_output=True).stdout
        self.assertEqual(done.returncode, 0, done.stderr)
        listing = b"a.txt\nb c.txt\n"
        self.assertEqual(done.stdout.decode(), f"uname: {uname!r}\nls: {listing!r}\n")
        self.assertLess(elapsed, 1.5)  # both finished long before the 2 s timeout


if __name__ == "__main__":
    unittest.main()
