#!/usr/bin/python3
"""Our own Autobahn|Testsuite-style fuzzing client against samples/async_primer's /echo
(permessage-deflate enabled). Autobahn cannot be installed here, so this runner follows its case
list by number and intent (groups 1-7, 9, 10, 12, 13; case ids that Autobahn does not have are
ours and say so in their description) with a raw-socket client written here, so that every byte
on the wire is the test's. Outcome classes as in Autobahn's report: OK, NON-STRICT (passes, but
e.g. with another allowed close code, or failing later than fail-fast), FAILED.

Usage: autobahn_test.py <build/samples> [-v] [case-id-prefix ...]
Exit status 1 when a case FAILED that is not in JUSTIFIED. See docs/autobahn.md."""
import base64
import hashlib
import os
import socket
import struct
import subprocess
import sys
import time
import zlib

SAMPLES = sys.argv[1] if len(sys.argv) > 1 else "build/samples"
ONLY = [a for a in sys.argv[2:] if a != "-v"]  # only the cases whose id starts with one of these
VERBOSE = "-v" in sys.argv[2:]  # every case with what was sent and what came back

# Case id -> one-line reason, only where RFC 6455/7692 leaves a choice and the server takes the
# other one. Never to hide a bug.
JUSTIFIED = {}

TIMEOUT = 2.0         # each wait for the server
FAIL_WAIT = 1.5       # how long a case waits for the server to fail the connection
MAX_MESSAGE = 16 * 1024 * 1024  # gev::ws::WebSocketOptions::max_message, /echo keeps the default
GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"

# The role this runner plays: the client (its frames masked) against the server under test.
# tests/ws/autobahn_client_test.py runs the same cases as the server against our client, and
# sets these to False and "client".
MASKED = True
PEER = "server"

OK, NON_STRICT, FAILED = "OK", "NON-STRICT", "FAILED"
RANK = {OK: 0, NON_STRICT: 1, FAILED: 2}
CONT, TEXT, BINARY, CLOSE, PING, PONG = 0, 1, 2, 8, 9, 10


def mask(key, data):
    n = len(data)
    if not n:
        return b""
    k = (key * (n // 4 + 1))[:n]
    return (int.from_bytes(data, "little") ^ int.from_bytes(k, "little")).to_bytes(n, "little")


def short(b, n=24):
    b = bytes(b)
    return b[:n].hex() + (f"...({len(b)} bytes)" if len(b) > n else "")


def show(data, n=40):
    if isinstance(data, str):
        return repr(data[:n]) + (f"...({len(data)} chars)" if len(data) > n else "")
    return short(data, n // 2)


def frame(op, payload=b"", fin=True, rsv=0, wrong_mask=False, length=None, log=None):
    """One frame as bytes, masked as our role's must be (or, with wrong_mask, as it must not be).
    `length` forces the length encoding: 7, 16 or 64 (bits)."""
    payload = bytes(payload)
    masked = MASKED != wrong_mask
    b0 = (0x80 if fin else 0) | (rsv << 4) | op
    n = len(payload)
    m = 0x80 if masked else 0
    enc = length or (7 if n < 126 else 16 if n < 65536 else 64)
    if enc == 7:
        hdr = bytes([b0, m | n])
    elif enc == 16:
        hdr = struct.pack("!BBH", b0, m | 126, n)
    else:
        hdr = struct.pack("!BBQ", b0, m | 127, n)
    if log is not None:
        log.append(f"{hdr.hex(' ')}{' [key]' if masked else ''} | {short(payload)}")
    if not masked:
        return hdr + payload
    key = os.urandom(4)
    return hdr + key + mask(key, payload)


class Timeout(Exception):
    pass


class Eof(Exception):
    pass


def split_list(value):
    """Splits a header list on commas outside quoted strings."""
    out, cur, quoted = [], "", False
    for ch in value:
        if ch == '"':
            quoted = not quoted
        if ch == "," and not quoted:
            out.append(cur)
            cur = ""
        else:
            cur += ch
    if cur.strip():
        out.append(cur)
    return [e.strip() for e in out if e.strip()]


def parse_extensions(value):
    """[(name, [(param, value or None), ...]), ...]; quoted values unquoted."""
    out = []
    for element in split_list(value):
        parts = [p.strip() for p in element.split(";")]
        params = []
        for p in parts[1:]:
            k, eq, v = p.partition("=")
            v = v.strip()
            if len(v) >= 2 and v[0] == v[-1] == '"':
                v = v[1:-1]
            params.append((k.strip().lower(), v if eq else None))
        out.append((parts[0].lower(), params))
    return out


def window_bits(v):
    """8..15 from a value without leading zeroes, else None."""
    if v is None or not v.isdigit() or v.startswith("0") or not 8 <= int(v) <= 15:
        return None
    return int(v)


def offer_error(offer):
    """Why a server must decline this permessage-deflate offer (RFC 7692 5, 7.1), or None."""
    names = [k for k, _ in offer]
    if len(set(names)) != len(names):
        return "duplicate parameter"
    for k, v in offer:
        if k in ("server_no_context_takeover", "client_no_context_takeover"):
            if v is not None:
                return f"{k} with a value"
        elif k == "server_max_window_bits":
            if window_bits(v) is None:
                return f"{k}={v}"
        elif k == "client_max_window_bits":
            if v is not None and window_bits(v) is None:
                return f"{k}={v}"
        else:
            return f"unknown parameter {k}"
    return None


def check_offer_response(offer, params):
    """Whether `params` (a permessage-deflate response) validly accepts `offer` (a list of
    (param, value)); returns (error or None, config)."""
    names = [k for k, _ in params]
    if len(set(names)) != len(names):
        return f"duplicate parameter in {params}", None
    cfg = {"server_no_context_takeover": False, "client_no_context_takeover": False,
           "server_max_window_bits": 15, "client_max_window_bits": 15}
    offered = dict(offer)
    for k, v in params:
        if k in ("server_no_context_takeover", "client_no_context_takeover"):
            if v is not None:
                return f"{k} with a value", None
            cfg[k] = True
        elif k in ("server_max_window_bits", "client_max_window_bits"):
            bits = window_bits(v)
            if bits is None:
                return f"{k}={v} is not 8..15", None
            cfg[k] = bits
        else:
            return f"unknown parameter {k}", None
    if "server_no_context_takeover" in offered and not cfg["server_no_context_takeover"]:
        return "offer asked server_no_context_takeover, response left it out (RFC 7692 7.1.1.1)", None
    if "server_max_window_bits" in offered:
        if "server_max_window_bits" not in names:
            return "offer asked server_max_window_bits, response left it out (RFC 7692 7.1.2.1)", None
        asked = window_bits(offered["server_max_window_bits"])
        if asked is not None and cfg["server_max_window_bits"] > asked:
            return (f"server_max_window_bits={cfg['server_max_window_bits']} is larger than the "
                    f"{asked} offered (RFC 7692 7.1.2.1)"), None
    if "client_max_window_bits" in names and "client_max_window_bits" not in offered:
        return "client_max_window_bits in the response but not in the offer (RFC 7692 7.1.2.2)", None
    return None, cfg


class Deflater:
    def __init__(self, bits, no_context):
        self.bits, self.no_context, self.z = bits, no_context, None

    def compress(self, data):
        if self.z is None or self.no_context:
            self.z = zlib.compressobj(6, zlib.DEFLATED, -self.bits, 8)
        out = self.z.compress(data) + self.z.flush(zlib.Z_SYNC_FLUSH)
        assert out.endswith(b"\x00\x00\xff\xff")
        return out[:-4]


class Inflater:
    """Inflates with the negotiated window only and resets when the server must, so a server that
    uses a larger window or keeps its context against the agreement fails to inflate."""

    def __init__(self, bits, no_context):
        self.bits, self.no_context, self.z = bits, no_context, None

    def decompress(self, data):
        if self.z is None or self.no_context:
            self.z = zlib.decompressobj(-self.bits)
        return self.z.decompress(data + b"\x00\x00\xff\xff")


class Conn:
    """One WebSocket client connection; everything received lands in self.events."""

    def __init__(self, offer=None, path="/echo", check_pmd=True):
        self.start(socket.create_connection(("127.0.0.1", PORT), timeout=TIMEOUT), offer)
        key = base64.b64encode(os.urandom(16)).decode()
        req = (f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{PORT}\r\nUpgrade: websocket\r\n"
               f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n")
        if offer is not None:
            req += f"Sec-WebSocket-Extensions: {offer}\r\n"
        self.log.append("handshake" + (f" offering {offer!r}" if offer is not None else ""))
        self.sock.sendall((req + "\r\n").encode())
        lines = self.read_head().split("\r\n")
        self.status_line = lines[0]
        self.status = int(lines[0].split()[1])
        self.headers = {}
        for line in lines[1:]:
            name, _, value = line.partition(":")
            self.headers.setdefault(name.strip().lower(), []).append(value.strip())
        self.extensions = ", ".join(self.headers.get("sec-websocket-extensions", []))
        if self.status != 101:
            return
        accept = base64.b64encode(hashlib.sha1((key + GUID).encode()).digest()).decode()
        if self.headers.get("sec-websocket-accept") != [accept]:
            self.violations.append(f"Sec-WebSocket-Accept {self.headers.get('sec-websocket-accept')}, not {accept}")
        if self.extensions:
            self.negotiate(check_pmd)

    def start(self, sock, offer):
        self.sock = sock
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.buf = bytearray()
        self.log = []          # what we sent, readable
        self.events = []       # what came back
        self.violations = []   # the peer broke RFC 6455/7692 in what it sent
        self.close_sent = self.close_got = self.eof = False
        self.partial = None    # (opcode, compressed, [payloads]) of a fragmented message
        self.pmd = None
        self.deflater = self.inflater = None
        self.offer = offer

    def read_head(self):
        """The handshake's request or response head, up to the empty line; the rest stays in buf."""
        while b"\r\n\r\n" not in self.buf:
            chunk = self.sock.recv(65536)
            if not chunk:
                raise AssertionError(f"handshake: connection closed after {bytes(self.buf)!r}")
            self.buf += chunk
        head, _, rest = bytes(self.buf).partition(b"\r\n\r\n")
        self.buf = bytearray(rest)
        return head.decode("latin-1")

    def negotiate(self, check):
        elements = parse_extensions(self.extensions)
        offers = [p for name, p in parse_extensions(self.offer or "") if name == "permessage-deflate"]
        if len(elements) != 1 or elements[0][0] != "permessage-deflate" or not offers:
            self.violations.append(f"extensions answered: {self.extensions!r} to an offer of {self.offer!r}")
            return
        errors = []
        for i, offer in enumerate(offers, 1):
            err = offer_error(offer)
            if err:
                errors.append(f"offer {i} has {err}, must be declined")
                continue
            err, cfg = check_offer_response(offer, elements[0][1])
            if not err:
                break
            errors.append(f"offer {i}: {err}" if len(offers) > 1 else err)
        else:
            if check:
                self.violations.append(f"invalid permessage-deflate response {self.extensions!r}: "
                                       + "; ".join(errors))
            err, cfg = check_offer_response([], [(k, v) for k, v in elements[0][1] if k != "client_max_window_bits"])
            if err:
                return
        self.pmd = cfg
        client_bits = cfg["client_max_window_bits"]
        for offer in offers:
            bits = window_bits(dict(offer).get("client_max_window_bits"))
            if bits:
                client_bits = min(client_bits, bits)
        self.deflater = Deflater(max(client_bits, 9), cfg["client_no_context_takeover"])
        self.inflater = Inflater(cfg["server_max_window_bits"], cfg["server_no_context_takeover"])

    # -- sending ---------------------------------------------------------------------------------
    def frame(self, op, payload=b"", **kw):
        return frame(op, payload, log=self.log, **kw)

    def send(self, data, chop=None, delay=0.0):
        """Raw bytes, optionally in `chop`-byte writes `delay` s apart. Nothing once the peer
        closed: a real endpoint stops there too."""
        if self.close_got or self.eof:
            self.log.append(f"(not sent, the {PEER} had closed: {short(data, 8)})")
            return
        if chop:
            self.log.append(f"(the last frame(s) written in {chop}-byte chops{f', {delay} s apart' if delay else ''})")
        try:
            if not chop:
                self.sock.sendall(data)
            else:
                for i in range(0, len(data), chop):
                    self.sock.sendall(data[i:i + chop])
                    if delay:
                        time.sleep(delay)
        except OSError as e:
            self.events.append(("send-error", str(e)))
            self.eof = True

    def sendf(self, op, payload=b"", chop=None, delay=0.0, **kw):
        self.send(self.frame(op, payload, **kw), chop, delay)

    def message(self, data, binary=False, frag=None, compress=None, chop=None):
        """A whole message, compressed when permessage-deflate was agreed (unless told)."""
        data = data.encode() if isinstance(data, str) else data
        compress = self.pmd is not None if compress is None else compress
        payload = self.deflater.compress(data) if compress else data
        pieces = [payload[i:i + frag] for i in range(0, len(payload), frag)] if frag else [payload]
        pieces = pieces or [b""]
        log = self.log if len(pieces) <= 8 else None
        out = []
        for i, p in enumerate(pieces):
            out.append(frame(CONT if i else (BINARY if binary else TEXT), p, fin=i == len(pieces) - 1,
                             rsv=4 if compress and i == 0 else 0, log=log))
        if log is None:
            self.log.append(f"{'binary' if binary else 'text'} message of {len(data)} bytes in {len(pieces)} "
                            f"frames{' (compressed)' if compress else ''}: {short(data, 12)}")
        self.send(b"".join(out), chop)

    def close(self, code=1000, reason=b"", payload=None):
        if payload is None:
            payload = (struct.pack("!H", code) if code is not None else b"") + reason
        self.sendf(CLOSE, payload)
        self.close_sent = True

    # -- receiving -------------------------------------------------------------------------------
    def fill(self, n):
        while len(self.buf) < n:
            try:
                chunk = self.sock.recv(min(max(65536, n - len(self.buf)), 1 << 20))
            except socket.timeout:
                raise Timeout() from None
            except OSError as e:
                self.events.append(("reset", str(e)))
                chunk = b""
            if not chunk:
                raise Eof()
            self.buf += chunk

    def read_frame(self):
        self.fill(2)
        b0, b1 = self.buf[0], self.buf[1]
        n, off = b1 & 0x7F, 2
        if n == 126:
            self.fill(4)
            n, off = struct.unpack_from("!H", self.buf, 2)[0], 4
        elif n == 127:
            self.fill(10)
            n, off = struct.unpack_from("!Q", self.buf, 2)[0], 10
        masked = bool(b1 & 0x80)
        if masked:
            off += 4
        self.fill(off + n)
        payload = bytes(self.buf[off:off + n])
        if masked == MASKED:  # RFC 6455 5.1: a client masks every frame, a server none
            self.violations.append(f"the {PEER} {'masked' if masked else 'did not mask'} a frame")
        if masked:
            payload = mask(bytes(self.buf[off - 4:off]), payload)
        del self.buf[:off + n]
        return bool(b0 & 0x80), (b0 >> 4) & 7, b0 & 0x0F, payload

    def apps(self):
        return [e for e in self.events if e[0] in ("text", "binary", "pong", "ping")]

    def pump(self, until=None, timeout=TIMEOUT):
        """Reads until until() holds, end of stream, or `timeout` s of silence."""
        self.sock.settimeout(timeout)
        while not self.eof and not (until and until()):
            try:
                fin, rsv, op, payload = self.read_frame()
            except Timeout:
                self.events.append(("silence", timeout))
                return False
            except Eof:
                self.eof = True
                self.events.append(("eof",))
                return True
            self.handle(fin, rsv, op, payload)
        return True

    def handle(self, fin, rsv, op, payload):
        v = self.violations
        if self.close_got:
            v.append(f"a frame (opcode {op}) after the {PEER}'s close frame")
        if op >= 8:
            if not fin or len(payload) > 125 or rsv:
                v.append(f"bad control frame: opcode {op} fin {fin} rsv {rsv} length {len(payload)}")
            if op == PING:
                self.events.append(("ping", payload))
                if not self.close_sent:
                    self.sendf(PONG, payload)
            elif op == PONG:
                self.events.append(("pong", payload))
            elif op == CLOSE:
                self.close_got = True
                code = struct.unpack("!H", payload[:2])[0] if len(payload) >= 2 else None
                if len(payload) == 1:
                    v.append("close frame with a 1-byte payload")
                reason = payload[2:]
                try:
                    reason.decode()
                except UnicodeDecodeError:
                    v.append("close reason is not UTF-8")
                self.events.append(("close", code, reason, time.monotonic()))
                if not self.close_sent:
                    try:
                        self.sock.sendall(frame(CLOSE, payload[:2]))
                    except OSError:
                        pass
                    self.close_sent = True
            else:
                v.append(f"reserved opcode {op}")
            return
        if op in (TEXT, BINARY):
            if self.partial:
                v.append("a new data frame inside a fragmented message")
            compressed = bool(rsv & 4)
            if compressed and not self.pmd:
                v.append("RSV1 set without permessage-deflate")
            if rsv & 3:
                v.append(f"RSV bits {rsv}")
            self.partial = (op, compressed, [payload])
        elif op == CONT:
            if not self.partial:
                v.append("continuation frame without a message to continue")
                return
            if rsv:
                v.append(f"RSV bits {rsv} on a continuation frame")
            self.partial[2].append(payload)
        else:
            v.append(f"reserved opcode {op}")
            return
        if fin:
            op, compressed, parts = self.partial
            self.partial = None
            data = b"".join(parts)
            if compressed and self.inflater:
                try:
                    data = self.inflater.decompress(data)
                except zlib.error as e:
                    v.append(f"the {PEER}'s compressed message does not inflate (window "
                             f"{self.inflater.bits}, no_context {self.inflater.no_context}): {e}")
            if op == TEXT:
                try:
                    data.decode()
                except UnicodeDecodeError:
                    v.append(f"the {PEER} sent a text message that is not UTF-8")
            self.events.append(("text" if op == TEXT else "binary", data))

    def shut(self):
        try:
            self.sock.close()
        except OSError:
            pass


def describe(events):
    out = []
    for e in events:
        if e[0] in ("text", "binary", "ping", "pong"):
            printable = all(32 <= b < 127 for b in e[1][:40])
            out.append(f"{e[0]} {show(e[1].decode()) if printable else show(e[1])}")
        elif e[0] == "close":
            out.append(f"close {e[1]} {e[2][:40]!r}")
        else:
            out.append(" ".join(map(str, e)))
    return "; ".join(out) or "nothing"


def want(kind, data):
    return (kind, data.encode() if isinstance(data, str) else data)


# -- the cases -----------------------------------------------------------------------------------
CASES = []   # (id, description, run) — run() returns (outcome, note, [conns])


def worst(*outcomes):
    return max(outcomes, key=RANK.get)


def judge(c, expect, alt=None, close_ok=(1000,), close_ns=(), fail=False):
    """The outcome of a finished connection: its messages against `expect` (a list of events;
    alt: a predicate or list of lists giving NON-STRICT), its close against close_ok/close_ns."""
    notes, outcome = [], OK
    if c.violations:
        return FAILED, "; ".join(c.violations)
    apps = c.apps()
    if apps != expect:
        if (callable(alt) and alt(apps)) or (isinstance(alt, list) and apps in alt):
            outcome, notes = NON_STRICT, ["messages differ from the strict expectation"]
        else:
            exp = describe(expect)
            return FAILED, f"expected {exp[:300]}"
    closes = [e for e in c.events if e[0] == "close"]
    if not closes:
        if fail and c.eof:
            return worst(outcome, NON_STRICT), "dropped TCP without a close frame"
        return FAILED, (f"{PEER} did not fail the connection" if fail else "no close frame in answer to ours")
    code = closes[0][1]
    if code in close_ok:
        pass
    elif code in close_ns:
        outcome = worst(outcome, NON_STRICT)
        notes.append(f"close code {code}, {close_ok[0]} is stricter")
    else:
        return FAILED, f"close code {code}, expected {' or '.join(map(str, close_ok))}"
    if not c.eof:
        outcome = worst(outcome, NON_STRICT)
        notes.append(f"{PEER} did not close TCP after the closing handshake")
    return outcome, "; ".join(notes)


def echo_case(cid, desc, steps, expect=(), alt=None, offer=None, close_ok=(1000,), close_ns=(), fail=None):
    """steps(c) talks; then, unless `fail`, we close with 1000. fail=(codes ok, codes non-strict):
    the server must fail the connection."""
    expect = [want(*e) for e in expect]

    def run():
        c = Conn(offer)
        if c.status != 101:
            return FAILED, f"handshake answered {c.status_line}", [c]
        try:
            steps(c)
            if fail is None:
                if not c.close_sent:
                    c.close()
                c.pump()
                return (*judge(c, expect, alt, close_ok, close_ns), [c])
            c.pump(timeout=FAIL_WAIT)
            ok, ns = fail if isinstance(fail[0], tuple) else (fail, ())
            return (*judge(c, expect, alt, ok, ns, fail=True), [c])
        finally:
            c.shut()
    CASES.append((cid, desc, run))


def custom_case(cid, desc):
    def register(fn):
        CASES.append((cid, desc, fn))
        return fn
    return register


def group1():
    for kind, op, byte in (("1.1", TEXT, b"*"), ("1.2", BINARY, b"\xfe")):
        name = "text" if op == TEXT else "binary"
        sizes = [(0, None), (125, None), (126, None), (127, None), (128, None), (65535, None), (65536, None),
                 (65536, 997)]
        for i, (n, chop) in enumerate(sizes, 1):
            payload = byte * n
            echo_case(f"{kind}.{i}", f"{name} message, payload {n}" + (f", written in {chop}-byte chops" if chop else ""),
                      lambda c, p=payload, op=op, ch=chop: c.sendf(op, p, chop=ch),
                      expect=[(name, payload)])


def group2():
    echo_case("2.1", "ping without payload", lambda c: c.sendf(PING), expect=[("pong", b"")])
    echo_case("2.2", "ping with small text payload", lambda c: c.sendf(PING, b"Hello, world!"),
              expect=[("pong", b"Hello, world!")])
    bp = b"\x00\xff\xfe\xfd\xfc\xfb\x00\xff"
    echo_case("2.3", "ping with small binary payload", lambda c: c.sendf(PING, bp), expect=[("pong", bp)])
    echo_case("2.4", "ping with 125-byte binary payload", lambda c: c.sendf(PING, b"\xfe" * 125),
              expect=[("pong", b"\xfe" * 125)])
    echo_case("2.5", "ping with 126-byte payload: must fail", lambda c: c.sendf(PING, b"\xfe" * 126),
              fail=(1002,))
    echo_case("2.6", "ping with 125-byte payload written in 1-byte chops",
              lambda c: c.sendf(PING, b"\xfe" * 125, chop=1, delay=0.0005), expect=[("pong", b"\xfe" * 125)])
    echo_case("2.7", "unsolicited pong without payload", lambda c: c.sendf(PONG), expect=[])
    echo_case("2.8", "unsolicited pong with payload", lambda c: c.sendf(PONG, b"unsolicited pong payload"),
              expect=[])

    def s29(c):
        c.sendf(PONG, b"unsolicited pong payload")
        c.sendf(PING, b"ping payload")
    echo_case("2.9", "unsolicited pong, then ping: pong for the ping only", s29, expect=[("pong", b"ping payload")])
    pings = [f"payload-{i}".encode() for i in range(10)]

    def some_pongs(apps):  # RFC 6455 5.5.3: answering only the latest ping is allowed
        pl = [e[1] for e in apps if e[0] == "pong"]
        return len(pl) == len(apps) and pl and pl[-1] == pings[-1] and all(p in pings for p in pl)
    echo_case("2.10", "10 pings in a burst: 10 pongs",
              lambda c: c.send(b"".join(c.frame(PING, p) for p in pings)),
              expect=[("pong", p) for p in pings], alt=some_pongs)
    echo_case("2.11", "10 pings in a burst, written in 1-byte chops",
              lambda c: c.send(b"".join(c.frame(PING, p) for p in pings), chop=1),
              expect=[("pong", p) for p in pings], alt=some_pongs)


def group3():
    hw = b"Hello, world!"
    echo_case("3.1", "text with RSV=1 (no extension): fail", lambda c: c.sendf(TEXT, hw, rsv=1), fail=(1002,))

    def three(rsv, chop=None, delay=0.0):
        def steps(c):
            c.sendf(TEXT, hw)
            if delay:
                c.pump(until=lambda: c.apps(), timeout=TIMEOUT)
            c.send(c.frame(TEXT, hw, rsv=rsv) + c.frame(PING, b""), chop=chop)
        return steps
    echo_case("3.2", "text, then text with RSV=2, then ping: echo, then fail, no pong", three(2),
              expect=[("text", hw)], fail=(1002,))
    echo_case("3.3", "as 3.2 with RSV=3, frame by frame", three(3, delay=0.05), expect=[("text", hw)], fail=(1002,))
    echo_case("3.4", "as 3.2 with RSV=4, written in 1-byte chops", three(4, chop=1), expect=[("text", hw)],
              fail=(1002,))
    echo_case("3.5", "binary with RSV=5", lambda c: c.sendf(BINARY, b"\x00\xff\xfe\xfd", rsv=5), fail=(1002,))
    echo_case("3.6", "ping with RSV=6", lambda c: c.sendf(PING, hw, rsv=6), fail=(1002,))
    echo_case("3.7", "close with RSV=7", lambda c: c.sendf(CLOSE, b"\x03\xe8", rsv=7), fail=(1002,))


def group4():
    hw = b"Hello, world!"
    for sub, ops in (("4.1", (3, 4, 5, 6, 7)), ("4.2", (11, 12, 13, 14, 15))):
        kind = "non-control" if sub == "4.1" else "control"
        for i, op in enumerate(ops, 1):
            if i == 1:
                steps, exp, d = (lambda c, op=op: c.sendf(op)), [], f"reserved {kind} opcode {op}"
            elif i == 2:
                steps, exp = (lambda c, op=op: c.sendf(op, b"reserved opcode payload")), []
                d = f"reserved {kind} opcode {op} with payload"
            else:
                def steps(c, op=op, i=i):
                    c.sendf(TEXT, hw)
                    c.send(c.frame(op, b"reserved opcode payload" if i > 3 else b"") + c.frame(PING, b""),
                           chop=1 if i == 5 else None)
                exp = [("text", hw)]
                d = f"text, reserved {kind} opcode {op}{' with payload' if i > 3 else ''}, ping" + (
                    ", written in 1-byte chops" if i == 5 else "")
            echo_case(f"{sub}.{i}", d + ": fail", steps, expect=exp, fail=(1002,))


def group5():
    f1, f2 = b"fragment1", b"fragment2"
    echo_case("5.1", "ping in 2 fragments: fail",
              lambda c: c.send(c.frame(PING, f1, fin=False) + c.frame(CONT, f2)), fail=(1002,))
    echo_case("5.2", "pong in 2 fragments: fail",
              lambda c: c.send(c.frame(PONG, f1, fin=False) + c.frame(CONT, f2)), fail=(1002,))

    def send_frames(c, frames, chop=None, delay=0.0):
        # All at once (cut into `chop`-byte writes), or one frame a write with `delay` between.
        if delay:
            for f in frames:
                c.send(f)
                time.sleep(delay)
        else:
            c.send(b"".join(frames), chop=chop)

    def two(chop=None, delay=0.0, ping=False):
        def steps(c):
            frames = [c.frame(TEXT, f1, fin=False)] + ([c.frame(PING, b"pongme!")] if ping else []) + [
                c.frame(CONT, f2)]
            send_frames(c, frames, chop, delay)
        return steps
    echo_case("5.3", "text in 2 fragments", two(), expect=[("text", f1 + f2)])
    echo_case("5.4", "text in 2 fragments, written in 1-byte chops", two(chop=1), expect=[("text", f1 + f2)])
    echo_case("5.5", "text in 2 fragments, frame by frame", two(delay=0.05), expect=[("text", f1 + f2)])
    pm = [("pong", b"pongme!"), ("text", f1 + f2)]
    echo_case("5.6", "text in 2 fragments with a ping between", two(ping=True), expect=pm)
    echo_case("5.7", "as 5.6, written in 1-byte chops", two(ping=True, chop=1), expect=pm)
    echo_case("5.8", "as 5.6, frame by frame", two(ping=True, delay=0.05), expect=pm)
    np = b"non-continuation payload"
    for i, fin in ((9, True), (12, False)):
        for j, (chop, delay) in enumerate(((None, 0), (1, 0), (None, 0.05))):
            def steps(c, fin=fin, chop=chop, delay=delay):
                send_frames(c, [c.frame(CONT, np, fin=fin), c.frame(TEXT, b"Hello, world!")], chop, delay)
            how = ["", ", written in 1-byte chops", ", frame by frame"][j]
            echo_case(f"5.{i + j}", f"continuation (FIN={int(fin)}) without a message to continue{how}: fail",
                      steps, fail=(1002,))

    def s515(c):
        c.send(c.frame(TEXT, f1, fin=False) + c.frame(CONT, f2) + c.frame(CONT, b"fragment3", fin=False) +
               c.frame(TEXT, b"fragment4"))
    echo_case("5.15", "text in 2 fragments, then continuation FIN=0 and text: echo, then fail", s515,
              expect=[("text", f1 + f2)], fail=(1002,))
    for i, fin in ((16, False), (17, True)):
        def steps(c, fin=fin):
            c.send(b"".join(c.frame(CONT, f1, fin=fin) + c.frame(TEXT, f2, fin=False) + c.frame(CONT, b"fragment3")
                            for _ in range(2)))
        echo_case(f"5.{i}", f"twice: continuation (FIN={int(fin)}), text FIN=0, continuation: fail", steps,
                  fail=(1002,))
    echo_case("5.18", "text FIN=0 then text (a new data frame inside a fragmented message): fail",
              lambda c: c.send(c.frame(TEXT, f1, fin=False) + c.frame(TEXT, f2)), fail=(1002,))

    def five(delay):
        def steps(c):
            c.sendf(TEXT, b"fragment1", fin=False)
            time.sleep(delay)
            c.sendf(CONT, b"fragment2", fin=False)
            c.sendf(PING, b"pongme 1!")
            time.sleep(delay)
            c.pump(until=lambda: c.apps(), timeout=TIMEOUT)  # the pong comes before the message ends
            c.sendf(CONT, b"fragment3", fin=False)
            time.sleep(delay)
            c.sendf(CONT, b"fragment4", fin=False)
            c.sendf(PING, b"pongme 2!")
            time.sleep(delay)
            c.sendf(CONT, b"fragment5")
        return steps
    exp = [("pong", b"pongme 1!"), ("pong", b"pongme 2!"), ("text", b"fragment1fragment2fragment3fragment4fragment5")]
    echo_case("5.19", "text in 5 fragments with 2 pings between, with pauses: pongs come before the message ends",
              five(0.1), expect=exp)
    echo_case("5.20", "as 5.19, frame by frame", five(0.02), expect=exp)
    echo_case("5.21", "ours: text FIN=0 then binary FIN=1 inside it: fail",
              lambda c: c.send(c.frame(TEXT, f1, fin=False) + c.frame(BINARY, f2)), fail=(1002,))


# Markus Kuhn's UTF-8 decoder stress test, the vectors of Autobahn's 6.5-6.23.
def utf8_vectors():
    kosme = "κόσμε".encode()
    v = [("6.5", "valid UTF-8", [kosme])]
    v.append(("6.6", "κόσμε and its prefixes, byte by byte", [kosme[:i] for i in range(1, len(kosme) + 1)]))
    v.append(("6.7", "first sequence of each length", [b"\x00", b"\xc2\x80", b"\xe0\xa0\x80", b"\xf0\x90\x80\x80"]))
    v.append(("6.8", "first 5- and 6-byte sequences", [b"\xf8\x88\x80\x80\x80", b"\xfc\x84\x80\x80\x80\x80"]))
    v.append(("6.9", "last sequence of each length", [b"\x7f", b"\xdf\xbf", b"\xef\xbf\xbf", b"\xf4\x8f\xbf\xbf"]))
    v.append(("6.10", "past U+10FFFF", [b"\xf7\xbf\xbf\xbf", b"\xfb\xbf\xbf\xbf\xbf", b"\xfd\xbf\xbf\xbf\xbf\xbf"]))
    v.append(("6.11", "other boundaries", [b"\xed\x9f\xbf", b"\xee\x80\x80", b"\xef\xbf\xbd", b"\xf4\x8f\xbf\xbf",
                                          b"\xf4\x90\x80\x80"]))
    v.append(("6.12", "unexpected continuation bytes", [b"\x80", b"\xbf", b"\x80\xbf", b"\x80\xbf\x80",
                                                        b"\x80\xbf\x80\xbf", b"\x80\xbf\x80\xbf\x80",
                                                        b"\x80\xbf\x80\xbf\x80\xbf", b"\x80\xbf\x80\xbf\x80\xbf\x80",
                                                        bytes(range(0x80, 0xc0))]))
    v.append(("6.13", "lonely start bytes", [b" ".join(bytes([x]) for x in range(0xc0, 0xe0)) + b" ",
                                             b" ".join(bytes([x]) for x in range(0xe0, 0xf0)) + b" ",
                                             b" ".join(bytes([x]) for x in range(0xf0, 0xf8)) + b" ",
                                             b"\xf8 \xf9 \xfa \xfb ", b"\xfc \xfd "]))
    missing = [b"\xc0", b"\xe0\x80", b"\xf0\x80\x80", b"\xf8\x80\x80\x80", b"\xfc\x80\x80\x80\x80", b"\xdf",
               b"\xef\xbf", b"\xf7\xbf\xbf", b"\xfb\xbf\xbf\xbf", b"\xfd\xbf\xbf\xbf\xbf"]
    v.append(("6.14", "last continuation byte missing", missing))
    v.append(("6.15", "those concatenated", [b"".join(missing)]))
    v.append(("6.16", "impossible bytes", [b"\xfe", b"\xff", b"\xfe\xfe\xff\xff"]))
    v.append(("6.17", "overlong '/'", [b"\xc0\xaf", b"\xe0\x80\xaf", b"\xf0\x80\x80\xaf", b"\xf8\x80\x80\x80\xaf",
                                       b"\xfc\x80\x80\x80\x80\xaf"]))
    v.append(("6.18", "maximal overlongs", [b"\xc1\xbf", b"\xe0\x9f\xbf", b"\xf0\x8f\xbf\xbf", b"\xf8\x87\xbf\xbf\xbf",
                                            b"\xfc\x83\xbf\xbf\xbf\xbf"]))
    v.append(("6.19", "overlong NUL", [b"\xc0\x80", b"\xe0\x80\x80", b"\xf0\x80\x80\x80", b"\xf8\x80\x80\x80\x80",
                                       b"\xfc\x80\x80\x80\x80\x80"]))
    v.append(("6.20", "single UTF-16 surrogates", [bytes.fromhex(h) for h in
                                                   ("eda080", "edadbf", "edae80", "edafbf", "edb080", "edbe80",
                                                    "edbfbf")]))
    v.append(("6.21", "paired UTF-16 surrogates", [bytes.fromhex(a + b) for a in ("eda080", "edadbf", "edae80",
                                                                                  "edafbf")
                                                   for b in ("edb080", "edbfbf")]))
    nonchars = [chr(p).encode() for plane in range(17) for p in (plane * 0x10000 + 0xFFFE, plane * 0x10000 + 0xFFFF)]
    v.append(("6.22", "noncharacters (valid)", nonchars + [chr(p).encode() for p in range(0xFDD0, 0xFDF0)]))
    v.append(("6.23", "U+FFFD and neighbours (valid)", [b"\xef\xbf\xb9", b"\xef\xbf\xba", b"\xef\xbf\xbb",
                                                        b"\xef\xbf\xbc", b"\xef\xbf\xbd", b"\xef\xbf\xbe",
                                                        b"\xef\xbf\xbf"]))
    return v


def valid_utf8(b):
    try:
        b.decode("utf-8")
        return True
    except UnicodeDecodeError:
        return False


def group6():
    echo_case("6.1.1", "empty text message", lambda c: c.sendf(TEXT, b""), expect=[("text", b"")])
    echo_case("6.1.2", "text in 3 empty fragments",
              lambda c: c.send(c.frame(TEXT, b"", fin=False) + c.frame(CONT, b"", fin=False) + c.frame(CONT, b"")),
              expect=[("text", b"")])
    mid = b"middle frame payload"
    echo_case("6.1.3", "text: empty, non-empty, empty fragment",
              lambda c: c.send(c.frame(TEXT, b"", fin=False) + c.frame(CONT, mid, fin=False) + c.frame(CONT, b"")),
              expect=[("text", mid)])
    hello = "Hello-µ@ßöäüàá-UTF-8!!".encode()
    kosme = "κόσμε".encode()

    def bytewise(data):
        def steps(c):
            c.send(b"".join(c.frame(TEXT if i == 0 else CONT, data[i:i + 1], fin=i == len(data) - 1)
                            for i in range(len(data))))
        return steps
    echo_case("6.2.1", "valid UTF-8 in one frame", lambda c: c.sendf(TEXT, hello), expect=[("text", hello)])
    echo_case("6.2.2", "valid UTF-8 in 2 fragments split at a character",
              lambda c: c.send(c.frame(TEXT, hello[:6], fin=False) + c.frame(CONT, hello[6:])),
              expect=[("text", hello)])
    echo_case("6.2.3", "valid UTF-8, one byte a frame", bytewise(hello), expect=[("text", hello)])
    echo_case("6.2.4", "κόσμε one byte a frame (fragments split characters)", bytewise(kosme),
              expect=[("text", kosme)])
    bad = kosme + b"\xed\xa0\x80" + b"edited"
    echo_case("6.3.1", "invalid UTF-8 (a surrogate) in one frame: fail 1007", lambda c: c.sendf(TEXT, bad),
              fail=(1007,))
    echo_case("6.3.2", "the same, one byte a frame: fail 1007", bytewise(bad), fail=(1007,))
    group6_fail_fast(kosme)
    for sub, what, vectors in utf8_vectors():
        for i, vec in enumerate(vectors, 1):
            if valid_utf8(vec):
                echo_case(f"{sub}.{i}", f"{what}: {vec[:12].hex()} (valid)", lambda c, v=vec: c.sendf(TEXT, v),
                          expect=[("text", vec)])
            else:
                echo_case(f"{sub}.{i}", f"{what}: {vec[:12].hex()} (invalid): fail 1007",
                          lambda c, v=vec: c.sendf(TEXT, v), fail=(1007,))


def group6_fail_fast(kosme):
    """6.4.x: the server must fail on the invalid part without waiting for the rest."""
    pause = 0.5

    def framed(cid, desc, parts):
        # parts: [(fragment payload, is the invalid part)], the fragments written `pause` apart
        def run():
            c = Conn()
            try:
                chunks = [(c.frame(TEXT if i == 0 else CONT, p, fin=i == len(parts) - 1), invalid)
                          for i, (p, invalid) in enumerate(parts)]
                return run_chunks(c, chunks)
            finally:
                c.shut()
        CASES.append((cid, desc, run))

    def run_chunks(c, chunks):
        invalid_at = None
        for data, invalid in chunks:
            c.send(data)
            if invalid:
                invalid_at = time.monotonic()
            c.pump(until=lambda: c.close_got, timeout=pause)
            if c.close_got:
                break
        c.pump(timeout=FAIL_WAIT)
        outcome, note = judge(c, [], None, (1007,), fail=True)
        closes = [e for e in c.events if e[0] == "close"]
        if outcome == FAILED:
            return outcome, note, [c]
        if closes and invalid_at is None:
            return FAILED, "failed before the invalid part was sent", [c]
        if closes and closes[0][3] - invalid_at > pause:
            return NON_STRICT, f"failed {closes[0][3] - invalid_at:.2f} s after the invalid part: not fail-fast", [c]
        return outcome, note, [c]

    framed("6.4.1", "fail-fast: 3 fragments, the 2nd is F4 90 80 80 (> U+10FFFF): fail on the 2nd",
           [(kosme, False), (b"\xf4\x90\x80\x80", True), (b"edited", False)])
    framed("6.4.2", "fail-fast: 3 fragments, 1st ends in F4, 2nd starts 90: fail on the 2nd",
           [(kosme + b"\xf4", False), (b"\x90\x80\x80", True), (b"edited", False)])

    def one_frame(cid, desc, cuts):
        payload = kosme + b"\xf4\x90\x80\x80" + b"edited"

        def real():
            c = Conn()
            try:
                whole = c.frame(TEXT, payload)
                hdr = len(whole) - len(payload)
                chunks, at = [], 0
                for cut, invalid in cuts:
                    chunks.append((whole[at:hdr + cut], invalid))
                    at = hdr + cut
                chunks.append((whole[at:], False))
                c.log.append(f"(written in parts ending at payload offsets {[cut for cut, _ in cuts]}, {pause} s apart)")
                return run_chunks(c, chunks)
            finally:
                c.shut()
        CASES.append((cid, desc, real))
    n = len(kosme)
    one_frame("6.4.3", "fail-fast: one frame written in 3 parts, the 2nd F4 90 80 80: fail before the 3rd",
              [(n, False), (n + 4, True)])
    one_frame("6.4.4", "fail-fast: one frame written in parts, F4 | 90: fail on the 90, before 80 80",
              [(n + 1, False), (n + 2, True)])


def group7():
    hw = b"Hello World"
    echo_case("7.1.1", "text, then close", lambda c: c.sendf(TEXT, hw), expect=[("text", hw)])

    def twice(c):
        c.close()
        c.close()
    echo_case("7.1.2", "close twice: the second is ignored", twice)

    def then(op, payload):
        def steps(c):
            c.close()
            c.sendf(op, payload)
        return steps
    echo_case("7.1.3", "close, then ping: no pong", then(PING, b"ping payload"))
    echo_case("7.1.4", "close, then text: no echo", then(TEXT, hw))

    def s715(c):
        c.sendf(TEXT, b"fragment1", fin=False)
        c.close()
        c.sendf(CONT, b"fragment2")
    echo_case("7.1.5", "text FIN=0, close, continuation: no echo", s715)
    big = b"BAsd7&jh23" * 26214 + b"BAsd"

    def s716(c):
        c.sendf(TEXT, big)
        c.sendf(PING, b"ping payload")
        c.close()
    echo_case("7.1.6", "256 KiB text, ping, close", s716, expect=[("text", big), ("pong", b"ping payload")],
              alt=lambda apps: apps in ([("text", big)], []))
    echo_case("7.3.1", "close with empty payload: answered without code or 1000",
              lambda c: c.close(payload=b""), close_ok=(None, 1000))
    echo_case("7.3.2", "close with a 1-byte payload: fail", lambda c: c.sendf(CLOSE, b"\x03"), fail=(1002,))
    echo_case("7.3.3", "close 1000 without reason", lambda c: c.close(1000))
    echo_case("7.3.4", "close 1000 with reason", lambda c: c.close(1000, b"Hello World!"))
    echo_case("7.3.5", "close 1000 with a 123-byte reason (125-byte payload)", lambda c: c.close(1000, b"*" * 123))
    echo_case("7.3.6", "close with a 126-byte payload: fail", lambda c: c.sendf(CLOSE, b"\x03\xe8" + b"*" * 124),
              fail=(1002,))
    bad = "κόσμε".encode() + b"\xed\xa0\x80" + b"edited"
    echo_case("7.5.1", "close 1000 with a reason that is not UTF-8: fail 1007",
              lambda c: c.close(1000, bad), fail=((1007,), (1002,)))
    for i, code in enumerate([1000, 1001, 1002, 1003, 1007, 1008, 1009, 1010, 1011, 3000, 3999, 4000, 4999], 1):
        echo_case(f"7.7.{i}", f"close with valid code {code}: echoed", lambda c, code=code: c.close(code),
                  close_ok=(code, 1000))
    for i, code in enumerate([1012, 1013, 1014], 1):
        echo_case(f"7.8.{i}", f"ours: close with IANA-registered code {code}: echoed",
                  lambda c, code=code: c.close(code), close_ok=(code, 1000), close_ns=(1002,))
    for i, code in enumerate([0, 999, 1004, 1005, 1006, 1016, 1100, 2000, 2999, 1015], 1):
        echo_case(f"7.9.{i}", f"close with invalid code {code}: fail" + (" (ours)" if i > 9 else ""),
                  lambda c, code=code: c.close(code), fail=(1002,))
    for i, code in enumerate([5000, 65535], 1):
        echo_case(f"7.13.{i}", f"close with code {code} (beyond the RFC's ranges): fail",
                  lambda c, code=code: c.close(code), fail=(1002,))


def text_payload(n, seed=0):
    words = b"lorem ipsum dolor sit amet consectetur adipiscing elit sed do eiusmod tempor incididunt ".split()
    out, i = bytearray(), seed
    while len(out) < n:
        out += words[(i * 7 + i // 3) % len(words)] + b" %d " % (i * 2654435761 % 1000)
        i += 1
    return bytes(out[:n])


def big_payload(n, binary):
    if binary:
        return (os.urandom(4096) * (n // 4096 + 1))[:n]
    return (b"0123456789abcdef*" * (n // 17 + 1))[:n]


def group9():
    k, m = 1024, 1024 * 1024
    for sub, binary in (("9.1", False), ("9.2", True)):
        kind = "binary" if binary else "text"
        for i, n in ((1, 64 * k), (3, m), (5, 8 * m), (6, 16 * m)):
            p = big_payload(n, binary)
            echo_case(f"{sub}.{i}", f"{kind} message of {n // k} KiB in one frame" + (" (= max_message)" if n == MAX_MESSAGE else ""),
                      lambda c, p=p, b=binary: (c.message(p, b), c.pump(until=c.apps, timeout=10)),
                      expect=[(kind, p)])
    for sub, binary in (("9.3", False), ("9.4", True)):
        kind = "binary" if binary else "text"
        p = big_payload(4 * m, binary)
        for i, f in ((1, 64), (4, 4 * k), (6, 64 * k), (8, m)):
            echo_case(f"{sub}.{i}", f"{kind} message of 4 MiB in {f}-byte fragments",
                      lambda c, p=p, b=binary, f=f: (c.message(p, b, frag=f), c.pump(until=c.apps, timeout=10)),
                      expect=[(kind, p)])
    for sub, binary in (("9.5", False), ("9.6", True)):
        kind = "binary" if binary else "text"
        p = big_payload(m, binary)
        for i, ch in ((1, 64), (6, 2048)):
            echo_case(f"{sub}.{i}", f"{kind} message of 1 MiB in one frame, written in {ch}-byte chops",
                      lambda c, p=p, b=binary, ch=ch: (c.message(p, b, chop=ch), c.pump(until=c.apps, timeout=10)),
                      expect=[(kind, p)])
    for sub, binary in (("9.7", False), ("9.8", True)):
        kind = "binary" if binary else "text"
        for i, n in ((1, 0), (3, 64), (6, 4096)):
            p = big_payload(n, binary)

            def steps(c, p=p, b=binary):
                for j in range(1000):
                    c.message(p, b) if j == 0 else c.send(frame(BINARY if b else TEXT, p))
                    c.pump(until=lambda: len(c.events) > j)
            echo_case(f"{sub}.{i}", f"1000 {kind} messages of {n} bytes, each after the last echo", steps,
                      expect=[(kind, p)] * 1000)
    over = big_payload(MAX_MESSAGE + 1, False)
    echo_case("9.9.1", "ours: text message of max_message + 1 bytes in one frame: fail 1009",
              lambda c: c.message(over), fail=(1009,))
    echo_case("9.9.2", "ours: binary message of max_message + 1 bytes in 64 KiB fragments: fail 1009",
              lambda c: c.message(over, True, frag=64 * k), fail=(1009,))


def group10():
    p = text_payload(65536)
    echo_case("10.1.1", "text of 65536 bytes in 1300-byte fragments", lambda c: c.message(p, frag=1300),
              expect=[("text", p)])
    echo_case("10.2.1", "ours: text frame masked wrongly for its sender (a client's unmasked, a server's "
              "masked): fail (RFC 6455 5.1)", lambda c: c.sendf(TEXT, b"Hello", wrong_mask=True), fail=(1002,))
    echo_case("10.2.2", "ours: close frame masked wrongly for its sender",
              lambda c: c.sendf(CLOSE, b"\x03\xe8", wrong_mask=True), fail=(1002,))
    echo_case("10.2.3", "ours: 5-byte text with a 16-bit length (not minimal, RFC 6455 5.2)",
              lambda c: c.sendf(TEXT, b"Hello", length=16), fail=((1002,), ()),
              expect=[], alt=[[("text", b"Hello")]])
    echo_case("10.2.4", "ours: 200-byte text with a 64-bit length (not minimal)",
              lambda c: c.sendf(TEXT, b"*" * 200, length=64), fail=((1002,), ()),
              expect=[], alt=[[("text", b"*" * 200)]])

    def msb(c):
        c.log.append("82 ff [key] with length 0x8000000000000005")
        c.send(b"\x82\xff" + struct.pack("!Q", (1 << 63) | 5) + b"\x00" * 4 + b"hello")
    echo_case("10.2.5", "ours: 64-bit length with the most significant bit set: fail", msb, fail=((1002, 1009), ()))
    echo_case("10.2.6", "ours: ping with a 16-bit length (control frame length must be 7 bits)",
              lambda c: c.sendf(PING, b"ping", length=16), fail=(1002,))


def pmd_roundtrips(count, size, binary, frag=None):
    def steps(c):
        if not c.pmd:
            c.violations.append(f"permessage-deflate not agreed: {c.extensions!r}")
            return
        for j in range(count):
            data = os.urandom(size) if binary else text_payload(size, j)
            c.expected.append(("binary" if binary else "text", data))
            c.message(data, binary, frag=frag)
            c.pump(until=lambda: len(c.apps()) > j)
    return steps


def pmd_case(cid, desc, offer, steps, must_agree=True, declined_ok=False):
    """Handshake offering `offer`; check the response (RFC 7692), then steps(c) with c.expected
    collecting what the echo must be."""
    def run():
        c = Conn(offer)
        c.expected = []
        try:
            if c.status != 101:
                return FAILED, f"handshake answered {c.status_line}", [c]
            if not c.pmd and not c.violations:
                if declined_ok:
                    c.log.append("(declined: messages sent uncompressed)")
                elif must_agree:
                    return FAILED, f"permessage-deflate was not agreed (response {c.extensions!r})", [c]
            if c.pmd or declined_ok:
                run_steps = steps
                if not c.pmd:
                    run_steps = plain_roundtrips
                run_steps(c)
            c.close()
            c.pump()
            outcome, note = judge(c, c.expected)
            agreed = f"agreed {c.extensions!r}" if c.pmd else "declined"
            return outcome, f"{agreed}; {note}" if note else agreed, [c]
        finally:
            c.shut()
    CASES.append((cid, desc, run))


def plain_roundtrips(c):
    for j, data in enumerate((b"Hello, world!", text_payload(5000))):
        c.expected.append(("text", data))
        c.message(data)
        c.pump(until=lambda: len(c.apps()) > j)


def long_range(n):
    """Text whose repeats are ~3 KiB apart: a window of 2^9..2^11 cannot refer back to them."""
    block = text_payload(3000, 7)
    return ((block + b"|") * (n // 3001 + 1))[:n]


def long_range_roundtrips(c):
    """3 messages whose repeats are farther apart than windows of 2^9..2^11 reach: an endpoint
    that compresses with a larger window than agreed sends what does not inflate."""
    for j in range(3):
        data = long_range(20000 + j)
        c.expected.append(("text", data))
        c.message(data)
        c.pump(until=lambda: len(c.apps()) > j)


def group12(offer="permessage-deflate; client_max_window_bits"):
    """`offer`: what the client offers (here), or what the server answers (in the mirror)."""
    sizes = [16, 64, 256, 1024, 4096, 8192, 16384, 32768, 65536, 131072]
    for i, n in enumerate(sizes, 1):
        pmd_case(f"12.1.{i}", f"10 compressed text messages of {n} bytes", offer, pmd_roundtrips(10, n, False))
    for i, n in enumerate(sizes, 1):
        pmd_case(f"12.2.{i}", f"10 compressed binary messages of {n} random bytes", offer, pmd_roundtrips(10, n, True))
    for i, n in enumerate(sizes, 1):
        pmd_case(f"12.4.{i}", f"10 compressed text messages of {n} bytes in 256-byte fragments", offer,
                 pmd_roundtrips(10, n, False, frag=256))
    for i, n in enumerate(sizes, 1):
        pmd_case(f"12.5.{i}", f"10 compressed binary messages of {n} bytes in 256-byte fragments", offer,
                 pmd_roundtrips(10, n, True, frag=256))
    group12_errors(offer)


def group12_errors(offer):
    """12.6.x, ours: protocol errors with permessage-deflate agreed."""
    def fails(cid, desc, steps, codes, ns=()):
        def run():
            c = Conn(offer)
            try:
                if not c.pmd:
                    return FAILED, f"permessage-deflate not agreed: {c.extensions!r}", [c]
                steps(c)
                c.pump(timeout=FAIL_WAIT)
                return (*judge(c, [], None, codes, ns, fail=True), [c])
            finally:
                c.shut()
        CASES.append((cid, desc, run))
    bad = "κόσμε".encode() + b"\xed\xa0\x80edited"
    fails("12.6.1", "ours: compressed text that inflates to invalid UTF-8: fail 1007", lambda c: c.message(bad), (1007,))
    fails("12.6.2", "ours: compressed text, invalid UTF-8, in 4-byte fragments: fail 1007",
          lambda c: c.message(bad * 20, frag=4), (1007,))

    def rsv_cont(c):
        p = c.deflater.compress(b"Hello, world! Hello, world!")
        c.send(c.frame(TEXT, p[:4], fin=False, rsv=4) + c.frame(CONT, p[4:], rsv=4))
    fails("12.6.3", "ours: RSV1 on a continuation frame: fail", rsv_cont, (1002,))
    fails("12.6.4", "ours: RSV1 on a ping: fail", lambda c: c.sendf(PING, b"ping", rsv=4), (1002,))
    fails("12.6.5", "ours: compressed payload that is not DEFLATE data: fail",
          lambda c: c.sendf(TEXT, b"\xff\xff\xff\xff\xff\xff", rsv=4), (1002, 1007), (1011,))
    zeros = MAX_MESSAGE + 1

    def bomb(c):
        z = zlib.compressobj(9, zlib.DEFLATED, -15)
        p = z.compress(b"\x00" * zeros) + z.flush(zlib.Z_SYNC_FLUSH)
        c.log.append(f"binary frame, RSV1, {len(p)} bytes inflating to {zeros}")
        c.send(frame(BINARY, p[:-4], rsv=4))
    fails("12.6.6", "ours: a compressed binary message inflating to max_message + 1: fail 1009", bomb, (1009,))

    def exact(c):
        data = b"\x00" * MAX_MESSAGE
        c.expected.append(("binary", data))
        c.message(data, True)
        c.pump(until=c.apps, timeout=10)
    pmd_case("12.6.7", "ours: a compressed binary message inflating to exactly max_message: echoed", offer, exact)


def group13():
    base = "permessage-deflate; client_max_window_bits"
    offers = {
        "13.1": (base, True), "13.2": (base + "; server_no_context_takeover", True),
        "13.3": (base + "; server_max_window_bits=8", False),
        "13.4": (base + "; server_max_window_bits=15", True),
        "13.5": (base + "; server_no_context_takeover; server_max_window_bits=8", False),
        "13.6": (base + "; server_no_context_takeover; server_max_window_bits=15", True),
        "13.7": (f"{base}; server_no_context_takeover; server_max_window_bits=8, "
                 f"{base}; server_no_context_takeover, {base}", True),
    }
    for sub, (offer, must) in offers.items():
        i = 0
        for frag in (None, 256):
            for n in (64, 4096, 131072):
                i += 1
                pmd_case(f"{sub}.{i}", f"offer {offer!r}: 10 text messages of {n} bytes"
                         + (" in 256-byte fragments" if frag else "") + ("" if must else " (declining is fine)"),
                         offer, pmd_roundtrips(10, n, False, frag), must_agree=must, declined_ok=not must)
    # Ours: each window size, with repeats farther apart than the small windows reach.
    for i, bits in enumerate(range(9, 16), 1):
        offer = f"permessage-deflate; server_max_window_bits={bits}"
        pmd_case(f"13.8.{i}", f"ours: offer server_max_window_bits={bits}: answer <= {bits}, the server's "
                 "messages inflate with that window", offer, long_range_roundtrips)
    for i, bits in enumerate(range(9, 16), 1):
        offer = f"permessage-deflate; client_max_window_bits={bits}"
        pmd_case(f"13.9.{i}", f"ours: offer client_max_window_bits={bits}", offer, pmd_roundtrips(5, 20000, False))
    pmd_case("13.10.1", "ours: offer client_no_context_takeover", "permessage-deflate; client_no_context_takeover",
             pmd_roundtrips(5, 4096, False))
    pmd_case("13.10.2", "ours: offer all four parameters",
             "permessage-deflate; client_no_context_takeover; server_no_context_takeover; "
             "client_max_window_bits=10; server_max_window_bits=10", pmd_roundtrips(5, 20000, False))
    pmd_case("13.10.3", "ours: offer with quoted values (RFC 7692 7.1: allowed)",
             'permessage-deflate; client_max_window_bits="10"; server_max_window_bits="10"',
             pmd_roundtrips(5, 20000, False), must_agree=False, declined_ok=True)
    pmd_case("13.10.4", "ours: offer server_max_window_bits=8 then a plain offer: the plain one is taken",
             "permessage-deflate; server_max_window_bits=8, permessage-deflate", pmd_roundtrips(5, 4096, False))
    # Offers a server must decline (RFC 7692 5 and 7.1): answered without permessage-deflate.
    invalid = ["permessage-deflate; foo", "permessage-deflate; foo=1", "permessage-deflate; server_max_window_bits=16",
               "permessage-deflate; server_max_window_bits=7", "permessage-deflate; server_max_window_bits=0",
               "permessage-deflate; server_max_window_bits=010", "permessage-deflate; server_max_window_bits",
               "permessage-deflate; client_max_window_bits=16", "permessage-deflate; client_max_window_bits=7",
               "permessage-deflate; server_no_context_takeover; server_no_context_takeover",
               "permessage-deflate; server_no_context_takeover=1", "permessage-deflate; client_no_context_takeover=1",
               "permessage-deflate; server_max_window_bits=10; server_max_window_bits=12",
               "permessage-deflate; client_max_window_bits; client_max_window_bits=12"]
    for i, offer in enumerate(invalid, 1):
        def run(offer=offer):
            c = Conn(offer, check_pmd=True)
            c.expected = []
            try:
                if c.status != 101:
                    return NON_STRICT, f"handshake refused ({c.status_line}) instead of declining the offer", [c]
                if c.extensions:
                    c.violations.append(f"accepted an offer it must decline: {c.extensions!r}")
                    # keep talking compressed as agreed, to see what follows
                plain_roundtrips(c) if not c.pmd else pmd_roundtrips(2, 4096, False)(c)
                c.close()
                c.pump()
                return (*judge(c, c.expected), [c])
            finally:
                c.shut()
        CASES.append((f"13.11.{i}", f"ours: invalid offer {offer!r}: declined", run))
    for i, offer in enumerate(["permessage-deflate; foo, permessage-deflate; server_no_context_takeover",
                               "permessage-deflate; server_max_window_bits=16, "
                               "permessage-deflate; server_max_window_bits=10",
                               "permessage-deflate; server_no_context_takeover, permessage-deflate; foo"], 16):
        pmd_case(f"13.11.{i}", f"ours: offer {offer!r}: the invalid one is declined, the other may be taken", offer,
                 pmd_roundtrips(3, 20000, False), must_agree=False, declined_ok=True)
    unknown = "x-webkit-deflate-frame, permessage-deflate"
    pmd_case("13.11.15", f"ours: offer {unknown!r}: the unknown extension is ignored", unknown,
             pmd_roundtrips(3, 4096, False))


def start_server():
    proc = subprocess.Popen([os.path.join(SAMPLES, "async_primer"), "--port", "0", "--quiet"],
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    line = proc.stdout.readline()  # "Serving on http://127.0.0.1:PORT/ (1 thread)"
    if "Serving on" not in line:
        proc.kill()
        raise SystemExit(f"async_primer did not start: {line!r}")
    return proc, int(line.split(":")[2].split("/")[0])


def selected():
    """The registered cases that the command line asks for."""
    return [c for c in CASES if not ONLY or any(c[0] == p or c[0].startswith(p + ".") for p in ONLY)]


def run_cases(cases, peer, name):
    """Runs each case in turn while the peer process lives: [(id, desc, outcome, note, conns, s)]."""
    results = []
    for cid, desc, run in cases:
        started = time.monotonic()
        try:
            outcome, note, conns = run()
        except Exception as e:  # noqa: BLE001 — a case that broke is a FAILED case
            outcome, note, conns = FAILED, f"{type(e).__name__}: {e}", []
        results.append((cid, desc, outcome, note, conns, time.monotonic() - started))
        if peer.poll() is not None:
            results.append((name, name, FAILED, f"exited with {peer.returncode}", [], 0))
            break
    return results


def output_of(proc):
    """Stops the process (if it still runs) and returns what it printed."""
    if proc.poll() is None:
        proc.terminate()
    try:
        out, _ = proc.communicate(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()
        out, _ = proc.communicate()
    return out


def main():
    global PORT
    for g in (group1, group2, group3, group4, group5, group6, group7, group9, group10, group12, group13):
        g()
    server, PORT = start_server()
    t0 = time.monotonic()
    try:
        results = run_cases(selected(), server, "async_primer")
    finally:
        out = output_of(server)
    report(results, time.monotonic() - t0, "async_primer", out)
    bad = [r for r in results if r[2] == FAILED and r[0] not in JUSTIFIED]
    return 1 if bad else 0


def report(results, elapsed, peer_name, peer_output, justified=None):
    justified = JUSTIFIED if justified is None else justified
    groups = {}
    for cid, _, outcome, *_ in results:
        g = groups.setdefault(cid.split(".")[0], {OK: 0, NON_STRICT: 0, FAILED: 0})
        g[outcome] += 1
    print(f"{'group':<8}{'cases':>6}{'passed':>8}{'non-strict':>12}{'failed':>8}")
    total = {OK: 0, NON_STRICT: 0, FAILED: 0}
    for g, counts in groups.items():
        for k in total:
            total[k] += counts[k]
        print(f"{g:<8}{sum(counts.values()):>6}{counts[OK]:>8}{counts[NON_STRICT]:>12}{counts[FAILED]:>8}")
    print(f"{'all':<8}{sum(total.values()):>6}{total[OK]:>8}{total[NON_STRICT]:>12}{total[FAILED]:>8}"
          f"   ({elapsed:.1f} s)")
    for cid, desc, outcome, note, conns, took in results:
        if outcome == OK and not VERBOSE:
            continue
        tag = outcome + (" (justified: " + justified[cid] + ")" if cid in justified else "")
        print(f"\n{tag} {cid}: {desc}\n  {note}")
        if outcome == FAILED or VERBOSE:
            for c in conns:
                print("  sent:     " + "\n            ".join(c.log[:12]) + ("\n            ..." if len(c.log) > 12 else ""))
                print(f"  response: {c.status_line}" + (f"; Sec-WebSocket-Extensions: {c.extensions}" if c.extensions else ""))
                print(f"  got:      {describe(c.events)[:600]}")
    if peer_output.strip():
        print(f"\n{peer_name} said:\n" + peer_output[-2000:])


if __name__ == "__main__":
    sys.exit(main())
