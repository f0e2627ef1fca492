"""Every benchmark script runs to the end and reports its ratio against the reference library.

Timings are not asserted (they depend on the machine and its load); this only keeps the
benchmarks working, so `make bench` never meets a broken script.
"""

import subprocess
import sys
from pathlib import Path

import pytest

BENCHMARKS = sorted((Path(__file__).resolve().parent.parent / "benchmarks").glob("bench_*.py"))


@pytest.mark.parametrize("script", BENCHMARKS, ids=lambda p: p.name)
def test_benchmark_runs_and_reports_a_ratio(script):
    result = subprocess.run([sys.executable, str(script)], capture_output=True, text=True,
                            timeout=300)
    assert result.returncode == 0, result.stderr[-2000:]
    assert "ratio" in result.stdout.lower(), f"{script.name} printed no ratio:\n{result.stdout}"
