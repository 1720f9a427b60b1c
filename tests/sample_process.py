"""Runs a sample program as a process for the end-to-end tests, as a user would."""
import os
import re
import subprocess
import tempfile
import time


class Sample:
    """Runs samples_dir/name with stdout in a file; waits for a line matching `ready`."""

    def __init__(self, samples_dir, name, *args, ready=None, env=None):
        self.out = tempfile.NamedTemporaryFile("w+", prefix="gevtest-", delete=False)
        self.proc = subprocess.Popen([os.path.join(samples_dir, name), *map(str, args)], stdout=self.out,
                                     stderr=subprocess.STDOUT, env={**os.environ, **(env or {})})
        self.match = None
        if ready:
            deadline = time.time() + 10
            while time.time() < deadline and not self.match:
                self.match = re.search(ready, self.text())
                time.sleep(0.01)
            if not self.match:
                self.stop()
                raise AssertionError(f"{name} never printed {ready!r}: {self.text()!r}")

    def text(self):
        with open(self.out.name) as f:
            return f.read()

    def wait(self, timeout=20):
        self.proc.wait(timeout)
        return self.text()

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(10)
        if os.path.exists(self.out.name):
            os.unlink(self.out.name)
