# gevent pywsgi + Bottle peer for bench/http_bench.py: GET /hello -> "Hello, World!".
from gevent import monkey; monkey.patch_all()
import sys
from bottle import Bottle, response
from gevent.pywsgi import WSGIServer

app = Bottle()


@app.route('/hello')
def hello():
    response.content_type = 'text/plain'
    return 'Hello, World!'


WSGIServer(('127.0.0.1', int(sys.argv[1])), app, log=None).serve_forever()
