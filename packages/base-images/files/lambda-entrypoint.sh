#!/bin/sh
# Lambdock base image entrypoint (the same contract as AWS's /lambda-entrypoint.sh).
# The image's CMD is the handler. Inside Lambda (or Lambdock) the platform sets
# AWS_LAMBDA_RUNTIME_API and the runtime's bootstrap talks to it directly; on a
# laptop (`docker run -p 9000:8080 IMAGE`) nothing sets it, so the runtime
# interface emulator starts first and serves the invoke endpoint on :8080.
if [ $# -gt 1 ]; then
  echo "entrypoint requires the handler name to be the first argument" 1>&2
  exit 142
fi
if [ $# -eq 1 ]; then
  export _HANDLER="$1"
fi

# A custom runtime (provided image) may put its bootstrap in the task root or a layer.
RUNTIME_ENTRYPOINT=/var/runtime/bootstrap
if [ ! -x "$RUNTIME_ENTRYPOINT" ]; then
  for candidate in "${LAMBDA_TASK_ROOT:-/var/task}/bootstrap" /opt/bootstrap; do
    if [ -x "$candidate" ]; then
      RUNTIME_ENTRYPOINT="$candidate"
      break
    fi
  done
fi

if [ -z "${AWS_LAMBDA_RUNTIME_API}" ]; then
  exec /usr/local/bin/aws-lambda-rie "$RUNTIME_ENTRYPOINT"
else
  exec "$RUNTIME_ENTRYPOINT"
fi
