#!/bin/sh
# Starts Lambdock's Python runtime interface client. -u: print() reaches the log at
# once, as in Lambda; -E is not used so a user's PYTHON* variables still apply.
export PYTHONPATH="${LAMBDA_RUNTIME_DIR:-/var/runtime}${PYTHONPATH:+:$PYTHONPATH}"
exec /usr/bin/python3.11 -u -m lambdock_ric "$@"
