"""A small client for the Lambda Runtime API (one keep-alive HTTP connection)."""

import http.client
import json

API_VERSION = "2018-06-01"


class RuntimeApiError(Exception):
    """The Runtime API answered with something other than success."""

    def __init__(self, status, body):
        super().__init__("Runtime API returned %s: %s" % (status, body[:200]))
        self.status = status
        self.body = body


class Invocation:
    __slots__ = ("request_id", "deadline_ms", "invoked_function_arn", "trace_id", "client_context", "cognito_identity", "content_type", "body")

    def __init__(self, headers, body):
        self.request_id = headers.get("Lambda-Runtime-Aws-Request-Id", "")
        deadline = headers.get("Lambda-Runtime-Deadline-Ms")
        self.deadline_ms = int(deadline) if deadline and deadline.isdigit() else 0
        self.invoked_function_arn = headers.get("Lambda-Runtime-Invoked-Function-Arn", "")
        self.trace_id = headers.get("Lambda-Runtime-Trace-Id")
        self.client_context = headers.get("Lambda-Runtime-Client-Context")
        self.cognito_identity = headers.get("Lambda-Runtime-Cognito-Identity")
        self.content_type = headers.get("Content-Type", "application/json")
        self.body = body


class RuntimeApiClient:
    def __init__(self, address):
        host, _, port = address.rpartition(":")
        if not host:
            host, port = address, "80"
        self._host = host.strip("[]")
        self._port = int(port)
        self._conn = None

    def _request(self, method, path, body=None, headers=None):
        # One retry on a dropped keep-alive connection; the API is local and stateless per call.
        for attempt in (0, 1):
            if self._conn is None:
                self._conn = http.client.HTTPConnection(self._host, self._port)
            try:
                self._conn.request(method, path, body=body, headers=headers or {})
                resp = self._conn.getresponse()
                data = resp.read()
                return resp.status, resp.headers, data
            except (ConnectionError, http.client.HTTPException, OSError):
                self._conn.close()
                self._conn = None
                if attempt == 1:
                    raise
        raise AssertionError("unreachable")

    def next(self):
        status, headers, body = self._request("GET", "/%s/runtime/invocation/next" % API_VERSION)
        if status != 200:
            raise RuntimeApiError(status, body.decode("utf-8", "replace"))
        return Invocation(headers, body)

    def post_response(self, request_id, body, content_type="application/json"):
        self._post("/%s/runtime/invocation/%s/response" % (API_VERSION, request_id), body, {"Content-Type": content_type})

    def post_error(self, request_id, error, error_type_header):
        self._post(
            "/%s/runtime/invocation/%s/error" % (API_VERSION, request_id),
            json.dumps(error).encode("utf-8"),
            {"Content-Type": "application/json", "Lambda-Runtime-Function-Error-Type": error_type_header},
        )

    def post_init_error(self, error, error_type_header):
        self._post(
            "/%s/runtime/init/error" % API_VERSION,
            json.dumps(error).encode("utf-8"),
            {"Content-Type": "application/json", "Lambda-Runtime-Function-Error-Type": error_type_header},
        )

    def _post(self, path, body, headers):
        status, _, data = self._request("POST", path, body=body, headers=headers)
        if status >= 300:
            raise RuntimeApiError(status, data.decode("utf-8", "replace"))
