"""A pgbench reference measured on the same server, so benchmark figures come with a ratio.

Runs in a scratch database created and dropped here (as the admin role, like bootstrap):
``pgbench -i -s 1`` then the default TPC-B-like script with two clients.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import uuid
from pathlib import Path
from typing import Any

from project.bootstrap import drop_database, ensure_database
from project.database import local_server, role_url, uses_local_server

TPS_RE = re.compile(r"^tps = ([0-9.]+)", re.MULTILINE)


def pgbench_binary() -> Path | None:
    if uses_local_server():
        candidate = local_server().bin_dir / "pgbench"
        if candidate.exists():
            return candidate
    found = shutil.which("pgbench")
    return Path(found) if found else None


def run_pgbench(seconds: int = 10, clients: int = 2, scale: int = 1) -> dict[str, Any]:
    """TPS of pgbench's default script, or ``{"error": ...}`` when it cannot run."""
    binary = pgbench_binary()
    if binary is None:
        return {"error": "pgbench not found (local server bin dir or PATH)"}
    name = f"lakehouse_pgbench_{os.getpid()}_{uuid.uuid4().hex[:6]}"
    ensure_database(name, fresh=True)
    try:
        url = role_url("admin", name)
        env = {**os.environ, "PGCONNECT_TIMEOUT": "10"}
        init = subprocess.run([str(binary), "-i", "-q", "-s", str(scale), url], capture_output=True, text=True,
                              env=env, timeout=300)
        if init.returncode != 0:
            return {"error": f"pgbench -i failed: {init.stderr.strip()[-300:]}"}
        run = subprocess.run([str(binary), "-T", str(seconds), "-c", str(clients), "-j", str(clients), url],
                             capture_output=True, text=True, env=env, timeout=seconds + 120)
        match = TPS_RE.search(run.stdout)
        if run.returncode != 0 or match is None:
            return {"error": f"pgbench failed: {(run.stderr or run.stdout).strip()[-300:]}"}
        return {"tps": float(match.group(1)), "seconds": seconds, "clients": clients, "scale": scale,
                "script": "tpcb-like"}
    finally:
        drop_database(name)
