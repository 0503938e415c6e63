"""The benchmarks that need no services run end to end at a small size, so a change to
the code they drive cannot leave them broken until someone measures again."""

import subprocess
import sys

from benchmarks.processes import ROOT


def test_bench_rank_prints_its_summary_at_a_small_size():
    run = subprocess.run(
        [sys.executable, "benchmarks/rank.py", "--subscribers", "300", "--papers", "200"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )

    assert run.returncode == 0, run.stderr[-3000:]
    assert "rank: 300 subscribers x 200 papers:" in run.stdout
    assert "on 300 subscribers" in run.stdout
