"""The exceptions of the Pythonic API: one class per Windows error a caller acts on, each a
``pywintypes.error`` too (so ``except pywintypes.error`` still catches it), with the
``winerror`` code, the ``funcname`` of the WNet function behind it, Windows' ``strerror`` and
the SMB ``ntstatus`` when the server gave one. The native module raises them itself: it
chooses the class for a code (``python/src/errors.rs``)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Optional

if TYPE_CHECKING:
    from pywintypes import error as _base_error
else:
    # The class pywintypes.error is (importing the pywintypes module here would be circular:
    # it imports wnet._native, which runs this package's __init__).
    from wnet._native import pywintypes as _pywintypes

    _base_error = _pywintypes.error


class Error(_base_error):
    """A wnet failure: ``winerror``, ``funcname``, ``strerror``, ``ntstatus`` and ``detail``
    (the cause in words, when it is not an NTSTATUS)."""

    ntstatus: Optional[int] = None
    detail: Optional[str] = None


class AccessDenied(Error):
    """ERROR_ACCESS_DENIED (5): the user may not use the resource."""


class NotSupported(Error):
    """ERROR_NOT_SUPPORTED (50)."""


class BadNetPath(Error):
    """ERROR_BAD_NETPATH (53): the server was not found or does not answer."""


class NameNotFound(BadNetPath):
    """A NetBIOS name that no name server or broadcast knows (53)."""


class BadNetName(Error):
    """ERROR_BAD_NET_NAME (67): the server has no such share."""


class Timeout(Error):
    """ERROR_SEM_TIMEOUT (121): no answer in time."""


class CredentialConflict(Error):
    """ERROR_SESSION_CREDENTIAL_CONFLICT (1219): the server is already used as another user."""


class NoNetwork(Error):
    """ERROR_NO_NETWORK (1222): the agent or the network is unavailable."""


class LogonFailure(Error):
    """ERROR_LOGON_FAILURE (1326) or ERROR_INVALID_PASSWORD (86): wrong user or password; or
    a logon Kerberos could not make where NTLM was not allowed, its ``detail`` saying what to
    fix: no tickets (1312), no KDC (1311), clock skew (1398), no such SPN (1396), an
    expired password (1330), an unknown realm (1355), NTLM blocked (1937)."""


class NotConnected(Error):
    """ERROR_NOT_CONNECTED (2250): no such connection."""
