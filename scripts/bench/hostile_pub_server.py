#!/usr/bin/env python3
"""A hostile Earthstar pub for scripts/bench/hostile_pub.sh (standard library only).

  hostile_pub_server.py --workspace WS --count N --events FILE [--lifetime S]

Binds 127.0.0.1 on a free port, prints "port P" on stdout once listening,
and exits by itself after --lifetime seconds (default 300).

  GET  /earthstar-api/v1/WS/documents  a JSON array of N junk elements (every
                                       request; the body is built once)
  POST /earthstar-api/v1/WS/documents  accepts nothing: numIngested 0
  GET  /earthstar-api/v1/WS/stream     an event stream of KEEPALIVEs only
  anything else                        404

The junk rotates through sixteen slots of eight kinds, so that the syncer's per-reason counts
all get used: non-objects (numbers, strings, null, arrays), objects missing
fields, es.4 documents with well-formed keys and a wrong signature, documents
of another workspace, and paths that try to leave the workspace ("..", ".",
"//"), one with a terminal escape in it.

Each listing request appends lines to --events: "<unix time> documents-start"
and "<unix time> documents-end <bytes sent> <ok|cut>".
"""

import argparse
import http.server
import os
import random
import sys
import threading
import time

B32 = "abcdefghijklmnopqrstuvwxyz234567"


def b32(rng, n):
    return "".join(rng.choice(B32) for _ in range(n))


def junk_templates(workspace):
    """Sixteen element makers (i -> one JSON element, as text)."""
    rng = random.Random(15)
    author = "@suzy.b" + b32(rng, 52)
    sig = "b" + b32(rng, 103)
    chash = "b" + b32(rng, 52)

    def doc(ws, path, i):
        return ('{"format":"es.4","workspace":"%s","path":"%s","contentHash":"%s",'
                '"content":"junk %d","author":"%s","timestamp":1700000000000000,'
                '"deleteAfter":null,"signature":"%s"}' % (ws, path, chash, i, author, sig))

    small = [
        lambda i: str(i),                                     # a number
        lambda i: '"junk %d"' % i,                            # a string
        lambda i: 'null' if i % 2 else '["not","a",%d]' % i,  # null / an array
        lambda i: '{"junk":%d}' % i,                          # an object, no fields
        lambda i: '{"format":"es.4","path":"/x%d.txt"}' % i,  # missing fields
    ]
    traversal = ["/../../etc/passwd%d", "/a/./b%d", "//twice%d", "/esc/\\u001b[31mred%d"]
    full = [
        lambda i: doc(workspace, "/bad-sig/%d.txt" % i, i),   # wrong signature
        lambda i: doc("+other.ws", "/other/%d.txt" % i, i),   # another workspace
        lambda i: doc(workspace, traversal[(i // 16) % 4] % i, i),  # leaves the workspace
    ]
    # 13 small elements, then the 3 full documents: ~95 bytes an element.
    return small + small + small[:3] + full


def build_listing(workspace, count):
    makers = junk_templates(workspace)
    parts = [makers[i % len(makers)](i) for i in range(count)]
    return ("[" + ",".join(parts) + "]").encode()


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "hostile-pub/1"
    listing = b"[]"
    prefix = ""
    events = None

    def log_message(self, *args):
        pass

    def note(self, text):
        with open(self.events, "a") as f:
            f.write("%.6f %s\n" % (time.time(), text))

    def do_GET(self):
        if self.path == self.prefix + "/documents":
            self.send_listing()
        elif self.path == self.prefix + "/stream":
            self.send_stream()
        else:
            self.send_error(404)

    def do_POST(self):
        length = int(self.headers.get("Content-Length", "0"))
        self.rfile.read(length)
        body = b'{"numIngested":0,"numIgnored":0,"numTotal":0}'
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def send_listing(self):
        self.note("documents-start")
        body = Handler.listing
        sent, result = 0, "ok"
        try:
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            view = memoryview(body)
            while sent < len(body):
                self.wfile.write(view[sent:sent + (1 << 20)])
                sent = min(len(body), sent + (1 << 20))
        except OSError:
            result = "cut"
            self.close_connection = True
        self.note("documents-end %d %s" % (sent, result))

    def send_stream(self):
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.send_header("Cache-Control", "no-cache")
        self.end_headers()
        self.close_connection = True
        try:
            while True:
                self.wfile.write(b"data: KEEPALIVE\n\n")
                self.wfile.flush()
                time.sleep(5)
        except OSError:
            pass


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--workspace", required=True)
    ap.add_argument("--count", type=int, default=1000000)
    ap.add_argument("--events", required=True)
    ap.add_argument("--lifetime", type=float, default=300)
    args = ap.parse_args()

    t0 = time.time()
    Handler.listing = build_listing(args.workspace, args.count)
    Handler.prefix = "/earthstar-api/v1/" + args.workspace
    Handler.events = args.events
    with open(args.events, "a") as f:
        f.write("%.6f built %d elements %d bytes in %.1f s\n"
                % (time.time(), args.count, len(Handler.listing), time.time() - t0))

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    # Stops by itself, whatever the caller does.
    threading.Timer(args.lifetime, lambda: os._exit(0)).start()
    print("port %d" % server.server_address[1], flush=True)
    server.serve_forever()


if __name__ == "__main__":
    sys.exit(main())
