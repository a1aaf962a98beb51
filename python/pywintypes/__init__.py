"""pywin32's ``pywintypes``, as far as the WNet and NetBIOS modules need it: the ``error``
exception that every ``win32wnet`` failure raises, and the ``HANDLE`` object that
``WNetOpenEnum`` returns.
"""

from wnet._native import pywintypes as _native

error = _native.error
HANDLEType = _native.HANDLEType
HANDLE = _native.HANDLE
# pywin32's module defines these aliases of the booleans.
TRUE = True
FALSE = False

del _native
