"""``python -m wnet._agent ARGS``: the per-user wnet agent, run from the installed package.

The library starts the agent on demand. Under Python the running program is the interpreter,
with no ``wnet-agent`` executable beside it, so the extension tells the library to start
``python -m wnet._agent`` instead (``$WNET_AGENT_PROGRAM`` still takes precedence); this runs
the agent crate's own ``run`` with the arguments it is given.
"""

import sys

from wnet._native import _agent_main

if __name__ == "__main__":
    sys.exit(_agent_main(sys.argv[1:]))
