#!/usr/bin/python3
"""End-to-end tests of the seed's WebSocket endpoints in samples/async_primer, with Python's
`websockets` (another implementation of RFC 6455 and 7692) and a real browser (headless
Chromium). Usage: async_primer_ws_test.py <build/samples>"""
import asyncio
import os
import subprocess
import sys
import unittest
import urllib.error
import urllib.request

import websockets

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from sample_process import Sample  # noqa: E402

SAMPLES = sys.argv.pop(1) if len(sys.argv) > 1 else "build/samples"


def run(coro):
    return asyncio.run(asyncio.wait_for(coro, 30))


class AsyncPrimerWebSockets(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.server = Sample(SAMPLES, "async_primer", "--port", "0", "--quiet", ready=r":(\d+)/")
        cls.port = int(cls.server.match.group(1))
        cls.ws = f"ws://127.0.0.1:{cls.port}"

    @classmethod
    def tearDownClass(cls):
        cls.server.stop()

    def test_seed_websocket_answers_each_message(self):
        async def talk():
            async with websockets.connect(f"{self.ws}/websocket") as ws:
                replies = []
                for text in ("Hello, world", "and again"):
                    await ws.send(text)
                    replies.append(await ws.recv())
                return replies

        self.assertEqual(run(talk()), ["Your message was: 'Hello, world'", "Your message was: 'and again'"])

    def test_plain_get_is_refused_with_the_seeds_400(self):
        for path in ("/websocket", "/echo"):
            with self.assertRaises(urllib.error.HTTPError) as cm:
                urllib.request.urlopen(f"http://127.0.0.1:{self.port}{path}", timeout=10)
            self.assertEqual(cm.exception.code, 400)
            self.assertEqual(cm.exception.read(), b"Expected WebSocket request.")

    def test_echo_text_binary_and_a_mebibyte(self):
        async def talk():
            async with websockets.connect(f"{self.ws}/echo", max_size=None) as ws:
                out = []
                for message in ("text", b"\x00\xffbinary", "x" * (1 << 20), bytes(range(256)) * 4096):
                    await ws.send(message)
                    out.append(await ws.recv())
                return out

        self.assertEqual(run(talk()), ["text", b"\x00\xffbinary", "x" * (1 << 20), bytes(range(256)) * 4096])

    def test_echo_joins_fragments(self):
        async def talk():
            async with websockets.connect(f"{self.ws}/echo") as ws:
                await ws.send(["Hel", "lo, ", "world"])  # one message in three frames
                return await ws.recv()

        self.assertEqual(run(talk()), "Hello, world")

    def test_ping_gets_a_pong(self):
        async def talk():
            async with websockets.connect(f"{self.ws}/echo") as ws:
                latency = await asyncio.wait_for(await ws.ping(b"are you there"), 5)
                await ws.send("after the ping")
                return latency, await ws.recv()

        latency, reply = run(talk())
        self.assertLess(latency, 5)
        self.assertEqual(reply, "after the ping")

    def test_close_code_and_reason_are_answered(self):
        async def talk():
            ws = await websockets.connect(f"{self.ws}/echo")
            await ws.close(code=4000, reason="done")
            return ws.close_code

        self.assertEqual(run(talk()), 4000)

    def test_permessage_deflate_is_negotiated(self):
        async def talk():
            async with websockets.connect(f"{self.ws}/echo") as ws:  # websockets offers it by default
                text = "compress me " * 10000
                await ws.send(text)
                return ws.response_headers.get("Sec-WebSocket-Extensions", ""), await ws.recv() == text

        extensions, same = run(talk())
        self.assertIn("permessage-deflate", extensions)
        self.assertTrue(same)

    def test_browser_page_shows_the_reply(self):
        # The page's script opens ws://<host>/websocket, sends "Hello, world" on open and adds each
        # reply to the page; --virtual-time-budget lets the page run before the DOM is dumped.
        expected = "<li class=\"reply\">Your message was: 'Hello, world'</li>"
        dom = ""
        for budget in (3000, 10000):
            dom = subprocess.run(["chromium", "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
                                  f"--virtual-time-budget={budget}", "--dump-dom", f"http://127.0.0.1:{self.port}/"],
                                 capture_output=True, text=True, timeout=60).stdout
            if expected in dom:
                break
        self.assertIn(expected, dom)


if __name__ == "__main__":
    unittest.main(verbosity=2)
