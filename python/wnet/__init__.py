"""wnet: the Windows Networking API (WNet and NetBIOS) on Linux.

This package is the Pythonic front of the Rust crates; the pywin32-compatible modules
(``win32wnet``, ``win32netcon``, ``netbios``, ``pywintypes``) are built beside it.
"""

from wnet._native import __version__

__all__ = ["__version__"]
