"""Lambdock's Python runtime interface client (standard library only).

Runs inside the python base image as /var/runtime/bootstrap: loads the handler named by
_HANDLER from LAMBDA_TASK_ROOT, then takes invocations from the Lambda Runtime API at
AWS_LAMBDA_RUNTIME_API until the process is stopped. Behaviour (error names and messages,
log line formats, the context object) follows AWS's Python runtime so functions and log
tooling written for Lambda work unchanged.
"""

__version__ = "1.0.0"
