#!/usr/bin/python3
"""The mirror of autobahn_test.py, as Autobahn's fuzzingserver tests clients: this runner is the
server, and gev::ws::connect (tests/ws/autobahn_echo_client.cpp, echoing every message) is the
client under test. Groups 1-7, 9 and 10 are autobahn_test.py's own cases with the roles swapped:
our frames go unmasked and the client's must be masked (10.2.1-2 send frames masked as a server's
must not be), and the server closes TCP first (RFC 6455 7.1.1), so the client must close its
side after that. Groups 12 and 13 are the client's side of permessage-deflate (RFC 7692): the
server answers the client's offer with each parameter set and checks that the client's messages
inflate with exactly what was agreed (12.x, 13.1-13.9), and answers with responses a client
MUST fail (13.11). Every upgrade request is checked too (RFC 6455 4.1).

Usage: autobahn_client_test.py <build/tests/ws/autobahn_echo_client> [-v] [case-id-prefix ...]
Exit status 1 when a case FAILED that is not in JUSTIFIED. See docs/autobahn.md."""
import base64
import hashlib
import os
import socket
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import autobahn_test as ab  # noqa: E402

CLIENT = sys.argv[1] if len(sys.argv) > 1 else "build/tests/ws/autobahn_echo_client"

# Case id -> one-line reason, only where RFC 6455/7692 leaves the client a choice and ours takes
# the other one. Never to hide a bug.
JUSTIFIED = {}

ACCEPT_WAIT = 10.0  # for the client's next connection
LISTENER = None


class MirrorConn(ab.Conn):
    """The client's next connection, with this runner as its server. `response` is the
    Sec-WebSocket-Extensions we answer with (none when None)."""

    def __init__(self, response=None, path=None, check_pmd=True):
        sock, _ = LISTENER.accept()
        sock.settimeout(ab.TIMEOUT)
        self.start(sock, None)
        self.closed_tcp = False
        head = self.read_head()
        self.check_upgrade(head)
        self.offer = ", ".join(self.request_headers.get("sec-websocket-extensions", []))
        key = self.request_headers.get("sec-websocket-key", [""])[0]
        accept = base64.b64encode(hashlib.sha1((key + ab.GUID).encode()).digest()).decode()
        answer = ("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                  f"Sec-WebSocket-Accept: {accept}\r\n")
        self.extensions = response or ""
        if response is not None:
            answer += f"Sec-WebSocket-Extensions: {response}\r\n"
        self.status, self.status_line = 101, "HTTP/1.1 101 Switching Protocols"
        self.log.append(f"the client offered {self.offer!r}" + (f"; answered {response!r}" if response else ""))
        self.sock.sendall((answer + "\r\n").encode())
        if response is not None:
            self.agree(response)

    def check_upgrade(self, head):
        """RFC 6455 4.1: what the client's opening handshake must be."""
        lines = head.split("\r\n")
        self.request_line = lines[0]
        self.request_headers = {}
        for line in lines[1:]:
            name, _, value = line.partition(":")
            self.request_headers.setdefault(name.strip().lower(), []).append(value.strip())
        h, v = self.request_headers, self.violations

        def tokens(name):
            return [t.strip().lower() for value in h.get(name, []) for t in value.split(",")]
        method, _, rest = self.request_line.partition(" ")
        if method != "GET" or not rest.endswith(" HTTP/1.1"):
            v.append(f"upgrade request line {self.request_line!r}: must be a GET in HTTP/1.1")
        if len(h.get("host", [])) != 1:
            v.append("upgrade without exactly one Host")
        if "websocket" not in tokens("upgrade"):
            v.append(f"Upgrade {h.get('upgrade')}")
        if "upgrade" not in tokens("connection"):
            v.append(f"Connection {h.get('connection')}")
        if h.get("sec-websocket-version") != ["13"]:
            v.append(f"Sec-WebSocket-Version {h.get('sec-websocket-version')}")
        keys = h.get("sec-websocket-key", [])
        try:
            ok = len(keys) == 1 and len(base64.b64decode(keys[0], validate=True)) == 16
        except ValueError:
            ok = False
        if not ok:
            v.append(f"Sec-WebSocket-Key {keys}: must be 16 bytes in base64")

    def agree(self, response):
        """What the client must do after our `response`, when it accepts its offer validly."""
        elements = ab.parse_extensions(response)
        offers = [p for name, p in ab.parse_extensions(self.offer) if name == "permessage-deflate"]
        if not offers or len(elements) != 1 or elements[0][0] != "permessage-deflate":
            return
        # Whether the answer is valid for the offer, by the rules a response must meet (RFC 7692
        # 7.1): leaving out what the offer asked for is the server's lenience, not the client's.
        asked = [(k, v) for k, v in offers[0] if k == "client_max_window_bits"]
        err, cfg = ab.check_offer_response(asked, elements[0][1])
        if err:
            return
        self.pmd = cfg
        self.deflater = ab.Deflater(max(cfg["server_max_window_bits"], 9), cfg["server_no_context_takeover"])
        self.inflater = ab.Inflater(cfg["client_max_window_bits"], cfg["client_no_context_takeover"])

    def handle(self, fin, rsv, op, payload):
        super().handle(fin, rsv, op, payload)
        if self.close_got and self.close_sent and not self.closed_tcp:
            # RFC 6455 7.1.1: the server closes the TCP connection first; the client then must.
            self.closed_tcp = True
            try:
                self.sock.shutdown(socket.SHUT_WR)
            except OSError:
                pass


def mirror_group13():
    """The client's side of 13.x: the server answers with each parameter set."""
    responses = {
        "13.1": "permessage-deflate",
        "13.2": "permessage-deflate; server_no_context_takeover",
        "13.3": "permessage-deflate; client_no_context_takeover",
        "13.4": "permessage-deflate; server_max_window_bits=9",
        "13.5": "permessage-deflate; server_max_window_bits=15",
        "13.6": "permessage-deflate; client_max_window_bits=9",
        "13.7": "permessage-deflate; server_no_context_takeover; client_no_context_takeover; "
                "server_max_window_bits=10; client_max_window_bits=10",
    }
    for sub, response in responses.items():
        i = 0
        for frag in (None, 256):
            for n in (64, 4096, 131072):
                i += 1
                ab.pmd_case(f"{sub}.{i}", f"answer {response!r}: 10 text messages of {n} bytes"
                            + (" in 256-byte fragments" if frag else ""), response,
                            ab.pmd_roundtrips(10, n, False, frag))
    for i, bits in enumerate(range(9, 16), 1):
        ab.pmd_case(f"13.8.{i}", f"ours: answer server_max_window_bits={bits}: our messages inflate",
                    f"permessage-deflate; server_max_window_bits={bits}", ab.long_range_roundtrips)
    for i, bits in enumerate(range(9, 16), 1):
        ab.pmd_case(f"13.9.{i}", f"ours: answer client_max_window_bits={bits}: the client's messages inflate "
                    "with that window", f"permessage-deflate; client_max_window_bits={bits}", ab.long_range_roundtrips)
    # RFC 7692 5 and 7.1, RFC 6455 9.1: a client MUST fail these.
    invalid = ["permessage-deflate; foo", "permessage-deflate; foo=1", "permessage-deflate; server_max_window_bits=16",
               "permessage-deflate; server_max_window_bits=7", "permessage-deflate; server_max_window_bits=0",
               "permessage-deflate; server_max_window_bits=010", "permessage-deflate; server_max_window_bits",
               "permessage-deflate; client_max_window_bits=16", "permessage-deflate; client_max_window_bits=7",
               "permessage-deflate; client_max_window_bits",
               "permessage-deflate; server_no_context_takeover; server_no_context_takeover",
               "permessage-deflate; server_no_context_takeover=1", "permessage-deflate; client_no_context_takeover=1",
               "permessage-deflate; server_max_window_bits=10; server_max_window_bits=12",
               "permessage-deflate, permessage-deflate", "x-webkit-deflate-frame",
               "permessage-deflate, x-webkit-deflate-frame"]
    for i, response in enumerate(invalid, 1):
        ab.CASES.append((f"13.11.{i}", f"ours: answer {response!r}: the client must fail the connection",
                         lambda r=response: must_fail_handshake(r)))


def must_fail_handshake(response):
    """After a 101 the client must refuse, it closes TCP without taking a message: OK; with a
    close frame first: NON-STRICT (the connection was never established, RFC 6455 7.1.7)."""
    c = MirrorConn(response)
    try:
        if c.pmd:
            return ab.FAILED, f"the runner took {response!r} for a valid answer to {c.offer!r}", [c]
        c.log.append("then a text message, which a failed client never sees")
        c.sendf(ab.TEXT, b"Hello")
        c.pump(timeout=ab.FAIL_WAIT)
        if c.apps():
            return ab.FAILED, "the client took the connection and echoed", [c]
        if not c.eof:
            return ab.FAILED, "the client neither failed nor echoed", [c]
        if any(e[0] == "close" for e in c.events):
            return ab.NON_STRICT, "a close frame before closing TCP", [c]
        return ab.OK, "", [c]
    finally:
        c.shut()


def no_more_cases():
    """Answers the client's next connection with 410, which ends it."""
    sock, _ = LISTENER.accept()
    sock.settimeout(ab.TIMEOUT)
    try:
        while b"\r\n\r\n" not in sock.recv(65536):
            pass
        sock.sendall(b"HTTP/1.1 410 Gone\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
    finally:
        sock.close()


def main():
    global LISTENER
    ab.MASKED, ab.PEER, ab.Conn = False, "client", MirrorConn
    for g in (ab.group1, ab.group2, ab.group3, ab.group4, ab.group5, ab.group6, ab.group7, ab.group9, ab.group10):
        g()
    ab.group12("permessage-deflate")
    mirror_group13()
    LISTENER = socket.create_server(("127.0.0.1", 0))
    LISTENER.settimeout(ACCEPT_WAIT)
    port = LISTENER.getsockname()[1]
    client = subprocess.Popen([CLIENT, f"ws://127.0.0.1:{port}/"], stdout=subprocess.PIPE,
                              stderr=subprocess.STDOUT, text=True)
    t0 = time.monotonic()
    try:
        results = ab.run_cases(ab.selected(), client, "autobahn_echo_client")
        if client.poll() is None:
            no_more_cases()
            client.wait(timeout=10)
    finally:
        out = ab.output_of(client)
        LISTENER.close()
    ab.report(results, time.monotonic() - t0, "autobahn_echo_client", out if ab.VERBOSE else "", JUSTIFIED)
    bad = [r for r in results if r[2] == ab.FAILED and r[0] not in JUSTIFIED]
    if client.returncode != 0:
        print(f"autobahn_echo_client exited with {client.returncode}:\n{out[-2000:]}")
        return 1
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
