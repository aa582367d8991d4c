import sys

from .bootstrap import run

sys.exit(run())
