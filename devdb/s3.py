"""A local S3 endpoint on loopback, started on demand like the embedded PostgreSQL.

The ``moto[server]`` package serves the S3 REST API; boto3 (and anything else that speaks
S3) talks to it through an endpoint URL, so the code that writes the landing zone is the
code that would write to AWS: only the endpoint changes.

Two ways to run it:

* :class:`ThreadedS3` — in this process, for tests (a fixture starts and stops it);
* :class:`LocalS3` — a ``moto_server`` subprocess recorded in a folder (``.s3/``: ``port``,
  ``pid``, ``server.log``), so several ``manage.py`` commands of one demo share it.

moto keeps objects in memory: stopping the server forgets the buckets. That is what a demo
and a test want; point ``--s3-endpoint`` at a real endpoint to keep data.

Leaf module: no Django, nothing of the project.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from devdb.server import ServerError, free_port

HOST = "127.0.0.1"
#: Credentials moto accepts (any value works); exported so boto3 never looks for real ones.
LOCAL_CREDENTIALS = {"aws_access_key_id": "lakehouse-local", "aws_secret_access_key": "lakehouse-local"}
LOCAL_REGION = "us-east-1"


def _wait_listening(port: int, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
            sock.settimeout(0.2)
            if sock.connect_ex((HOST, port)) == 0:
                return True
        time.sleep(0.1)
    return False


class ThreadedS3:
    """moto's S3 API served from a thread of this process (tests)."""

    def __init__(self, port: int | None = None) -> None:
        self.port = port or free_port()
        self._server = None

    @property
    def endpoint_url(self) -> str:
        return f"http://{HOST}:{self.port}"

    def start(self) -> str:
        try:
            from moto.server import ThreadedMotoServer
        except ImportError as exc:
            raise ServerError("the local S3 server needs the pip package 'moto[server]'; run 'make install'") from exc
        self._server = ThreadedMotoServer(ip_address=HOST, port=self.port, verbose=False)
        self._server.start()
        if not _wait_listening(self.port, 15):
            raise ServerError(f"the local S3 server did not listen on {self.endpoint_url}")
        return self.endpoint_url

    def stop(self) -> None:
        if self._server is not None:
            self._server.stop()
            self._server = None

    def __enter__(self) -> ThreadedS3:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


@dataclass
class LocalS3:
    """A ``moto_server`` subprocess whose port and pid live in ``root``."""

    root: Path

    @property
    def port_file(self) -> Path:
        return self.root / "port"

    @property
    def pid_file(self) -> Path:
        return self.root / "pid"

    @property
    def log_file(self) -> Path:
        return self.root / "server.log"

    @property
    def endpoint_url(self) -> str:
        try:
            return f"http://{HOST}:{int(self.port_file.read_text().strip())}"
        except (OSError, ValueError) as exc:
            raise ServerError(f"the local S3 server in {self.root} has no recorded port; start it first") from exc

    def is_running(self) -> bool:
        try:
            pid = int(self.pid_file.read_text().strip())
            port = int(self.port_file.read_text().strip())
        except (OSError, ValueError):
            return False
        try:
            os.kill(pid, 0)
        except OSError:
            return False
        return _wait_listening(port, 0.5)

    def ensure_running(self, timeout: float = 30.0) -> str:
        """Start the server unless it runs; returns its endpoint URL."""
        if self.is_running():
            return self.endpoint_url
        binary = shutil.which("moto_server", path=str(Path(sys.executable).parent)) or shutil.which("moto_server")
        if binary is None:
            raise ServerError("the local S3 server needs the pip package 'moto[server]'; run 'make install'")
        self.root.mkdir(parents=True, exist_ok=True)
        port = free_port()
        with open(self.log_file, "ab") as log:
            process = subprocess.Popen([binary, "-H", HOST, "-p", str(port)], stdout=log, stderr=log,
                                       stdin=subprocess.DEVNULL, start_new_session=True)
        if not _wait_listening(port, timeout):
            process.kill()
            raise ServerError(f"the local S3 server did not start within {timeout:g} s; see {self.log_file}")
        self.pid_file.write_text(f"{process.pid}\n")
        self.port_file.write_text(f"{port}\n")
        return self.endpoint_url

    def stop(self) -> bool:
        """Stop the server; returns whether it was running."""
        if not self.is_running():
            return False
        pid = int(self.pid_file.read_text().strip())
        with contextlib.suppress(OSError):
            os.kill(pid, signal.SIGTERM)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                os.kill(pid, 0)
            except OSError:
                break
            time.sleep(0.1)
        for path in (self.pid_file, self.port_file):
            path.unlink(missing_ok=True)
        return True
