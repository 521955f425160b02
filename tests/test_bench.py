"""`make bench` (bench/run.py) at a tiny scale: it builds its dataset, serves it and prints its
table. Figures are not asserted (this machine is shared): only that the script works.

Needs PostgreSQL at 127.0.0.1:5432, Redis at 127.0.0.1:6379 and wrk; without them the test is
skipped, except in CI (CI set), where it fails.
"""

import os
import shutil
import socket
import subprocess
import sys

from tests.conftest import CONFIG_VARIABLES, PROJECT_DIR
from tests.e2e_support import unavailable


def reachable(port):
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=1):
            return True
    except OSError:
        return False


def test_bench_runs_at_a_tiny_scale():
    if not reachable(5432):
        unavailable("PostgreSQL is not reachable at 127.0.0.1:5432 (the benchmark needs it)")
    if not reachable(6379):
        unavailable("Redis is not reachable at 127.0.0.1:6379 (the benchmark needs it)")
    if not shutil.which("wrk"):
        unavailable("wrk is missing (apt-get install -y wrk)")
    env = {k: v for k, v in os.environ.items() if k not in CONFIG_VARIABLES}
    result = subprocess.run(
        [
            sys.executable,
            "bench/run.py",
            "--scale",
            "0.0005",
            "--duration",
            "1",
            "--connections",
            "2",
            "--workers",
            "2",
            "--database",
            f"haidepok_bench_test_{os.getpid()}",
            "--drop-after",
        ],
        cwd=PROJECT_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=170,
    )
    output = result.stdout + result.stderr
    assert result.returncode == 0, output[-4000:]
    for label in [
        "baseline (1 query, tiny template)",
        "catalog /",
        "facility page + week",
        "API availability 7 days",
        "API booking create+cancel",
        "availability p50, page cache off:",
        "gunicorn worker RSS",
        "overlapping slot-holding bookings after the run: 0",
    ]:
        assert label in output, output[-4000:]
