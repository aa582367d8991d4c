"""A fake Lambda Runtime API for tests: hands out queued events, records what the runtime posts."""

import json
import queue
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class FakeRuntimeApi:
    def __init__(self):
        self.events = queue.Queue()
        self.results = queue.Queue()  # ("response"|"error"|"init_error", request_id, headers, body)
        api = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):
                pass

            def _reply(self, status, body=b'{"status":"OK"}', headers=None):
                self.send_response(status)
                for k, v in (headers or {}).items():
                    self.send_header(k, v)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def do_GET(self):
                if self.path != "/2018-06-01/runtime/invocation/next":
                    return self._reply(404, b"{}")
                request_id, body, headers = api.events.get()
                h = {"Lambda-Runtime-Aws-Request-Id": request_id, "Lambda-Runtime-Deadline-Ms": str(headers.pop("deadline", 0)), "Lambda-Runtime-Invoked-Function-Arn": "arn:aws:lambda:us-east-1:123456789012:function:test"}
                h.update(headers)
                self._reply(200, body, h)

            def do_POST(self):
                length = int(self.headers.get("Content-Length", "0"))
                body = self.rfile.read(length)
                parts = self.path.split("/")
                if self.path == "/2018-06-01/runtime/init/error":
                    api.results.put(("init_error", None, dict(self.headers), body))
                elif len(parts) == 6 and parts[5] in ("response", "error"):
                    api.results.put((parts[5], parts[4], dict(self.headers), body))
                else:
                    return self._reply(404, b"{}")
                self._reply(202)

        class Server(ThreadingHTTPServer):
            daemon_threads = True
            block_on_close = False  # a runtime blocked in /next must not hold the test up

            def handle_error(self, request, client_address):
                pass  # the runtime process is killed at the end of each test: resets are expected

        self.server = Server(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
        self.thread.start()

    @property
    def address(self):
        return "127.0.0.1:%d" % self.server.server_address[1]

    def invoke(self, request_id, event, **headers):
        body = event if isinstance(event, bytes) else json.dumps(event).encode()
        self.events.put((request_id, body, headers))

    def result(self, timeout=10):
        kind, rid, headers, body = self.results.get(timeout=timeout)
        return kind, rid, headers, json.loads(body) if body else None

    def close(self):
        self.server.shutdown()
        self.server.server_close()
