#!/usr/bin/python3
"""End-to-end tests of samples/chat: messages cross between WebSocket and long-polling clients,
and 10,000 concurrent clients on one hub all receive a post.
Usage: chat_test.py <build/samples> <chat_crowd>"""
import asyncio
import json
import os
import resource
import subprocess
import sys
import threading
import unittest
import urllib.request

import websockets

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from sample_process import Sample  # noqa: E402

SAMPLES = sys.argv.pop(1) if len(sys.argv) > 1 else "build/samples"
CROWD = sys.argv.pop(1) if len(sys.argv) > 1 else "build/tests/ws/chat_crowd"

# 10,000 clients need 10,000 descriptors in the server and in the crowd; children inherit this.
_, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))


class Chat(unittest.TestCase):
    def setUp(self):
        self.server = Sample(SAMPLES, "chat", "--port", "0", "--quiet", ready=r":(\d+)/")
        self.port = int(self.server.match.group(1))
        self.http = f"http://127.0.0.1:{self.port}"

    def tearDown(self):
        self.server.stop()

    def stats(self):
        with urllib.request.urlopen(f"{self.http}/stats", timeout=10) as r:
            return json.load(r)

    def test_page_offers_both_transports(self):
        with urllib.request.urlopen(f"{self.http}/", timeout=10) as r:
            page = r.read().decode()
        self.assertIn('new WebSocket("ws://" + location.host + "/ws")', page)
        self.assertIn('fetch("/poll"', page)

    def test_messages_cross_between_websocket_and_long_polling(self):
        polled = {}

        def long_poll():
            with urllib.request.urlopen(f"{self.http}/poll", timeout=40) as r:
                polled.update(json.load(r))

        async def talk():
            async with websockets.connect(f"ws://127.0.0.1:{self.port}/ws") as ws:
                poller = threading.Thread(target=long_poll)
                poller.start()
                while self.stats()["pollers"] < 1:
                    await asyncio.sleep(0.02)
                await ws.send("from the websocket")
                echoed = await asyncio.wait_for(ws.recv(), 10)  # a post reaches its sender too
                await asyncio.get_running_loop().run_in_executor(None, poller.join, 20)
                request = urllib.request.Request(f"{self.http}/send", data=b"from a poster", method="POST")
                urllib.request.urlopen(request, timeout=10).read()
                return echoed, await asyncio.wait_for(ws.recv(), 10)

        echoed, posted = asyncio.run(talk())
        self.assertEqual(echoed, "from the websocket")
        self.assertEqual(posted, "from a poster")
        self.assertEqual(polled["messages"], ["from the websocket"])
        # A poller that says where it stopped gets what it missed, without waiting.
        with urllib.request.urlopen(f"{self.http}/poll?since={polled['last']}", timeout=10) as r:
            self.assertEqual(json.load(r)["messages"], ["from a poster"])

    def test_ten_thousand_clients_on_one_hub_all_get_a_post(self):
        out = subprocess.run([CROWD, str(self.port), "5000", "5000"], capture_output=True, text=True, timeout=240)
        print(out.stdout.strip(), file=sys.stderr)
        self.assertEqual(out.returncode, 0, out.stdout + out.stderr[-2000:])
        self.assertIn("delivered 10000/10000", out.stdout)


if __name__ == "__main__":
    unittest.main(verbosity=2)
