"""Finds the handler function named by a Lambda handler string ("module.function", "dir/module.function")."""

import importlib
import sys

from .errors import (
    BUILT_IN_MODULE_CONFLICT,
    HANDLER_NOT_FOUND,
    IMPORT_MODULE_ERROR,
    MALFORMED_HANDLER_NAME,
    USER_CODE_SYNTAX_ERROR,
    FaultException,
)


def load(handler):
    """Imports the module; returns the function, or one raising HandlerNotFound at invoke time (as AWS does)."""
    try:
        modname, fname = handler.rsplit(".", 1)
    except ValueError as e:
        raise FaultException(MALFORMED_HANDLER_NAME, "Bad handler '%s': %s" % (handler, e))
    if modname.split(".")[0] in sys.builtin_module_names:
        raise FaultException(BUILT_IN_MODULE_CONFLICT, "Cannot use built-in module %s as a handler module" % modname)
    try:
        module = importlib.import_module(modname.replace("/", "."))
    except ImportError as e:
        raise FaultException(IMPORT_MODULE_ERROR, "Unable to import module '%s': %s" % (modname, e))
    except SyntaxError as e:
        trace = ['  File "%s" Line %s\n    %s' % (e.filename, e.lineno, (e.text or "").strip("\n"))]
        raise FaultException(USER_CODE_SYNTAX_ERROR, "Syntax error in module '%s': %s" % (modname, e), trace)
    fn = getattr(module, fname, None)
    if fn is None:
        fault = FaultException(HANDLER_NOT_FOUND, "Handler '%s' missing on module '%s'" % (fname, modname), [])

        def missing(event, context):
            raise fault

        return missing
    return fn
