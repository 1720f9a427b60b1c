#!/usr/bin/python3
"""End-to-end test of gevent's webchat example as ported (samples/webchat.cpp): long-polling
clients wait on one Event that message_new sets and clears at once, and every one of them wakes.
Usage: webchat_test.py <build/samples>"""
import http.client
import json
import os
import sys
import threading
import time
import unittest
import urllib.parse

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
import sample_process  # noqa: E402

SAMPLES = sys.argv.pop(1) if len(sys.argv) > 1 else "build/samples"
POLLERS = 50


class WebChat(unittest.TestCase):
    def setUp(self):
        self.server = sample_process.Sample(SAMPLES, "webchat", 0, ready=r"Serving on (\d+)")
        self.port = int(self.server.match.group(1))

    def tearDown(self):
        self.server.stop()

    def request(self, method, path, body=None, cookie=None, timeout=20):
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout)
        headers = {"Content-Type": "application/x-www-form-urlencoded"}
        if cookie is not None:
            headers["Cookie"] = f"cursor={cookie}"
        conn.request(method, path, body=body, headers=headers)
        response = conn.getresponse()
        data = response.read().decode()
        cursor = None
        for name, value in response.getheaders():
            if name.lower() == "set-cookie" and value.startswith("cursor="):
                cursor = value.split(";")[0][len("cursor="):]
        conn.close()
        return response.status, data, cursor

    def post_message(self, text):
        status, data, _ = self.request("POST", "/a/message/new", urllib.parse.urlencode({"body": text}))
        self.assertEqual(status, 200, data)
        return json.loads(data)

    def test_one_message_wakes_every_waiting_poller(self):
        status, page, cursor = self.request("GET", "/")
        self.assertEqual(status, 200)
        self.assertIn('id="messageform"', page)
        self.assertEqual(cursor, "")  # no message yet
        replies = []
        lock = threading.Lock()

        def poll():
            reply = self.request("POST", "/a/message/updates", b"", cookie=cursor)
            with lock:
                replies.append(reply)

        threads = [threading.Thread(target=poll) for _ in range(POLLERS)]
        for t in threads:
            t.start()
        # Every poller is parked on the Event before the message is posted: a poller answered
        # by the post itself would prove nothing about set() followed by clear().
        deadline = time.time() + 10
        while self.server_sockets() < POLLERS + 1 and time.time() < deadline:  # + the listener
            time.sleep(0.01)
        time.sleep(0.2)  # each accepted request reaches its wait
        msg = self.post_message("hello <world>")
        for t in threads:
            t.join(20)
        self.assertEqual(len(replies), POLLERS)
        for status, data, new_cursor in replies:
            self.assertEqual(status, 200)
            self.assertEqual(json.loads(data)["messages"], [msg])
            self.assertEqual(new_cursor, msg["id"])
        # The page shows it, escaped; a poller whose cursor is the last message waits again, and
        # one with an older cursor gets what it missed at once.
        _, page, _ = self.request("GET", "/")
        self.assertIn("hello &lt;world&gt;", page)
        second = self.post_message("second")
        status, data, _ = self.request("POST", "/a/message/updates", b"", cookie=msg["id"])
        self.assertEqual(json.loads(data)["messages"], [second])
        status, data, _ = self.request("POST", "/a/message/updates", b"", cookie="unknown")
        self.assertEqual([m["body"] for m in json.loads(data)["messages"]], ["hello <world>", "second"])

    def server_sockets(self):
        """The sockets the server holds: its listener and the connections it accepted."""
        fds = f"/proc/{self.server.proc.pid}/fd"
        links = []
        for fd in os.listdir(fds):
            try:
                links.append(os.readlink(os.path.join(fds, fd)))
            except FileNotFoundError:
                pass
        return sum(link.startswith("socket:") for link in links)

    def test_bad_posts_get_clear_errors_and_the_server_keeps_serving(self):
        status, data, _ = self.request("POST", "/a/message/new", "nobody=1")
        self.assertEqual(status, 400)
        self.assertIn("body", data)
        status, _, _ = self.request("POST", "/a/message/new", urllib.parse.urlencode({"body": "x" * 10000}))
        self.assertEqual(status, 413)
        status, _, _ = self.request("GET", "/a/message/updates")
        self.assertEqual(status, 405)
        self.assertEqual(self.post_message("still here")["body"], "still here")


if __name__ == "__main__":
    unittest.main(verbosity=2)
