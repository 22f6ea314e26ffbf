"""Tie a child process's life to its parent's: Linux's PR_SET_PDEATHSIG, a no-op elsewhere.

The kernel sends the signal when the *thread* that started the child exits. If that parent is
multi-threaded (the app is) and is killed outright, its threads exit one after another and the
child is handed to each survivor in turn, receiving the signal once per thread. A child must
therefore treat its death signal as idempotent.
"""

from __future__ import annotations

import ctypes
import signal
import sys

_PR_SET_PDEATHSIG = 1


def die_with_parent(signum: signal.Signals) -> None:
    """Ask the kernel to send ``signum`` to the calling process when its parent dies."""
    if sys.platform.startswith("linux"):
        ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, signum)
