"""The commands the wheel installs, ``wnet`` and ``wnet-agent``: console entry points that run
the Rust programs' own code in the extension (``wnet_cli::main`` and ``wnet_agent::run``), so
that a wheel installed without Rust still gives both commands.

The agent the ``wnet`` command starts on demand is this interpreter on ``wnet._agent``, as for
any Python program (see ``wnet._agent``).
"""

import signal
import sys

from wnet._native import _agent_main, _cli_main


def wnet() -> int:
    """``wnet``: the command line, with ``sys.argv``; its exit code."""
    # The command runs in Rust without the interpreter's lock, where Python's own SIGINT
    # handler would only set a flag nobody reads: Ctrl-C ends it as it ends the binary.
    signal.signal(signal.SIGINT, signal.SIG_DFL)
    return _cli_main(sys.argv)


def wnet_agent() -> int:
    """``wnet-agent``: the per-user agent, with ``sys.argv``'s arguments; its exit code. It
    handles SIGINT and SIGTERM itself."""
    return _agent_main(sys.argv[1:])
