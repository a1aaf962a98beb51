"""The per-user wnet agent, run from the installed package.

The library starts the agent on demand. Under Python the running program is the interpreter,
with no ``wnet-agent`` executable beside it, so the extension tells the library to start the
interpreter on this module instead (``$WNET_AGENT_PROGRAM`` still takes precedence):
``python -c "import sys; del sys.path[0]; ..."`` drops the current directory from the import
path first, so that a ``wnet`` source directory where the caller happens to run cannot stand in
for the installed package. ``python -m wnet._agent ARGS`` also runs it, by hand.
"""

import sys
from typing import List, Optional

from wnet._native import _agent_main


def main(args: Optional[List[str]] = None) -> int:
    """Runs the agent crate's own ``run`` with ``args`` (the command line's by default) until
    the agent stops; its exit code."""
    return _agent_main(sys.argv[1:] if args is None else args)


if __name__ == "__main__":
    sys.exit(main())
