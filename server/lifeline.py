"""Tie a child process's life to its parent's: Linux's PR_SET_PDEATHSIG, a no-op elsewhere.

The kernel sends the signal when the *thread* that started the child exits. If that parent is
multi-threaded (the app is) and is killed outright, its threads exit one after another and the
child is handed to each survivor in turn, receiving the signal once per thread. A child must
therefore treat its death signal as idempotent.

``python -m server.lifeline PARENT_PID SIGNAL COMMAND [ARG...]`` sets SIGNAL as the death signal
and then becomes COMMAND (an exec keeps it). A parent ties a child to itself this way rather
than through ``preexec_fn``, which may deadlock the child of a process that has threads.
"""

from __future__ import annotations

import ctypes
import os
import signal
import sys

_PR_SET_PDEATHSIG = 1


def die_with_parent(signum: signal.Signals) -> None:
    """Ask the kernel to send ``signum`` to the calling process when its parent dies."""
    if sys.platform.startswith("linux"):
        ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, signum)


def tied(command: list[str], signum: signal.Signals = signal.SIGTERM) -> list[str]:
    """``command``, run so that it gets ``signum`` when this process dies."""
    return [sys.executable, "-m", "server.lifeline", str(os.getpid()), signum.name, *command]


def main(argv: list[str]) -> int:
    parent, name, *command = argv
    signum = signal.Signals[name]
    die_with_parent(signum)
    if os.getppid() != int(parent):  # the parent died before the line above: do not start
        return 128 + signum
    os.execv(command[0], command)  # never returns


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
