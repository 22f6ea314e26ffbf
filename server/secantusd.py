"""SecantusDB's daemon, stopped exactly once however many stop signals reach it.

``python -m server.secantusd PARENT_PID [secantusdb options]``: the supervisor starts the local
MongoDB this way, as its child, in a session of its own.

SecantusDB stops inside its SIGTERM handler, which is not re-entrant: a second signal landing
while the first is still being handled deadlocks it (the nested call waits on a lock that the
interrupted frame holds), and it lingers until someone kills it, which its default storage mode
does not survive. A killed parent sends just such a burst (see `server.lifeline`), and the
supervisor may ask it to stop moments before being killed itself. So every stop request from the
supervisor arrives as `STOP_SIGNAL`, its own stop as well as its death, and only the first one
runs SecantusDB's handler; the separate session keeps a Ctrl-C in the terminal away.
"""

from __future__ import annotations

import os
import signal
import sys
from types import FrameType

from server.lifeline import die_with_parent

STOP_SIGNAL = signal.SIGUSR2


def _stop_once(signum: int, frame: FrameType | None) -> None:
    stop = signal.getsignal(signal.SIGTERM)
    for later in (STOP_SIGNAL, signal.SIGTERM, signal.SIGINT):
        signal.signal(later, signal.SIG_IGN)
    if not callable(stop):  # SecantusDB has not started yet: there is nothing to close
        raise SystemExit(128 + signal.SIGTERM)
    stop(signal.SIGTERM, frame)


def main(argv: list[str]) -> int:
    # Imported here: the supervisor imports this module for STOP_SIGNAL, with or without SecantusDB.
    from secantus.cli import main as secantusdb

    parent, *options = argv
    signal.signal(STOP_SIGNAL, _stop_once)
    die_with_parent(STOP_SIGNAL)
    if os.getppid() != int(parent):  # the parent died before the line above: stop as it would
        signal.raise_signal(STOP_SIGNAL)
    code: int = secantusdb(options)
    return code


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
