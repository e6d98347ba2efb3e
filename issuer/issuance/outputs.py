"""Issued badges as files: `<uuid>.json` (embedded proof, exactly as issued), `<uuid>.jwt`,
`<uuid>.png` (baked). Used by `issuer issue`, `issuer issue-batch` and the benchmark."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path

from issuer.issuance.issue_requests import IssuedBadge, IssueRequest
from issuer.issuance.service import IssuerService

WRITER_THREADS = 2


def write_credential_files(service: IssuerService, issued: IssuedBadge, out: Path) -> None:
    out.mkdir(parents=True, exist_ok=True)
    stem = out / issued.credential_id
    stem.with_suffix(".json").write_text(issued.credential_json + "\n", "utf-8")
    stem.with_suffix(".jwt").write_text(issued.credential_jwt + "\n", "utf-8")
    stem.with_suffix(".png").write_bytes(service.baked_png(issued))


def issue_to_folder(service: IssuerService, requests: Sequence[IssueRequest], out: Path, *,
                    on_written: Callable[[IssuedBadge], object] | None = None,
                    signing_helpers: int | None = None,
                    should_stop: Callable[[], bool] | None = None) -> list[IssuedBadge]:
    """Issue a batch and write each badge's files as its chunk is committed.

    Creating files costs more than signing on some file systems: writer threads (file I/O
    releases the GIL) overlap it with the signing of the next chunk. Returns once every file
    is written; a write error (disk full...) is raised, after the credentials are committed,
    so re-running the batch rewrites the files without issuing anything twice. `should_stop`:
    as `IssuerService.issue_many` (the files of the committed chunks are still written).
    """
    out.mkdir(parents=True, exist_ok=True)
    pending: list[Future[None]] = []
    with ThreadPoolExecutor(WRITER_THREADS) as writers:
        def progress(issued: IssuedBadge) -> None:
            job = writers.submit(write_credential_files, service, issued, out)
            if on_written is not None:
                notify = on_written
                job.add_done_callback(lambda _done: notify(issued))
            pending.append(job)

        issued = service.issue_many(requests, progress=progress, signing_helpers=signing_helpers,
                                    should_stop=should_stop)
        for job in pending:
            job.result()
    return issued
