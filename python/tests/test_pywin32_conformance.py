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


def test_handles_are_read_as_pywin32_reads_them(sandbox):
    import operator

    # PyHANDLE.cpp: HANDLE() parses "|O:HANDLE" and converts with PyWinObject_AsHANDLE, which
    # takes None as 0, a PyHANDLE as its value, and anything else through PyNumber_Long as a
    # pointer (signed first, then unsigned: 2**64 - 1 reads back as -1); what does not
    # convert is "not a PyHANDLE object".
    HANDLE = pywintypes.HANDLE
    assert HANDLE().handle == HANDLE(None).handle == 0
    assert HANDLE(1.5).handle == 1
    assert HANDLE("5").handle == 5
    assert HANDLE(True).handle == 1
    assert HANDLE(HANDLE(3)).handle == 3
    assert HANDLE(2**64 - 1).handle == -1
    assert HANDLE(-(2**63)).handle == -(2**63)
    for bad in (2**64, -(2**63) - 1, "x", object()):
        assert _message(HANDLE, bad) == "The object is not a PyHANDLE object"
    assert _message(HANDLE, 1, 2) == "HANDLE() takes at most 1 argument (2 given)"
    assert _message(HANDLE, handle=1) == "HANDLE() takes no keyword arguments"
    # win32wnet.cpp: WNetAddConnection3 reads its owner window the same way.
    nr = win32wnet.NETRESOURCE()
    for owner in (1.5, "5", 2**64 - 1, HANDLE(7), None):
        with pytest.raises(win32wnet.error) as info:
            win32wnet.WNetAddConnection3(owner, nr)
        assert info.value.winerror == 87  # past the owner: the resource has no remote name
    assert _message(win32wnet.WNetAddConnection3, 2**64, nr) == (
        "The object is not a PyHANDLE object"
    )
    # PyHANDLE.cpp: the type is named PyHANDLE (its tp_name, which CPython's messages show),
    # can be subclassed (Py_TPFLAGS_BASETYPE) and has no constructor of its own.
    HANDLEType = pywintypes.HANDLEType
    assert (HANDLEType.__name__, HANDLEType.__qualname__) == ("PyHANDLE", "PyHANDLE")
    assert _message(operator.index, HANDLE(1)) == (
        "'PyHANDLE' object cannot be interpreted as an integer"
    )

    class Sub(HANDLEType):
        pass

    assert issubclass(Sub, HANDLEType)
    assert _message(HANDLEType) == "cannot create 'PyHANDLE' instances"
    assert _message(Sub) == "cannot create 'Sub' instances"


def test_a_plain_handle_of_an_enumeration_value_reaches_it():
    # win32wnet.cpp: PyWNetEnumResource takes any PyHANDLE and passes the value it holds
    # (PyWinObject_AsHANDLE) to WNetEnumResource, so a plain pywintypes.HANDLE of an open
    # enumeration's value enumerates it; WNetCloseEnum of such a handle ends the enumeration
    # here (see docs/pywin32-migration.md: pywin32 runs CloseHandle on it).
    opened = win32wnet.WNetOpenEnum(win32netcon.RESOURCE_GLOBALNET, 0, 0, None)
    value = opened.Detach()
    plain = pywintypes.HANDLE(value)
    items = win32wnet.WNetEnumResource(plain)
    assert [item.lpProvider for item in items] == ["Microsoft Windows Network"]
    assert win32wnet.WNetEnumResource(pywintypes.HANDLE(value)) == []  # the same enumeration
    win32wnet.WNetCloseEnum(plain)
    assert plain.handle == 0
    # Closed: a fresh enumeration with the value is not reachable any more.
    second = win32wnet.WNetOpenEnum(win32netcon.RESOURCE_GLOBALNET, 0, 0, None)
    value = second.Detach()
    win32wnet.WNetCloseEnum(pywintypes.HANDLE(value))
    assert win32wnet.WNetEnumResource(pywintypes.HANDLE(value)) == []
    # A value no enumeration has: nothing to enumerate, and closing only forgets it.
    stray = pywintypes.HANDLE(value)
    win32wnet.WNetCloseEnum(stray)
    assert stray.handle == 0


def test_pywintypes_names_and_the_signatures_agree_with_pywin32():
    import inspect

    # PyWinTypesmodule.cpp: the module's dict holds error, HANDLE and HANDLEType, and TRUE and
    # FALSE as the booleans.
    assert pywintypes.TRUE is True and pywintypes.FALSE is False
    assert callable(pywintypes.HANDLE) and isinstance(pywintypes.HANDLEType, type)
    assert issubclass(pywintypes.error, Exception)
    # win32wnet.cpp: the method table's docstrings (and @pyparm names) name the parameters;
    # the signatures use those names, positional-only as METH_VARARGS is.
    expected = {
        win32wnet.WNetCancelConnection2: ["localname", "dwflags", "bforce"],
        win32wnet.WNetOpenEnum: ["dwScope", "dwType", "dwUsage", "NETRESOURCE"],
        win32wnet.WNetCloseEnum: ["handle"],
        win32wnet.WNetEnumResource: ["handle", "maxExtries"],
        win32wnet.WNetGetUser: ["connectionName"],
        win32wnet.WNetGetConnection: ["connection"],
        win32wnet.WNetGetUniversalName: ["localPath", "infoLevel"],
        win32wnet.WNetGetResourceInformation: ["NetResource"],
        win32wnet.WNetGetResourceParent: ["NetResource"],
        win32wnet.WNetGetLastError: [],
    }
    for function, names in expected.items():
        parameters = inspect.signature(function).parameters.values()
        assert [parameter.name for parameter in parameters] == names, function.__name__
        assert all(parameter.kind is parameter.POSITIONAL_ONLY for parameter in parameters)
    assert inspect.signature(win32wnet.WNetEnumResource).parameters["maxExtries"].default == 64
    assert win32wnet.WNetGetUser.__doc__ == "connectionName=None"


def test_names_may_hold_lone_surrogates(sandbox, tmp_path):
    import os

    # PyUnicode.cpp: PyWinObject_AsWCHAR converts a str with PyUnicode_AsWideCharString, which
    # on Windows keeps a lone surrogate in the UTF-16; PyNetresource.cpp keeps that UTF-16 and
    # reads it back. A name decoded from a Linux path that is not UTF-8 (os.fsdecode) holds
    # such surrogates: it is accepted wherever a name is, and a NETRESOURCE gives it back.
    name = os.fsdecode(b"caf\xe9")
    assert name == "caf\udce9"
    nr = win32wnet.NETRESOURCE()
    for attribute in ("lpLocalName", "lpRemoteName", "lpComment", "lpProvider"):
        setattr(nr, attribute, "x\udce9\ud800y\0cut")
        assert getattr(nr, attribute) == "x\udce9\ud800y"
    # Lookups of a local name or path that no connection has: not connected, as on Windows.
    local = f"{tmp_path}/{name}"
    for call, funcname in (
        (win32wnet.WNetGetConnection, "WNetGetConnection"),
        (win32wnet.WNetGetUser, "WNetGetUser"),
        (win32wnet.WNetGetUniversalName, "WNetGetUniversalName (for buffer size)"),
    ):
        with pytest.raises(win32wnet.error) as info:
            call(local)
        assert info.value.args[:2] == (2250, funcname)
    with pytest.raises(win32wnet.error) as info:
        win32wnet.WNetCancelConnection2(local, 0, 0)
    assert info.value.winerror == 2250
    # Every string of WNetAddConnection2 takes them; a provider other than ours is refused
    # before anything is sent.
    with pytest.raises(win32wnet.error) as info:
        win32wnet.WNetAddConnection2(1, local, f"\\\\s\\{name}", f"P{name}", f"u{name}", f"p{name}")
    assert info.value.args[:2] == (1204, "WNetAddConnection2")
    # A character of the range that carries such bytes to the Rust side (U+EF80..U+EFFF),
    # typed as such, would name another directory: a local name holding one is refused.
    nr = win32wnet.NETRESOURCE()
    nr.dwType = win32netcon.RESOURCETYPE_DISK
    nr.lpLocalName = f"{tmp_path}/caf\uefe9"
    nr.lpRemoteName = "\\\\s\\x"
    with pytest.raises(win32wnet.error) as info:
        win32wnet.WNetAddConnection2(nr)
    assert info.value.args[:2] == (1200, "WNetAddConnection2")


def test_a_directory_that_is_not_utf8_is_a_mount_point(lab, sandbox, tmp_path):
    import os
    import subprocess

    from conftest import SERVER, password

    # The case: a directory whose name is not UTF-8 (Latin-1 "café"), given as
    # os.fsdecode spells it. pywin32 hands Windows the UTF-16 with the surrogate kept; on
    # Linux the bytes the surrogate stands for are the directory, so the share is mounted
    # there, byte for byte, and every call that takes or gives the local name agrees.
    directory = os.fsencode(tmp_path) + b"/caf\xe9"
    os.mkdir(directory)
    local = os.fsdecode(directory)
    assert local.endswith("caf\udce9")
    remote = f"\\\\{SERVER}\\public"
    nr = win32wnet.NETRESOURCE()
    nr.dwType = win32netcon.RESOURCETYPE_DISK
    nr.lpLocalName = local
    nr.lpRemoteName = remote
    win32wnet.WNetAddConnection2(nr, password(lab, "wnetalice"), "wnetalice")
    try:
        assert os.path.ismount(directory)
        assert win32wnet.WNetGetConnection(local) == remote
        assert win32wnet.WNetGetUser(local).endswith("wnetalice")
        handle = win32wnet.WNetOpenEnum(win32netcon.RESOURCE_CONNECTED, 0, 0, None)
        try:
            listed = win32wnet.WNetEnumResource(handle, -1)
        finally:
            handle.Close()
        assert [item.lpLocalName for item in listed] == [local]
        universal = win32wnet.WNetGetUniversalName(local + "/report.txt", 1)
        assert universal == remote + "\\report.txt"
        # Written through the mount, read back from the server by smbclient.
        with open(directory + b"/latin1.txt", "wb") as file:
            file.write(b"through a Latin-1 mount point\n")
        got = subprocess.run(
            ["smbclient", f"//{SERVER}/public", "-U", f"wnetalice%{password(lab, 'wnetalice')}",
             "-c", "get latin1.txt -"],
            capture_output=True, timeout=60, check=True,
        ).stdout
        assert b"through a Latin-1 mount point" in got
        os.remove(directory + b"/latin1.txt")
    finally:
        win32wnet.WNetCancelConnection2(local, 0, 1)
    assert not os.path.ismount(directory)


def test_a_mount_point_spelled_with_surrogate_escapes_is_that_directory(lab, sandbox, tmp_path):
    import os

    from conftest import SERVER, password

    # The other half of the rule above: os.fsdecode spells a byte that is not UTF-8 as a
    # surrogate (U+DC80..U+DCFF); the byte is what the file system has, so a name whose
    # escaped bytes are UTF-8 is that directory (here "café" spelled byte by byte).
    (tmp_path / "café").mkdir()
    spelled = f"{tmp_path}/" + "café".encode().decode("ascii", "surrogateescape")
    assert spelled.endswith("caf\udcc3\udca9")
    remote = f"\\\\{SERVER}\\public"
    nr = win32wnet.NETRESOURCE()
    nr.dwType = win32netcon.RESOURCETYPE_DISK
    nr.lpLocalName = spelled
    nr.lpRemoteName = remote
    win32wnet.WNetAddConnection2(nr, password(lab, "wnetalice"), "wnetalice")
    try:
        assert win32wnet.WNetGetConnection(f"{tmp_path}/café") == remote
        assert win32wnet.WNetGetConnection(spelled) == remote
        assert os.path.ismount(tmp_path / "café")
    finally:
        win32wnet.WNetCancelConnection2(f"{tmp_path}/café", 0, 1)


def test_int_overflow_is_worded_as_on_windows():
    # win32wnet.cpp parses counts, scopes and levels with `i`; getargs.c reads it with
    # PyLong_AsLong, and a Windows long is 32 bits, so a value outside the int range fails
    # there ("too large to convert to C long") before getargs.c's own range check.
    message = "Python int too large to convert to C long"
    for args in ((2, 2**31, 0, None), (2, 0, -(2**31) - 1, None), (2**64, 0, 0, None)):
        with pytest.raises(OverflowError) as info:
            win32wnet.WNetOpenEnum(*args)
        assert str(info.value) == message
    with pytest.raises(OverflowError) as info:
        win32wnet.WNetGetUniversalName("Z:", 2**31)
    assert str(info.value) == message
