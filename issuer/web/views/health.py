"""`/healthz` and `/readyz`: the probes of a load balancer, an orchestrator or a monitor
(issue #14, item 2; docs/DEPLOYMENT.md, "Health checks").

- `/healthz`: the process answers (liveness). Touches nothing: a database outage must not make
  an orchestrator restart every process at once.
- `/readyz`: the process can serve (readiness): database reachable and migrated, signing keys
  loaded (`issuance.readiness`). 503 with the list of what is not ready; on PostgreSQL within
  `DATABASE_PROBE_SECONDS` whatever the database does (a hung host is `database.timeout` or
  `database.unreachable`, never a probe left waiting).

Both answer small JSON that is never cached, name no file, host or secret, and are not
rate-limited (no limiter is consulted on these routes).
"""

from __future__ import annotations

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse

from issuer.issuance.readiness import readiness
from issuer.web.deps import service_of

_NO_STORE = {"cache-control": "no-store"}


async def healthz(_request: Request) -> JSONResponse:
    return JSONResponse({"status": "ok"}, headers=_NO_STORE)


async def readyz(request: Request) -> JSONResponse:
    # The checks open a database connection and may read key files: off the event loop.
    problems = await run_in_threadpool(readiness, service_of(request))
    if problems:
        return JSONResponse({"status": "not_ready",
                             "not_ready": [problem.to_json() for problem in problems]},
                            status_code=503, headers=_NO_STORE)
    return JSONResponse({"status": "ready"}, headers=_NO_STORE)
