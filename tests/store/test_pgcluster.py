"""Without PostgreSQL the PostgreSQL tests skip, unless CI requires them: then they fail."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
ONE_TEST = "tests/store/test_postgres.py::test_a_missing_database_says_create_it"


def test_a_missing_postgresql_fails_the_tests_when_ci_requires_it() -> None:
    env = {**os.environ, "BRIEFING_TEST_PG_BIN": "/nonexistent"}
    env["BRIEFING_TEST_POSTGRES"] = "required"
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", ONE_TEST],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 1, done.stdout
    assert "PostgreSQL is not installed" in done.stdout
    assert "and BRIEFING_TEST_POSTGRES=required" in done.stdout
