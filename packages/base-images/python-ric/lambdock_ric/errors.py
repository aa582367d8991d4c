"""Lambda's error names and the error document sent to the Runtime API."""

import traceback

MALFORMED_HANDLER_NAME = "Runtime.MalformedHandlerName"
IMPORT_MODULE_ERROR = "Runtime.ImportModuleError"
USER_CODE_SYNTAX_ERROR = "Runtime.UserCodeSyntaxError"
HANDLER_NOT_FOUND = "Runtime.HandlerNotFound"
BUILT_IN_MODULE_CONFLICT = "Runtime.BuiltInModuleConflict"
MARSHAL_ERROR = "Runtime.MarshalError"
UNMARSHAL_ERROR = "Runtime.UnmarshalError"


class FaultException(Exception):
    """A failure of the runtime's own contract (bad handler, import failure...), not of user code."""

    def __init__(self, error_type, message, trace=None):
        super().__init__(message)
        self.error_type = error_type
        self.message = message
        self.trace = trace


def _user_frames(tb):
    frames = traceback.extract_tb(tb)
    # Drop the runtime's own frames above the user's code.
    for i, frame in enumerate(frames):
        if "/lambdock_ric/" not in frame.filename:
            return frames[i:]
    return []


def from_exception(exc, request_id=None):
    if isinstance(exc, FaultException):
        doc = {"errorMessage": exc.message, "errorType": exc.error_type, "requestId": request_id or "", "stackTrace": exc.trace or []}
    else:
        doc = {
            "errorMessage": str(exc),
            "errorType": type(exc).__name__,
            "requestId": request_id or "",
            "stackTrace": traceback.format_list(_user_frames(exc.__traceback__)),
        }
    if request_id is None:
        del doc["requestId"]
    return doc


def header_for(error_type):
    """The Lambda-Runtime-Function-Error-Type header: Runtime.* as is, user exceptions as Function.<Name>."""
    if error_type.startswith("Runtime.") or error_type.startswith("Function."):
        return error_type
    return "Function." + "".join(c for c in error_type if c.isalnum() or c == "_")
