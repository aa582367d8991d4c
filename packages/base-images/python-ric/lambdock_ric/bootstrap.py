"""The runtime loop: init (logging, handler), then next -> handle -> response|error, forever."""

import decimal
import json
import os
import sys

from . import errors, handler as handler_mod, logs
from .context import LambdaContext
from .runtime_api import RuntimeApiClient


class _Encoder(json.JSONEncoder):
    # AWS's runtime serialises Decimal (what boto3's DynamoDB returns) as a number.
    def default(self, o):
        if isinstance(o, decimal.Decimal):
            return int(o) if o == o.to_integral_value() else float(o)
        return super().default(o)


def to_json(result):
    return json.dumps(result, cls=_Encoder)


def handle(client, fn, invocation):
    logs.set_request_id(invocation.request_id)
    if invocation.trace_id:
        os.environ["_X_AMZN_TRACE_ID"] = invocation.trace_id
    else:
        os.environ.pop("_X_AMZN_TRACE_ID", None)
    try:
        try:
            event = json.loads(invocation.body) if invocation.body else {}
        except ValueError as e:
            raise errors.FaultException(errors.UNMARSHAL_ERROR, "Unable to unmarshal input: %s" % e, [])
        result = fn(event, LambdaContext(invocation))
        try:
            body = to_json(result)
        except (TypeError, ValueError) as e:
            raise errors.FaultException(errors.MARSHAL_ERROR, "Unable to marshal response: %s" % e, [])
        client.post_response(invocation.request_id, body.encode("utf-8"))
    except Exception as e:  # user code failed: report it, stay alive for the next event
        doc = errors.from_exception(e, invocation.request_id)
        logs.log_error(doc)
        client.post_error(invocation.request_id, doc, errors.header_for(doc["errorType"]))
    finally:
        logs.set_request_id(None)


# Where Lambda's Python runtime looks for code besides the task root (layers unpack under /opt).
OPT_PATHS = ("/opt/python/lib/python%d.%d/site-packages" % sys.version_info[:2], "/opt/python")


def init(client, handler_name, task_root):
    for i, path in enumerate((task_root,) + OPT_PATHS):
        if path not in sys.path:
            sys.path.insert(i, path)
    try:
        return handler_mod.load(handler_name)
    except Exception as e:
        doc = errors.from_exception(e, "")
        logs.log_error(doc)
        client.post_init_error(doc, errors.header_for(doc["errorType"]))
        return None


def run(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    handler_name = argv[0] if argv else os.environ.get("_HANDLER", "")
    task_root = os.environ.get("LAMBDA_TASK_ROOT") or os.getcwd()
    address = os.environ.get("AWS_LAMBDA_RUNTIME_API")
    if not address:
        sys.stderr.write("lambdock_ric: AWS_LAMBDA_RUNTIME_API is not set (run under Lambda, Lambdock or aws-lambda-rie)\n")
        return 2
    logs.setup()
    client = RuntimeApiClient(address)
    fn = init(client, handler_name, task_root)
    if fn is None:
        return 1
    while True:
        handle(client, fn, client.next())
