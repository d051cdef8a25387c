"""gunicorn.conf.py runs in gunicorn's master: it reads its settings from the environment and
imports neither hubbar nor Flask, so that the workers a reload (HUP) forks after a code upgrade
import the new code rather than inherit the old from the master."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from hubbar import ROOT

# Loads the file the way gunicorn does (as a Python file, in a fresh interpreter) and reports
# its settings and which of hubbar's and Flask's modules it left imported.
LOAD = """
import json, os, runpy, sys
settings = runpy.run_path(sys.argv[1])
print(json.dumps({
    "workers": settings.get("workers"),
    "bind": settings.get("bind"),
    "keepalive": "keepalive" in settings,
    "cpus": os.cpu_count(),
    "imported": sorted(
        name for name in sys.modules if name.split(".")[0] in ("hubbar", "flask")
    ),
}))
"""


def load(**env: str) -> dict:
    environment = {key: value for key, value in os.environ.items() if not key.startswith("HUBBAR_")}
    # hubbar is importable from there, as it is for gunicorn started in the project folder.
    environment.update(env, PYTHONPATH=str(ROOT))
    done = subprocess.run(
        [sys.executable, "-c", LOAD, str(ROOT / "gunicorn.conf.py")],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    return json.loads(done.stdout)


@pytest.mark.parametrize(
    ("env", "workers", "bind"),
    [
        ({}, None, "127.0.0.1:8000"),  # None: 2 per CPU core + 1
        ({"HUBBAR_WORKERS": "3", "HUBBAR_BIND": "0.0.0.0:9000"}, 3, "0.0.0.0:9000"),
    ],
)
def test_the_settings_come_from_the_environment_without_importing_hubbar(env, workers, bind):
    loaded = load(**env)
    assert loaded["imported"] == []
    assert loaded["workers"] == (workers or 2 * loaded["cpus"] + 1)
    assert loaded["bind"] == bind
    # sync workers close the connection after each response: a keep-alive setting would do
    # nothing but suggest otherwise.
    assert not loaded["keepalive"]
