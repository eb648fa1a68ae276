"""A throwaway PostgreSQL cluster for the test session: initdb, pg_ctl start, stop, remove."""

import glob
import os
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path

INSTALL_HINT = (
    "PostgreSQL server binaries (initdb, pg_ctl, postgres) were not found. "
    "Install them with: apt-get install postgresql  (or run `make test` as root, which does)."
)


def find_bin_dir() -> Path | None:
    """The newest /usr/lib/postgresql/<version>/bin that has a server, or one on PATH."""
    for candidate in sorted(glob.glob("/usr/lib/postgresql/*/bin"), reverse=True):
        path = Path(candidate)
        if (path / "postgres").exists() and (path / "pg_ctl").exists():
            return path
    pg_ctl = shutil.which("pg_ctl")
    if pg_ctl and shutil.which("postgres"):
        return Path(pg_ctl).parent
    return None


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Cluster:
    """One PostgreSQL server in a temporary folder, listening on loopback only."""

    def __init__(self) -> None:
        bin_dir = find_bin_dir()
        if bin_dir is None:
            raise RuntimeError(INSTALL_HINT)
        self.bin_dir = bin_dir
        self.root = Path(tempfile.mkdtemp(prefix="hilo-pg-"))
        self.data = self.root / "data"
        self.port = free_port()
        # initdb and postgres refuse to run as root: run them as the postgres user.
        self.user = "postgres" if os.geteuid() == 0 else None
        if self.user:
            shutil.chown(self.root, user=self.user)

    def _run(self, *args: str) -> None:
        result = subprocess.run(  # noqa: S603
            [str(self.bin_dir / args[0]), *args[1:]],
            user=self.user,
            capture_output=True,
            text=True,
            check=False,
            cwd=self.root,
        )
        if result.returncode != 0:
            raise RuntimeError(f"{args[0]} failed:\n{result.stdout}\n{result.stderr}")

    def start(self) -> "Cluster":
        """Create and start the cluster; returns self."""
        self._run(
            "initdb",
            "-D",
            str(self.data),
            "-U",
            "postgres",
            "--auth=trust",
            "-E",
            "UTF8",
            "--locale=C.UTF-8",
            "--no-sync",
        )
        # Parallel workers each start a cluster: two can be handed the same free port at once,
        # and the second then cannot listen on it. Try another port then.
        for attempt in range(3):
            try:
                self._start_server()
                return self
            except RuntimeError:
                if attempt == 2 or not self._port_was_taken():
                    raise
                self.port = free_port()
        return self

    def _port_was_taken(self) -> bool:
        log = self.root / "server.log"
        return log.exists() and "could not bind" in log.read_text(errors="replace")

    def _start_server(self) -> None:
        options = (
            f"-p {self.port} -k {self.root} -c listen_addresses=127.0.0.1 "
            "-c fsync=off -c synchronous_commit=off -c full_page_writes=off "
            "-c max_connections=300 -c shared_buffers=128MB"
        )
        self._run(
            "pg_ctl",
            "-D",
            str(self.data),
            "-l",
            str(self.root / "server.log"),
            "-o",
            options,
            "-w",
            "-t",
            "60",
            "start",
        )

    def url(self, database: str = "postgres") -> str:
        """SQLAlchemy URL of a database in this cluster."""
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/{database}"

    def create_database(self, name: str) -> str:
        """Create an empty database and return its URL."""
        import psycopg

        with psycopg.connect(
            f"host=127.0.0.1 port={self.port} user=postgres dbname=postgres", autocommit=True
        ) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            conn.execute(f'CREATE DATABASE "{name}"')
        return self.url(name)

    def stop(self) -> None:
        """Stop the server and remove its files."""
        deadline = time.monotonic() + 30
        try:
            self._run("pg_ctl", "-D", str(self.data), "-m", "immediate", "-w", "stop")
        except RuntimeError:
            pass
        while time.monotonic() < deadline and (self.data / "postmaster.pid").exists():
            time.sleep(0.1)
        shutil.rmtree(self.root, ignore_errors=True)
