"""pywin32's behaviour where this package used to differ (issue 19): argument parsing and its
messages, strings with lone surrogates, and handles. Each test says where pywin32 does what it
pins; the messages of argument errors are CPython's `PyArg_Parse*` ones (Python/getargs.c),
which pywin32's C functions raise."""

import pytest

import pywintypes
import win32netcon
import win32wnet


def _message(call, *args, **kwargs):
    with pytest.raises(TypeError) as info:
        call(*args, **kwargs)
    return str(info.value)


def test_none_is_not_a_count_or_a_level():
    # win32wnet.cpp: PyWNetEnumResource reads its count with "O!|i" and
    # PyWNetGetUniversalName its level with "O|i:WNetGetUniversalName"; the `i` unit takes an
    # int only, so None is refused like any other non-integer (only an absent count or level
    # gets the default).
    handle = win32wnet.WNetOpenEnum(win32netcon.RESOURCE_GLOBALNET, 0, 0, None)
    try:
        expected = "'NoneType' object cannot be interpreted as an integer"
        assert _message(win32wnet.WNetEnumResource, handle, None) == expected
        assert _message(win32wnet.WNetGetUniversalName, "Z:\\dir", None) == expected
        assert _message(win32wnet.WNetEnumResource, handle, 1.5) == (
            "'float' object cannot be interpreted as an integer"
        )
        # Absent: the defaults (64 items; UNIVERSAL_NAME_INFO_LEVEL).
        assert len(win32wnet.WNetEnumResource(handle)) == 1
    finally:
        handle.Close()


def test_argument_errors_have_pywin32s_messages():
    nr = win32wnet.NETRESOURCE()
    handle = pywintypes.HANDLE(0)
    # Counts: "function takes …" for a format without a name, "Name() takes …" with one
    # (win32wnet.cpp: "Okk", "iiiO", "O", "O!|i", "|O", "O!"; and "O|i:WNetGetUniversalName",
    # "O:WNetGetResourceParent", ":WNetGetLastError").
    assert _message(win32wnet.WNetCancelConnection2, "Z:", 0) == (
        "function takes exactly 3 arguments (2 given)"
    )
    assert _message(win32wnet.WNetOpenEnum, 2, 0, 0) == (
        "function takes exactly 4 arguments (3 given)"
    )
    assert _message(win32wnet.WNetCloseEnum) == "function takes exactly 1 argument (0 given)"
    assert _message(win32wnet.WNetEnumResource) == "function takes at least 1 argument (0 given)"
    assert _message(win32wnet.WNetEnumResource, handle, 1, 2) == (
        "function takes at most 2 arguments (3 given)"
    )
    assert _message(win32wnet.WNetGetUser, "a", "b") == (
        "function takes at most 1 argument (2 given)"
    )
    assert _message(win32wnet.WNetGetConnection, "a", "b") == (
        "function takes at most 1 argument (2 given)"
    )
    assert _message(win32wnet.WNetGetUniversalName) == (
        "WNetGetUniversalName() takes at least 1 argument (0 given)"
    )
    assert _message(win32wnet.WNetGetResourceInformation) == (
        "function takes exactly 1 argument (0 given)"
    )
    assert _message(win32wnet.WNetGetResourceParent, nr, nr) == (
        "WNetGetResourceParent() takes exactly 1 argument (2 given)"
    )
    assert _message(win32wnet.WNetGetLastError, 1) == (
        "WNetGetLastError() takes exactly 0 arguments (1 given)"
    )
    # Keywords: the METH_VARARGS functions refuse them by name (CPython's methodobject.c).
    assert _message(win32wnet.WNetOpenEnum, 2, 0, 0, None, x=1) == (
        "WNetOpenEnum() takes no keyword arguments"
    )
    assert _message(win32wnet.WNetEnumResource, handle, maxExtries=5) == (
        "WNetEnumResource() takes no keyword arguments"
    )
    assert _message(win32wnet.WNetGetLastError, x=1) == (
        "WNetGetLastError() takes no keyword arguments"
    )
    # Conversions: the `k` and `O!` units name the argument ("None", not "NoneType").
    assert _message(win32wnet.WNetCancelConnection2, "Z:", 1.5, 0) == (
        "argument 2 must be int, not float"
    )
    assert _message(win32wnet.WNetCancelConnection2, "Z:", 0, None) == (
        "argument 3 must be int, not None"
    )
    assert _message(win32wnet.WNetEnumResource, None) == "argument 1 must be PyHANDLE, not None"
    assert _message(win32wnet.WNetEnumResource, 5) == "argument 1 must be PyHANDLE, not int"
    assert _message(win32wnet.WNetGetResourceInformation, None) == (
        "argument 1 must be PyNETRESOURCE, not None"
    )
    assert _message(win32wnet.Netbios, None) == "Netbios() argument 1 must be PyNCB, not None"
    # The keyword forms of WNetAddConnection2 ("O|OOk") and WNetAddConnection3 ("OO|OOk").
    add2, add3 = win32wnet.WNetAddConnection2, win32wnet.WNetAddConnection3
    assert _message(add2) == "function missing required argument 'NetResource' (pos 1)"
    assert _message(add3, None) == "function missing required argument 'NetResource' (pos 2)"
    assert _message(add2, nr, Flags=1.5) == "argument 4 must be int, not float"
    assert _message(add3, None, nr, Flags=None) == "argument 5 must be int, not None"
    assert _message(add2, nr, None, None, 0, Passwd=1) == (
        "function takes at most 4 arguments (5 given)"
    )
    assert _message(add2, NetResource=nr, Password=None, UserName=None, Flags=0, x=1) == (
        "function takes at most 4 keyword arguments (5 given)"
    )
    assert _message(add2, nr, "pw", Password="pw") == (
        "argument for function given by name ('Password') and position (2)"
    )
    assert _message(add2, nr, Passwd="x") == (
        "'Passwd' is an invalid keyword argument for this function"
    )
    # Flags is converted before the keywords are checked.
    assert _message(add2, nr, Flags=1.5, Passwd="x") == "argument 4 must be int, not float"
    # The legacy form ("iOO|OOOi") converts the password before the user name.
    assert _message(add2, 1, None, r"\\s\x", None, 5, b"pw") == (
        "Objects of type 'bytes' can not be converted to Unicode."
    )
    # The constructors ("…:NETRESOURCE", "…:NCB" with no keywords; PyNetresource.cpp, PyNCB.cpp).
    assert _message(win32wnet.NETRESOURCE, 1) == "NETRESOURCE() takes at most 0 arguments (1 given)"
    assert _message(win32wnet.NETRESOURCE, dwType=1) == (
        "NETRESOURCE() takes at most 0 keyword arguments (1 given)"
    )
    assert _message(win32wnet.NCB, Command=1) == (
        "NCB() takes at most 0 keyword arguments (1 given)"
    )
    # PyNCB.cpp asks for the buffer directly: the buffer protocol's message, unprefixed.
    ncb = win32wnet.NCB()
    with pytest.raises(TypeError) as info:
        ncb.Buffer = "x"
    assert str(info.value) == "a bytes-like object is required, not 'str'"
