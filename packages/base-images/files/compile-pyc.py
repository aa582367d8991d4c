# Compiles the standard library of a python layer ahead of time, reproducibly: run by the
# layer's own python3.11 on a copy of the layer. Paths to compile come on stdin (sorted,
# relative to the copy's root); each pyc records the path it will have in the image and the
# source's hash instead of its mtime (unchecked-hash: the image is read-only anyway).
import py_compile
import sys

root = sys.argv[1]
failed = 0
for rel in sys.stdin.read().split("\n"):
    if not rel:
        continue
    try:
        py_compile.compile(root + "/" + rel, dfile="/" + rel, doraise=True, invalidation_mode=py_compile.PycInvalidationMode.UNCHECKED_HASH)
    except py_compile.PyCompileError:
        failed += 1  # a few stdlib files are templates, not modules; Debian skips them too
print(failed)
