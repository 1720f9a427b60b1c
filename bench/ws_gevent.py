# gevent-websocket peer for bench/ws_bench.py: echo on /echo (python3-gevent-websocket).
from gevent import monkey; monkey.patch_all()
import sys
from gevent.pywsgi import WSGIServer
from geventwebsocket import WebSocketError
from geventwebsocket.handler import WebSocketHandler


def app(environ, start_response):
    ws = environ.get("wsgi.websocket")
    if ws is None:
        start_response("400 Bad Request", [("Content-Type", "text/plain")])
        return [b"Expected WebSocket request."]
    try:
        while True:
            message = ws.receive()
            if message is None:
                break
            ws.send(message, binary=isinstance(message, (bytes, bytearray)))
    except WebSocketError:
        pass
    return []


WSGIServer(("127.0.0.1", int(sys.argv[1])), app, handler_class=WebSocketHandler, log=None).serve_forever()
