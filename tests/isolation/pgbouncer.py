"""A throw-away PgBouncer in transaction-pooling mode in front of the test server.

Debian's ``pgbouncer`` binary, a config in a temporary folder, a free localhost port, the
app role's password in the userlist (SCRAM towards the client and the server). When we are
root it runs as the database server's OS user, because PgBouncer refuses to run as root.
"""

from __future__ import annotations

import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from devdb.server import SERVER_OS_USER, free_port
from project.database import role_credentials, server_address

PGBOUNCER_CANDIDATES = ("/usr/sbin/pgbouncer", "/usr/bin/pgbouncer")


def pgbouncer_binary() -> str | None:
    found = shutil.which("pgbouncer")
    return found or next((p for p in PGBOUNCER_CANDIDATES if os.access(p, os.X_OK)), None)


@dataclass
class PgBouncer:
    port: int
    process: subprocess.Popen
    folder: Path

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=10)
        shutil.rmtree(self.folder, ignore_errors=True)

    def log(self) -> str:
        path = self.folder / "pgbouncer.log"
        return path.read_text(errors="replace") if path.exists() else ""


def start_pgbouncer(pool_size: int = 1, max_client_conn: int = 100) -> PgBouncer:
    binary = pgbouncer_binary()
    if binary is None:
        raise FileNotFoundError("pgbouncer is not installed (apt-get install pgbouncer)")
    address = server_address()
    app = role_credentials()["app"]
    folder = Path(tempfile.mkdtemp(prefix="iso-pgbouncer-"))
    port = free_port()
    (folder / "userlist.txt").write_text(f'"{app.name}" "{app.password}"\n')
    (folder / "pgbouncer.ini").write_text(
        "[databases]\n"
        f"* = host={address.host} port={address.port}\n"
        "[pgbouncer]\n"
        f"listen_addr = 127.0.0.1\nlisten_port = {port}\nunix_socket_dir =\n"
        f"auth_type = scram-sha-256\nauth_file = {folder / 'userlist.txt'}\n"
        "pool_mode = transaction\n"
        f"default_pool_size = {pool_size}\nmin_pool_size = 0\nreserve_pool_size = 0\n"
        f"max_client_conn = {max_client_conn}\n"
        "ignore_startup_parameters = extra_float_digits,options\n"
        # Fail instead of hanging when the server goes away (e.g. restarted under us).
        "query_wait_timeout = 30\nserver_connect_timeout = 5\nserver_login_retry = 1\n"

        f"logfile = {folder / 'pgbouncer.log'}\npidfile = {folder / 'pgbouncer.pid'}\n"
    )
    user = None
    if os.geteuid() == 0:
        user = SERVER_OS_USER
        entry = pwd.getpwnam(user)
        os.chown(folder, entry.pw_uid, entry.pw_gid)
        for child in folder.iterdir():
            os.chown(child, entry.pw_uid, entry.pw_gid)
        os.chmod(folder / "userlist.txt", 0o600)
    # Its log goes to the logfile; PgBouncer *also* writes it to stderr, and an unread pipe
    # fills up after ~64 kB and freezes PgBouncer mid-protocol. So stderr goes nowhere.
    process = subprocess.Popen([binary, str(folder / "pgbouncer.ini")], user=user,
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    bouncer = PgBouncer(port, process, folder)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"pgbouncer exited with {process.returncode}: {bouncer.log()}")
        with socket.socket() as sock:
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                return bouncer
        time.sleep(0.05)
    bouncer.stop()
    raise RuntimeError("pgbouncer did not start listening within 10 s")
