"""The demo (python -m customer_models) as a user runs it in a shell."""

from __future__ import annotations

import subprocess
import sys


def test_demo_ends_quietly_when_the_reader_closes_the_pipe():
    # python -m customer_models | head -3
    process = subprocess.Popen(
        [sys.executable, "-m", "customer_models"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    first = [process.stdout.readline() for _ in range(3)]
    process.stdout.close()
    _, stderr = process.communicate(timeout=600)
    assert first[0].startswith(b"customer_models demo: CDNOW")
    assert b"Traceback" not in stderr
    assert b"BrokenPipeError" not in stderr
    assert stderr == b""
    assert process.returncode == 0


def test_demo_output_piped_in_full_is_unchanged():
    out = subprocess.run(
        [sys.executable, "-m", "customer_models"], capture_output=True, check=True, timeout=600
    )
    assert out.stderr == b""
    assert b"Lifecycle stages at 1997-09-30" in out.stdout
    # Every stage is listed, in lifecycle order, even with zero customers.
    stage_block = out.stdout.decode().split("Lifecycle stages at 1997-09-30")[1].strip()
    names = [line.split()[0] for line in stage_block.splitlines()]
    assert names == ["prospect", "new", "repeat", "loyal", "at_risk", "lapsed"]
