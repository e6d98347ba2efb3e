"""`issuer issue-batch` under signals (issue #14, item 2), as a real process:
- SIGTERM: the chunk being signed is committed, the command exits (143) saying how many lines
  are left, and running the same command again issues exactly those;
- `kill -9`: its signing helper processes die with it within seconds (PR_SET_PDEATHSIG, the
  parent watchdog: `issuer.issuance.helper_processes`), and a re-run issues every line exactly
  once (idempotency keys).
Linux only: the processes are found in /proc."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from sqlalchemy import func, select

from issuer.issuance.service import IssuerService
from issuer.settings import Settings
from issuer.storage import models as rows
from tests.plugins.factory import IssuerHomes

pytestmark = pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="needs /proc")

BREAKFAST = "petit-dejeuner-inclusion-numerique"
CHUNK = 200  # IssuerService.issue_many's default


@pytest.fixture
def home(tmp_path: Path, issuer_homes: IssuerHomes) -> Iterator[tuple[Path, IssuerService]]:
    home = tmp_path / "home"
    service = issuer_homes.service(Settings.load(home=home))
    yield home, service
    service.database.dispose()


def attendance(tmp_path: Path, count: int) -> Path:
    path = tmp_path / "presence.csv"
    lines = ["nom,courriel", *(f"Personne {n},personne{n}@example.org" for n in range(count))]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def batch_command(csv: Path, out: Path, *extra: str) -> list[str]:
    return [sys.executable, "-m", "issuer.cli", "issue-batch", "--badge", BREAKFAST,
            "--event", "7", str(csv), "--out", str(out), *extra]


def environment(home: Path) -> dict[str, str]:
    kept = {name: value for name, value in os.environ.items()
            if not name.startswith(("ISSUER_", "LC_")) and name not in ("LANG", "DATABASE_URL")}
    return {**kept, "ISSUER_HOME": str(home), "ISSUER_LANG": "fr", "PYTHONIOENCODING": "utf-8"}


def issued_count(service: IssuerService) -> tuple[int, int]:
    """(credentials of the batch's badge, distinct recipients among them)."""
    with service.database.session(read_only=True) as session:
        query = select(func.count(), func.count(rows.IssuedCredential.recipient_id.distinct()))
        total, people = session.execute(
            query.where(rows.IssuedCredential.badge_slug == BREAKFAST)).one()
    return int(total), int(people)


def wait_for(condition: Callable[[], bool], seconds: float, what: str) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.05)


def children_of(pid: int) -> set[int]:
    found = set()
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == pid:
                found.add(int(entry.name))
    return found


def running(pid: int) -> bool:
    """Alive and not a zombie (an orphan's zombie waits for a reaper, it runs nothing)."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def test_sigterm_finishes_the_chunk_in_flight_and_a_rerun_issues_the_rest(
        home: tuple[Path, IssuerService], tmp_path: Path) -> None:
    folder, service = home
    lines = 5 * CHUNK
    csv, out = attendance(tmp_path, lines), tmp_path / "out"
    batch = subprocess.Popen(batch_command(csv, out, "--signing-helpers", "0"),
                             env=environment(folder), stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, text=True, encoding="utf-8")
    try:
        wait_for(lambda: issued_count(service)[0] >= CHUNK or batch.poll() is not None, 300,
                 "the first chunk")
        batch.send_signal(signal.SIGTERM)
        stdout, stderr = batch.communicate(timeout=300)
    finally:
        batch.kill()
    done, _people = issued_count(service)
    assert batch.returncode == 143, stderr
    assert done % CHUNK == 0 and CHUNK <= done < lines  # whole chunks only, then it stopped
    assert f"{done} délivrés" in stdout
    assert f"{lines - done} lignes" in stderr and "Relancez la même commande" in stderr
    assert len(list(out.glob("*.json"))) == done  # the committed chunks' files are written

    rerun = subprocess.run(batch_command(csv, out), env=environment(folder), capture_output=True,
                           text=True, encoding="utf-8", timeout=600, check=False)
    assert rerun.returncode == 0, rerun.stderr
    assert f"{lines - done} délivrés, {done} déjà délivrés" in rerun.stdout
    assert issued_count(service) == (lines, lines)


def test_kill_9_of_a_batch_takes_its_signing_helpers_with_it_and_a_rerun_completes_it(
        home: tuple[Path, IssuerService], tmp_path: Path) -> None:
    folder, service = home
    lines = 3 * CHUNK
    csv, out = attendance(tmp_path, lines), tmp_path / "out"
    batch = subprocess.Popen(batch_command(csv, out, "--signing-helpers", "2"),
                             env=environment(folder), stdout=subprocess.DEVNULL,
                             stderr=subprocess.DEVNULL)
    try:
        wait_for(lambda: len([pid for pid in children_of(batch.pid) if running(pid)]) >= 2
                 and issued_count(service)[0] >= 1, 300, "the helpers and a committed chunk")
        helpers = children_of(batch.pid)
        assert batch.poll() is None, "the batch ended before it could be killed"
        os.kill(batch.pid, signal.SIGKILL)
        batch.wait(10)
    finally:
        batch.kill()
    wait_for(lambda: not any(running(pid) for pid in helpers), 5,
             f"the helpers {sorted(helpers)} to end with their parent")
    killed_at, _people = issued_count(service)
    assert killed_at < lines

    rerun = subprocess.run(batch_command(csv, out), env=environment(folder), capture_output=True,
                           text=True, encoding="utf-8", timeout=600, check=False)
    assert rerun.returncode == 0, rerun.stderr
    assert f"{lines - killed_at} délivrés, {killed_at} déjà délivrés" in rerun.stdout
    assert issued_count(service) == (lines, lines)  # every line exactly once
