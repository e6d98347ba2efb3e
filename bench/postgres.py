"""A PostgreSQL server for the benchmarks, from the Debian binaries (as tests/plugins/postgres.py
starts one for the tests), listening on 127.0.0.1 on a free port, trust authentication,
durability off (fsync, synchronous_commit, full_page_writes: the data is a benchmark's).

Unlike the tests' server, its data directory is kept between runs (`BENCH_HOME/postgres`,
default `/var/tmp/issuer-bench`, or $BENCH_DATA_DIR): the million stored credentials of the
page benchmark are written once and reused. `python -m bench --forget-data` deletes them.
"""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import psycopg

SUPERUSER = "postgres"


def bench_home() -> Path:
    # Kept between runs (and reboots) on purpose: /var/tmp, not a fresh temporary directory.
    return Path(os.environ.get("BENCH_DATA_DIR", "/var/tmp/issuer-bench"))  # noqa: S108


def postgres_bin() -> Path | None:
    """The directory holding initdb, pg_ctl and postgres (newest Debian version first)."""
    candidates = [Path(os.environ["PG_BIN"])] if os.environ.get("PG_BIN") else []
    candidates += sorted((Path(v) for v in glob.glob("/usr/lib/postgresql/*/bin")),
                         key=lambda p: int(p.parent.name) if p.parent.name.isdigit() else 0,
                         reverse=True)
    on_path = shutil.which("initdb")
    if on_path:
        candidates.append(Path(on_path).resolve().parent)
    for directory in candidates:
        if all((directory / tool).is_file() for tool in ("initdb", "pg_ctl", "postgres")):
            return directory
    return None


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass
class BenchPostgres:
    bin_dir: Path
    base_dir: Path
    port: int
    run_as: str | None

    @property
    def data_dir(self) -> Path:
        return self.base_dir / "data"

    def url(self, database: str) -> str:
        return f"postgresql+psycopg://{SUPERUSER}@127.0.0.1:{self.port}/{database}"

    def admin(self) -> psycopg.Connection:
        return psycopg.connect(host="127.0.0.1", port=self.port, user=SUPERUSER,
                               dbname="postgres", autocommit=True)

    def database(self, name: str, *, fresh: bool = False) -> tuple[str, bool]:
        """(URL, created): the database `name`, created when missing (or `fresh`)."""
        with self.admin() as admin:
            exists = admin.execute("SELECT 1 FROM pg_database WHERE datname = %s",
                                   (name,)).fetchone() is not None
            if exists and fresh:
                admin.execute(f'DROP DATABASE "{name}" WITH (FORCE)')
                exists = False
            if not exists:
                admin.execute(f'CREATE DATABASE "{name}" TEMPLATE template0 STRATEGY FILE_COPY')
        return self.url(name), not exists

    def start(self) -> None:
        if not (self.data_dir / "PG_VERSION").exists():
            self._run("initdb", "-D", str(self.data_dir), "-U", SUPERUSER, "-A", "trust",
                      "-E", "UTF8", "--no-locale", "--no-sync", "--no-instructions")
        self._forget_stale_pid_file()
        options = " ".join([
            "-c listen_addresses=127.0.0.1", f"-c port={self.port}",
            f"-c unix_socket_directories={self.base_dir}",
            "-c fsync=off -c synchronous_commit=off -c full_page_writes=off",
            "-c max_connections=200 -c shared_buffers=256MB -c max_wal_size=4GB",
        ])
        self._run("pg_ctl", "-D", str(self.data_dir), "-l", str(self.base_dir / "server.log"),
                  "-w", "-t", "120", "-o", options, "start")

    def _forget_stale_pid_file(self) -> None:
        """A pid file left by a server that is gone (a bench killed mid-run) is removed; a
        running server's is not: two servers must never share a data directory."""
        pid_file = self.data_dir / "postmaster.pid"
        try:
            pid = int(pid_file.read_text().split()[0])
        except (OSError, ValueError, IndexError):
            return
        if Path(f"/proc/{pid}").exists():
            raise RuntimeError(f"a PostgreSQL server (pid {pid}) already runs on "
                               f"{self.data_dir}: another bench is running")
        pid_file.unlink(missing_ok=True)

    def stop(self) -> None:
        self._run("pg_ctl", "-D", str(self.data_dir), "-m", "fast", "-w", "stop", check=False)

    def _run(self, tool: str, *args: str, check: bool = True) -> None:
        command = [str(self.bin_dir / tool), *args]
        if self.run_as is not None:
            command = ["runuser", "-u", self.run_as, "--", *command]
        environment = {k: v for k, v in os.environ.items() if not k.startswith("PG")}
        subprocess.run(command, check=check, capture_output=True, text=True, env=environment,
                       cwd=self.base_dir)


def _run_as() -> str | None:
    """initdb and postgres refuse root: run them as `postgres` (Debian) or `nobody` then."""
    if os.geteuid() != 0:
        return None
    for name in ("postgres", "nobody"):
        try:
            pwd.getpwnam(name)
        except KeyError:
            continue
        return name
    raise RuntimeError("running as root and neither a 'postgres' nor a 'nobody' user exists")


@contextmanager
def running_postgres() -> Iterator[BenchPostgres]:
    """The bench server, started on its kept data directory and stopped at the end."""
    bin_dir = postgres_bin()
    if bin_dir is None:
        raise RuntimeError("PostgreSQL binaries not found (apt-get install postgresql)")
    base_dir = bench_home() / "postgres"
    base_dir.mkdir(parents=True, exist_ok=True)
    run_as = _run_as()
    if run_as is not None:
        account = pwd.getpwnam(run_as)
        os.chown(base_dir, account.pw_uid, account.pw_gid)
    server = BenchPostgres(bin_dir=bin_dir, base_dir=base_dir, port=_free_port(), run_as=run_as)
    started = time.perf_counter()
    server.start()
    if time.perf_counter() - started > 60:
        print(f"  (PostgreSQL took {time.perf_counter() - started:.0f} s to start)")
    try:
        yield server
    finally:
        server.stop()
