"""Log lines as AWS's Python runtime writes them.

Text (default):  [LEVEL]\t2024-01-01T00:00:00.000Z\t<request id>\tmessage   (newlines become \r
so one record stays one log event). JSON (AWS_LAMBDA_LOG_FORMAT=JSON): one object per line
with timestamp, level, message, logger, requestId (+ errorType/errorMessage/stackTrace).
print() is never rewritten: it passes through as the user wrote it.
"""

import json
import logging
import os
import sys
import time
import traceback

_request_id = None

LEVELS = {"TRACE": 5, "DEBUG": logging.DEBUG, "INFO": logging.INFO, "WARN": logging.WARNING, "WARNING": logging.WARNING, "ERROR": logging.ERROR, "FATAL": logging.CRITICAL, "CRITICAL": logging.CRITICAL}


def set_request_id(request_id):
    global _request_id
    _request_id = request_id


def request_id():
    return _request_id


def json_format():
    return os.environ.get("AWS_LAMBDA_LOG_FORMAT", "").upper() == "JSON"


def write_line(text):
    out = sys.stdout
    out.write(text.replace("\n", "\r") + "\n")
    out.flush()


def _timestamp(created):
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(created)) + ".%03dZ" % int((created % 1) * 1000)


class _RequestIdFilter(logging.Filter):
    def filter(self, record):
        record.aws_request_id = _request_id
        return True


class TextFormatter(logging.Formatter):
    def __init__(self):
        super().__init__("[%(levelname)s]\t%(asctime)s.%(msecs)03dZ\t%(aws_request_id)s\t%(message)s", "%Y-%m-%dT%H:%M:%S")
        self.converter = time.gmtime


_RESERVED = set(vars(logging.makeLogRecord({})).keys()) | {"aws_request_id", "message", "asctime"}


class JsonFormatter(logging.Formatter):
    def format(self, record):
        out = {
            "timestamp": _timestamp(record.created),
            "level": record.levelname,
            "message": record.getMessage() if not isinstance(record.msg, dict) else record.msg,
            "logger": record.name,
            "requestId": getattr(record, "aws_request_id", None),
        }
        if record.exc_info and record.exc_info[0] is not None:
            etype, evalue, tb = record.exc_info
            out["errorType"] = etype.__name__
            out["errorMessage"] = str(evalue)
            out["stackTrace"] = traceback.format_tb(tb)
        out["location"] = "%s:%s:%s" % (record.pathname, record.funcName, record.lineno)
        for k, v in vars(record).items():
            if k not in _RESERVED and k not in out:
                out[k] = v
        if out["requestId"] is None:
            del out["requestId"]
        return json.dumps(out, default=str)


class LambdaLoggerHandler(logging.Handler):
    def emit(self, record):
        try:
            write_line(self.format(record))
        except Exception:  # logging must never break the function
            self.handleError(record)


def setup():
    """Installs the Lambda handler on the root logger (as AWS's runtime does before loading user code)."""
    root = logging.getLogger()
    handler = LambdaLoggerHandler()
    handler.addFilter(_RequestIdFilter())
    if json_format():
        handler.setFormatter(JsonFormatter())
        root.setLevel(LEVELS.get(os.environ.get("AWS_LAMBDA_LOG_LEVEL", "INFO").upper(), logging.INFO))
    else:
        handler.setFormatter(TextFormatter())
        level = os.environ.get("AWS_LAMBDA_LOG_LEVEL")
        if level and level.upper() in LEVELS:
            root.setLevel(LEVELS[level.upper()])
    root.addHandler(handler)
    logging.addLevelName(5, "TRACE")


def log_error(error):
    """An invoke or init failure, as the runtime prints it before reporting it."""
    if json_format():
        record = {
            "timestamp": _timestamp(time.time()),
            "log_level": "ERROR",
            "errorMessage": error.get("errorMessage"),
            "errorType": error.get("errorType"),
            "stackTrace": error.get("stackTrace", []),
        }
        if _request_id:
            record["requestId"] = _request_id
        write_line(json.dumps(record, default=str))
        return
    desc = "[ERROR]"
    if error.get("errorType"):
        desc += " " + error["errorType"]
    if error.get("errorMessage"):
        desc += (":" if error.get("errorType") else "") + " " + str(error["errorMessage"])
    lines = [desc]
    trace = error.get("stackTrace")
    if trace is not None:
        lines.append("Traceback (most recent call last):")
        for element in trace:
            lines.extend(element.splitlines() if element else [""])
    write_line("\n".join(lines))
