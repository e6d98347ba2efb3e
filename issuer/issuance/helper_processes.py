"""Helper processes never outlive the process that started them (issue #14, item 2).

`issuer issue-batch` signs in helper processes (`issuance.signing_pool._SigningPool`). When the
batch ends normally, or on SIGTERM, the pool is shut down and the helpers exit. A `kill -9` (or the
kernel's out-of-memory killer) gives the parent no chance to do so: before this module, its
helpers kept running, each holding a copy of the private keys, until someone found them.

`die_with_parent(parent_pid)` runs first in every helper (the pool's initializer):
- **Linux: `prctl(PR_SET_PDEATHSIG, SIGKILL)`** (prctl(2)). The kernel kills the helper the
  moment its parent dies, whatever killed it. There is no Python API for it, hence ctypes.
  The kernel ties the signal to the parent *thread* that started the helper; the pool's helpers
  are started by the thread running the batch, which lives as long as the batch, so that is the
  same lifetime here.
- **Everywhere: a watchdog thread** polling the parent's id (`os.getppid()`), once a second.
  It covers the systems without prctl (macOS, the BSDs) and the race the kernel leaves open:
  a parent that died between starting the helper and the helper's `prctl` call. An orphan is
  re-parented (to init or a subreaper), so a changed parent id means the parent is gone.
- **SIGTERM and SIGINT are ignored** in the helper. A `systemctl stop` or a Ctrl+C reaches the
  whole process group; the parent then finishes its current chunk (`issue-batch`'s graceful
  stop), for which it still needs its helpers. They exit with it, by the two means above.

Pure standard library, no database: the helper's own work is in `issuance.service`.
"""

from __future__ import annotations

import ctypes
import os
import signal
import sys
import threading
import time

#: prctl(2) option number (linux/prctl.h).
_PR_SET_PDEATHSIG = 1
#: Seconds between two looks at the parent's id.
WATCHDOG_INTERVAL = 1.0


def _linux_parent_death_signal() -> bool:
    """Ask the Linux kernel to SIGKILL this process when its parent dies; False elsewhere or
    when the call is refused (a seccomp filter, an unusual libc)."""
    if not sys.platform.startswith("linux"):
        return False
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        return int(libc.prctl(_PR_SET_PDEATHSIG, int(signal.SIGKILL), 0, 0, 0)) == 0
    except (OSError, AttributeError):
        return False


def _watch_parent(parent_pid: int, interval: float) -> None:
    while True:
        if os.getppid() != parent_pid:
            # The parent is gone: nothing will ever read what this process produces. _exit:
            # no cleanup to run (the work is pure), and no risk of waiting on a lock a
            # half-finished task holds.
            os._exit(1)
        time.sleep(interval)


def die_with_parent(parent_pid: int, *, interval: float = WATCHDOG_INTERVAL) -> None:
    """Make this (helper) process end when the process `parent_pid` that started it ends."""
    for name in ("SIGTERM", "SIGINT"):
        signal.signal(getattr(signal, name), signal.SIG_IGN)
    _linux_parent_death_signal()
    if os.getppid() != parent_pid:  # died before prctl took effect
        os._exit(1)
    threading.Thread(target=_watch_parent, args=(parent_pid, interval),
                     name="parent-watchdog", daemon=True).start()
