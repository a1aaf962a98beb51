"""The pywin32 surface of win32wnet, pywintypes, win32netcon and netbios, without the network:
types, attributes and their integer and string rules, argument parsing, the enumeration
handle, and the constants (pywin32's values, as ../shared/reference/win32wnet-api.md lists)."""

import copy
import pickle
import struct
import warnings

import pytest

import netbios
import pywintypes
import win32netcon
import win32wnet


# -- module surface -------------------------------------------------------------------------


def test_module_surface_is_pywin32s():
    names = {
        "error", "NETRESOURCE", "NETRESOURCEType", "NCB", "NCBType", "NCBBuffer", "Netbios",
        "WNetAddConnection2", "WNetAddConnection3", "WNetCancelConnection2", "WNetOpenEnum",
        "WNetCloseEnum", "WNetEnumResource", "WNetGetUser", "WNetGetUniversalName",
        "WNetGetResourceInformation", "WNetGetLastError", "WNetGetResourceParent",
        "WNetGetConnection",
    }  # fmt: skip
    public = {name for name in dir(win32wnet) if not name.startswith("_")}
    assert public == names
    assert win32wnet.NETRESOURCE is win32wnet.NETRESOURCEType
    assert win32wnet.NCB is win32wnet.NCBType
    # Functions pywin32 does not expose.
    for absent in ("WNetAddConnection", "WNetCancelConnection", "WNetUseConnection"):
        assert not hasattr(win32wnet, absent)


def test_docstrings_are_pywin32s():
    assert win32wnet.NCBBuffer.__doc__ == "Creates a memory buffer"
    assert win32wnet.Netbios.__doc__ == "Calls the windows Netbios function"
    assert win32wnet.WNetCancelConnection2.__doc__ == "localname,dwflags,bforce"
    assert win32wnet.WNetOpenEnum.__doc__ == "dwScope,dwType,dwUsage,NETRESOURCE - returns PyHANDLE"
    assert win32wnet.WNetGetUniversalName.__doc__ == (
        "localPath, infoLevel=UNIVERSAL_NAME_INFO_LEVEL"
    )


def test_error_is_pywintypes_error_with_its_attributes():
    assert win32wnet.error is pywintypes.error
    assert pywintypes.error.__module__ == "pywintypes"
    assert pywintypes.error.__qualname__ == "error"
    assert issubclass(pywintypes.error, Exception)
    e = pywintypes.error(5, "Fn", "Access is denied.")
    assert (e.winerror, e.funcname, e.strerror) == (5, "Fn", "Access is denied.")
    assert e.args == (5, "Fn", "Access is denied.")
    empty = pywintypes.error()
    assert (empty.winerror, empty.funcname, empty.strerror) == (None, None, None)


# -- NETRESOURCE ----------------------------------------------------------------------------


def test_netresource_starts_zeroed_and_takes_no_arguments():
    nr = win32wnet.NETRESOURCE()
    assert (nr.dwScope, nr.dwType, nr.dwDisplayType, nr.dwUsage) == (0, 0, 0, 0)
    assert (nr.lpLocalName, nr.lpRemoteName, nr.lpComment, nr.lpProvider) == (None,) * 4
    with pytest.raises(TypeError):
        win32wnet.NETRESOURCE(1)
    with pytest.raises(TypeError):
        win32wnet.NETRESOURCE(dwType=1)
    assert type(nr).__name__ == "PyNETRESOURCE"
    assert type(nr).__module__ == "builtins"
    assert repr(nr).startswith("<PyNETRESOURCE object at 0x")


def test_netresource_integers_are_signed_32_bit():
    nr = win32wnet.NETRESOURCE()
    nr.dwType = win32netcon.RESOURCETYPE_UNKNOWN
    assert nr.dwType == -1
    nr.dwUsage = win32netcon.RESOURCEUSAGE_CONTAINER | win32netcon.RESOURCEUSAGE_RESERVED
    assert nr.dwUsage == -2147483646
    nr.dwScope = True
    assert nr.dwScope == 1
    for too_big in (0xFFFFFFFF, 2**31, -(2**31) - 1, 2**70):
        with pytest.raises(OverflowError):
            nr.dwDisplayType = too_big
    for not_int in (1.0, "1", None, b"1"):
        with pytest.raises(TypeError):
            nr.dwScope = not_int
    assert nr.dwScope == 1


def test_netresource_strings_take_str_or_none_and_end_at_nul():
    nr = win32wnet.NETRESOURCE()
    nr.lpRemoteName = r"\\server\share"
    assert nr.lpRemoteName == r"\\server\share"
    nr.lpRemoteName = None
    assert nr.lpRemoteName is None
    nr.lpComment = "before\0after"
    assert nr.lpComment == "before"
    with pytest.raises(TypeError, match="Objects of type 'bytes' can not be converted to Unicode."):
        nr.lpLocalName = b"Z:"
    with pytest.raises(TypeError, match="Objects of type 'int' can not be converted to Unicode."):
        nr.lpProvider = 5


def test_netresource_has_no_dict_no_subclass_no_delete():
    nr = win32wnet.NETRESOURCE()
    with pytest.raises(AttributeError):
        nr.lpSomething = "x"
    for name in ("dwScope", "lpRemoteName"):
        with pytest.raises(AttributeError, match="can't delete NETRESOURCE attributes"):
            delattr(nr, name)
    with pytest.raises(TypeError):

        class Sub(win32wnet.NETRESOURCE):  # noqa: F841
            pass

    members = {"dwScope", "dwType", "dwDisplayType", "dwUsage"}
    members |= {"lpLocalName", "lpRemoteName", "lpComment", "lpProvider"}
    assert members <= set(dir(nr))
    with pytest.raises(AttributeError):
        nr.__dict__  # noqa: B018 - the read is the test
    # No pickling or copying, as pywin32's.
    for copier in (pickle.dumps, copy.copy):
        with pytest.raises(TypeError):
            copier(nr)
        with pytest.raises(TypeError):
            copier(win32wnet.NCB())
    # Identity equality and hashing, as pywin32's (its compare() is not wired).
    other = win32wnet.NETRESOURCE()
    assert nr != other and nr == nr
    hash(nr)


# -- NCB ------------------------------------------------------------------------------------


BYTE_FIELDS = ("Command", "Retcode", "Lsn", "Num", "Rto", "Sto", "Lana_num", "Cmd_cplt")


def test_ncb_starts_zeroed():
    ncb = win32wnet.NCB()
    for name in BYTE_FIELDS:
        assert getattr(ncb, name) == 0, name
    assert (ncb.Bufflen, ncb.Event, ncb.Post) == (0, 0, 0)
    assert (ncb.Callname, ncb.Name, ncb.Buffer) == ("", "", None)
    with pytest.raises(TypeError):
        win32wnet.NCB(1)
    assert type(ncb).__name__ == "PyNCB"
    assert type(ncb).__module__ == "builtins"
    with pytest.raises(TypeError):

        class Sub(win32wnet.NCB):  # noqa: F841
            pass

    with pytest.raises(AttributeError):
        ncb.__dict__  # noqa: B018 - the read is the test
    assert repr(ncb).startswith("<PyNCB object at 0x")


def test_ncb_bytes_read_signed_and_warn_on_truncation():
    ncb = win32wnet.NCB()
    for name in BYTE_FIELDS:
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            setattr(ncb, name, 127)
            assert getattr(ncb, name) == 127
            setattr(ncb, name, -128)
            assert getattr(ncb, name) == -128
        with pytest.warns(RuntimeWarning, match="Truncation of value to char"):
            setattr(ncb, name, netbios.NCBRESET | netbios.ASYNCH)
        assert getattr(ncb, name) == -78, name
        with pytest.warns(RuntimeWarning):
            setattr(ncb, name, netbios.NRC_PENDING)
        assert getattr(ncb, name) == -1
        with pytest.warns(RuntimeWarning):
            setattr(ncb, name, 0x1234)
        assert getattr(ncb, name) == 0x34
        with pytest.raises(OverflowError):
            setattr(ncb, name, 2**31)
        with pytest.raises(TypeError):
            setattr(ncb, name, 1.5)


def test_ncb_truncation_warning_as_error_still_stores_the_byte():
    ncb = win32wnet.NCB()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with pytest.raises(RuntimeWarning):
            ncb.Command = 0x1FF
    assert ncb.Command == -1


def test_ncb_event_and_post_are_32_bit_longs():
    ncb = win32wnet.NCB()
    ncb.Event = -5
    ncb.Post = 2**31 - 1
    assert (ncb.Event, ncb.Post) == (-5, 2**31 - 1)
    with pytest.raises(OverflowError):
        ncb.Event = 2**31


def test_ncb_names_are_space_padded_16_bytes():
    ncb = win32wnet.NCB()
    ncb.Callname = "abc"
    assert ncb.Callname == "abc" + " " * 13
    ncb.Callname = b"*               "
    assert ncb.Callname == "*" + " " * 15
    ncb.Name = "A" * 20
    assert ncb.Name == "A" * 16
    ncb.Name = b"ab\0cd"
    assert ncb.Name == "ab"
    ncb.Callname = ""
    assert ncb.Callname == ""
    ncb.Name = "\xe9t\xe9"
    assert ncb.Name == "\xe9t\xe9" + " " * 13
    ncb.Name = b"\x80a\xe9\x9f"  # code page 1252
    assert ncb.Name == "\u20aca\xe9\u0178" + " " * 12
    with pytest.raises(UnicodeEncodeError):
        ncb.Name = "\u4e2d"
    with pytest.raises(TypeError, match="None is not a valid string in this context"):
        ncb.Name = None
    with pytest.raises(TypeError, match="Expected 'bytes', got 'int'"):
        ncb.Callname = 5


def test_ncb_buffer_rules():
    ncb = win32wnet.NCB()
    buf = win32wnet.NCBBuffer(10)
    ncb.Buffer = buf
    assert ncb.Buffer is buf
    assert ncb.Bufflen == 10
    ncb.Buffer = bytearray(40000)
    assert ncb.Bufflen == 40000 - 65536  # ncb_length read as a signed short
    with pytest.raises(BufferError):
        ncb.Buffer = b"read-only bytes"
    with pytest.raises(TypeError, match="Buffer cannot be None"):
        ncb.Buffer = None
    with pytest.raises(ValueError, match="Buffer can be at most 65535 bytes"):
        ncb.Buffer = bytearray(65536)
    with pytest.raises(TypeError):
        ncb.Buffer = 5
    with pytest.raises(AttributeError):
        ncb.Bufflen = 5
    with pytest.raises(AttributeError, match="can't delete NCB attributes"):
        del ncb.Buffer
    with pytest.raises(AttributeError, match="can't delete NCB attributes"):
        del ncb.Command


def test_ncb_buffer_through_underscore_buffer():
    ncb = win32wnet.NCB()
    adapter = netbios.ADAPTER_STATUS()
    ncb.Buffer = adapter
    assert ncb.Buffer is adapter
    assert ncb.Bufflen == 60


def test_ncb_dir_and_reset():
    ncb = win32wnet.NCB()
    listed = set(dir(ncb))
    assert set(BYTE_FIELDS) | {"Bufflen", "Callname", "Name", "Event", "Post", "Reset"} <= listed
    assert "Buffer" not in listed
    ncb.Command = netbios.NCBASTAT
    ncb.Callname = "X"
    ncb.Buffer = win32wnet.NCBBuffer(4)
    ncb.Event = 3
    assert ncb.Reset() is None
    assert (ncb.Command, ncb.Callname, ncb.Buffer, ncb.Bufflen, ncb.Event) == (0, "", None, 0, 0)
    with pytest.raises(TypeError):
        ncb.Reset(1)
    with pytest.raises(AttributeError):
        ncb.something = 1


def test_ncbbuffer_is_a_zeroed_writable_memoryview():
    mv = win32wnet.NCBBuffer(8)
    assert isinstance(mv, memoryview)
    assert (mv.format, mv.itemsize, mv.readonly, len(mv)) == ("B", 1, False, 8)
    assert bytes(mv) == bytes(8)
    mv[:] = struct.pack("<Q", 0x0102030405060708)
    assert mv[0] == 8
    with pytest.raises(SystemError):
        win32wnet.NCBBuffer(-1)
    with pytest.raises(TypeError):
        win32wnet.NCBBuffer("8")
    with pytest.raises(TypeError):
        win32wnet.NCBBuffer(size=8)


def test_netbios_takes_only_an_ncb():
    with pytest.raises(TypeError, match="argument 1 must be PyNCB, not int"):
        win32wnet.Netbios(5)
    with pytest.raises(TypeError):
        win32wnet.Netbios(ncb=win32wnet.NCB())


# -- the enumeration handle -----------------------------------------------------------------


def test_globalnet_root_enumeration_and_its_handle():
    handle = win32wnet.WNetOpenEnum(win32netcon.RESOURCE_GLOBALNET, 0, 0, None)
    assert type(handle).__name__ == "PyHANDLE"
    assert type(handle) is pywintypes.HANDLEType
    value = handle.handle
    assert value > 0 and int(handle) == value and bool(handle)
    assert repr(handle) == str(handle) == f"<PyNetEnumHANDLE:{value}>"
    assert handle == value and handle != value + 1
    with pytest.raises(TypeError, match="bad operand type"):
        handle + 1
    items = win32wnet.WNetEnumResource(handle)
    assert len(items) == 1
    provider = items[0]
    assert provider.lpRemoteName == provider.lpProvider == "Microsoft Windows Network"
    assert provider.dwScope == win32netcon.RESOURCE_GLOBALNET
    assert provider.dwDisplayType == win32netcon.RESOURCEDISPLAYTYPE_NETWORK
    assert provider.dwUsage == -2147483646  # CONTAINER | RESERVED, read signed
    assert win32wnet.WNetEnumResource(handle) == []
    handle.Close()
    assert handle.handle == 0 and not handle
    handle.Close()  # closing again does nothing
    handle.close()
    assert win32wnet.WNetEnumResource(handle, 0) == []


def test_closed_enumeration_rejects_further_closes_through_wnetcloseenum():
    handle = win32wnet.WNetOpenEnum(win32netcon.RESOURCE_GLOBALNET, 0, 0, None)
    win32wnet.WNetCloseEnum(handle)
    assert handle.handle == 0
    with pytest.raises(TypeError, match="Not a handle object"):
        win32wnet.WNetCloseEnum(5)
    with pytest.raises(TypeError, match="argument 1 must be PyHANDLE, not int"):
        win32wnet.WNetEnumResource(5)


def test_detached_handle_is_not_closed_and_dropped_handles_close():
    handle = win32wnet.WNetOpenEnum(win32netcon.RESOURCE_GLOBALNET, 0, 0, None)
    value = handle.Detach()
    assert handle.handle == 0
    # The enumeration stays open: a plain handle object of the same value cannot reach it,
    # but a new enumeration gets a new number.
    second = win32wnet.WNetOpenEnum(win32netcon.RESOURCE_GLOBALNET, 0, 0, None)
    assert second.handle != value
    del second  # closed on drop


def test_plain_handles():
    h = pywintypes.HANDLE(7)
    assert (h.handle, int(h), repr(h)) == (7, 7, "<PyHANDLE:7>")
    assert h == pywintypes.HANDLE(7)
    assert h != pywintypes.HANDLE(8)
    win32wnet.WNetCloseEnum(h)  # no enumeration has this value: closing only forgets it
    assert h.handle == 0
    closed = win32wnet.WNetOpenEnum(win32netcon.RESOURCE_GLOBALNET, 0, 0, None)
    value = closed.handle
    closed.Close()
    assert win32wnet.WNetEnumResource(pywintypes.HANDLE(value)) == []


def test_enumeration_count_rules():
    handle = win32wnet.WNetOpenEnum(win32netcon.RESOURCE_GLOBALNET, 0, 0, None)
    assert len(win32wnet.WNetEnumResource(handle, -1)) == 1
    handle.Close()
    with pytest.raises(OverflowError):
        win32wnet.WNetEnumResource(handle, 2**31)
    with pytest.raises(TypeError):
        win32wnet.WNetEnumResource(handle, maxExtries=5)


# -- argument parsing -----------------------------------------------------------------------


def test_open_enum_arguments():
    with pytest.raises(OverflowError):
        win32wnet.WNetOpenEnum(win32netcon.RESOURCE_GLOBALNET, 0xFFFFFFFF, 0, None)
    with pytest.raises(TypeError, match="The object is not a PyNETRESOURCE object"):
        win32wnet.WNetOpenEnum(win32netcon.RESOURCE_GLOBALNET, 0, 0, "x")
    with pytest.raises(TypeError):
        win32wnet.WNetOpenEnum(2, 0, 0)
    with pytest.raises(TypeError):
        win32wnet.WNetOpenEnum(scope=2, type=0, usage=0, resource=None)


def _error(call, *args, **kwargs):
    with pytest.raises(win32wnet.error) as info:
        call(*args, **kwargs)
    return info.value


def test_open_enum_errors_are_pywintypes_errors():
    share = win32wnet.NETRESOURCE()
    share.lpRemoteName = r"\\server\share"
    e = _error(win32wnet.WNetOpenEnum, win32netcon.RESOURCE_GLOBALNET, 0, 0, share)
    assert e.args == (1207, "WNetOpenEnum", "Cannot enumerate a noncontainer.")
    e = _error(win32wnet.WNetOpenEnum, 9, 0, 0, None)
    assert e.args == (87, "WNetOpenEnum", "The parameter is incorrect.")
    e = _error(win32wnet.WNetOpenEnum, win32netcon.RESOURCE_CONNECTED, 0, 0, share)
    assert e.winerror == 87
    e = _error(win32wnet.WNetOpenEnum, win32netcon.RESOURCE_GLOBALNET, 7, 0, None)
    assert e.winerror == 87
    share.lpProvider = "Some Other Network"
    share.lpRemoteName = r"\\server"
    e = _error(win32wnet.WNetOpenEnum, win32netcon.RESOURCE_GLOBALNET, 0, 0, share)
    assert e.args == (1204, "WNetOpenEnum", "The specified network provider name is invalid.")


def test_add_connection2_argument_forms_without_the_network(sandbox):
    nr = win32wnet.NETRESOURCE()
    # Neither form: NETRESOURCE missing, keyword typo, too many, wrong type.
    with pytest.raises(TypeError):
        win32wnet.WNetAddConnection2()
    with pytest.raises(TypeError):
        win32wnet.WNetAddConnection2(NetResource=nr, Passwd="x")
    with pytest.raises(TypeError):
        win32wnet.WNetAddConnection2(nr, None, None, 0, 5)
    with pytest.raises(TypeError, match="The object is not a PyNETRESOURCE object"):
        win32wnet.WNetAddConnection2(None)
    with pytest.raises(TypeError, match="The object is not a PyNETRESOURCE object"):
        win32wnet.WNetAddConnection2(1, "Z:")
    with pytest.raises(TypeError):
        win32wnet.WNetAddConnection2(nr, Flags=1.5)
    with pytest.raises(TypeError):
        win32wnet.WNetAddConnection2(nr, "pw", Password="pw")
    # The legacy form: the remote name is required, strings are str.
    with pytest.raises(TypeError, match="None is not a valid string in this context"):
        win32wnet.WNetAddConnection2(1, "Z:", None)
    with pytest.raises(TypeError, match="Objects of type 'bytes'"):
        win32wnet.WNetAddConnection2(1, None, r"\\s\x", None, b"user")
    # Both forms reach the API: a NETRESOURCE without a remote name is a bad parameter, a
    # provider other than ours a bad provider.
    e = _error(win32wnet.WNetAddConnection2, nr, None, None, 0)
    assert e.args == (87, "WNetAddConnection2", "The parameter is incorrect.")
    e = _error(win32wnet.WNetAddConnection2, NetResource=nr, Flags=2**40 + 1)
    assert e.winerror == 87
    e = _error(win32wnet.WNetAddConnection2, 1, None, r"\\s\x", "Other Provider")
    assert e.args[:2] == (1204, "WNetAddConnection2")
    # A resource type that cannot redirect a device.
    e = _error(win32wnet.WNetAddConnection2, 5, None, r"\\s\x", None, None, None, 0)
    assert e.winerror == 66


def test_add_connection3_arguments(sandbox):
    nr = win32wnet.NETRESOURCE()
    with pytest.raises(TypeError, match="The object is not a PyHANDLE object"):
        win32wnet.WNetAddConnection3("window", nr)
    with pytest.raises(TypeError):
        win32wnet.WNetAddConnection3(None)
    with pytest.raises(TypeError, match="The object is not a PyNETRESOURCE object"):
        win32wnet.WNetAddConnection3(None, None)
    e = _error(win32wnet.WNetAddConnection3, 0, nr)
    assert e.args[:2] == (87, "WNetAddConnection3")
    e = _error(win32wnet.WNetAddConnection3, HwndOwner=pywintypes.HANDLE(0), NetResource=nr)
    assert e.winerror == 87


def test_cancel_connection2_arguments(sandbox):
    with pytest.raises(TypeError, match="None is not a valid string in this context"):
        win32wnet.WNetCancelConnection2(None, 0, 0)
    with pytest.raises(TypeError):
        win32wnet.WNetCancelConnection2("Z:", 0)
    with pytest.raises(TypeError):
        win32wnet.WNetCancelConnection2("Z:", 0.0, 0)
    with pytest.raises(TypeError):
        win32wnet.WNetCancelConnection2(name="Z:", flags=0, force=0)
    e = _error(win32wnet.WNetCancelConnection2, "Z:", 0, 1)
    assert e.args == (2250, "WNetCancelConnection2", "This network connection does not exist.")


def test_get_connection_user_universal_name_without_connections(sandbox):
    e = _error(win32wnet.WNetGetConnection, "Z:")
    assert e.args == (2250, "WNetGetConnection", "This network connection does not exist.")
    e = _error(win32wnet.WNetGetConnection, "not a device")
    assert e.args[:2] == (1200, "WNetGetConnection")
    e = _error(win32wnet.WNetGetConnection)
    assert e.args[:2] == (487, "WNetGetConnection")
    e = _error(win32wnet.WNetGetUser, "Z:")
    assert e.args[:2] == (2250, "WNetGetUser")
    assert isinstance(win32wnet.WNetGetUser(), str) and win32wnet.WNetGetUser()
    assert win32wnet.WNetGetUser(None) == win32wnet.WNetGetUser()
    e = _error(win32wnet.WNetGetUniversalName, "Z:\\dir")
    assert e.args[:2] == (2250, "WNetGetUniversalName (for buffer size)")
    e = _error(win32wnet.WNetGetUniversalName, "Z:\\dir", 3)
    assert e.args[:2] == (124, "WNetGetUniversalName (for buffer size)")
    with pytest.raises(TypeError):
        win32wnet.WNetGetUniversalName(None)
    with pytest.raises(TypeError):
        win32wnet.WNetGetUser(5)


def test_the_current_user_without_user_variables_is_the_passwd_name(monkeypatch):
    import os
    import pwd

    for variable in ("WNET_USER", "USER", "LOGNAME"):
        monkeypatch.delenv(variable, raising=False)
    assert win32wnet.WNetGetUser() == pwd.getpwuid(os.getuid()).pw_name
    monkeypatch.setenv("USER", "someone")
    assert win32wnet.WNetGetUser() == "someone"


def test_resource_information_and_parent_argument_rules():
    with pytest.raises(TypeError, match="argument 1 must be PyNETRESOURCE, not None$"):
        win32wnet.WNetGetResourceInformation(None)
    with pytest.raises(TypeError, match="The object is not a PyNETRESOURCE object"):
        win32wnet.WNetGetResourceParent(None)
    nr = win32wnet.NETRESOURCE()
    e = _error(win32wnet.WNetGetResourceParent, nr)
    assert e.args[:2] == (67, "WNetGetResourceParent")
    nr.lpRemoteName = "Microsoft Windows Network"
    parent = win32wnet.WNetGetResourceParent(nr)
    assert parent.lpProvider == "Microsoft Windows Network" and parent.lpRemoteName is None
    nr.lpRemoteName = "WNETLAB"
    parent = win32wnet.WNetGetResourceParent(nr)
    assert parent.lpRemoteName == "Microsoft Windows Network"
    assert parent.dwDisplayType == win32netcon.RESOURCEDISPLAYTYPE_NETWORK
    nr.lpRemoteName = r"\\server\share"
    parent = win32wnet.WNetGetResourceParent(nr)
    assert parent.lpRemoteName == r"\\server"
    assert parent.dwDisplayType == win32netcon.RESOURCEDISPLAYTYPE_SERVER
    # A namespace's (or a share's) folders walk up one component at a time.
    nr.lpRemoteName = r"\\fs1\dfs\link\folder"
    parent = win32wnet.WNetGetResourceParent(nr)
    assert parent.lpRemoteName == r"\\fs1\dfs\link"
    assert parent.dwDisplayType == win32netcon.RESOURCEDISPLAYTYPE_DIRECTORY
    parent = win32wnet.WNetGetResourceParent(parent)
    assert parent.lpRemoteName == r"\\fs1\dfs"
    assert parent.dwDisplayType == win32netcon.RESOURCEDISPLAYTYPE_SHARE
    assert parent.dwType == win32netcon.RESOURCETYPE_DISK


def test_get_last_error_shape():
    with pytest.raises(TypeError):
        win32wnet.WNetGetLastError(1)
    code, text, provider = win32wnet.WNetGetLastError()
    assert isinstance(code, int) and code >= 0
    assert isinstance(text, str) and isinstance(provider, str)


# -- win32netcon and netbios constants and structures ---------------------------------------


def test_win32netcon_values():
    assert win32netcon.RESOURCE_CONNECTED == 1
    assert win32netcon.RESOURCE_GLOBALNET == 2
    assert win32netcon.RESOURCE_REMEMBERED == 3
    assert win32netcon.RESOURCE_CONTEXT == 5
    assert win32netcon.RESOURCETYPE_UNKNOWN == -1
    assert win32netcon.RESOURCEUSAGE_ALL == 19
    assert win32netcon.RESOURCEUSAGE_RESERVED == -2147483648
    assert win32netcon.CONNECT_UPDATE_PROFILE == 1
    assert win32netcon.CONNECT_REDIRECT == 128
    assert win32netcon.CONNECT_RESERVED == -16777216
    assert win32netcon.RESOURCEDISPLAYTYPE_NDSCONTAINER == 11
    assert win32netcon.WNNC_NET_LANMAN == 0x20000
    assert win32netcon.WNNC_NET_RDR2SAMPLE == 0x250000
    assert win32netcon.REMOTE_NAME_INFO_LEVEL == 2
    assert win32netcon.DISC_NO_FORCE == 64
    assert not hasattr(win32netcon, "CONNECT_COMMANDLINE")  # SDK only, not in pywin32


def test_netbios_structures_have_the_windows_sizes():
    sizes = {
        netbios.ADAPTER_STATUS: 60,
        netbios.NAME_BUFFER: 18,
        netbios.SESSION_HEADER: 4,
        netbios.SESSION_BUFFER: 36,
        netbios.LANA_ENUM: 256,
        netbios.FIND_NAME_HEADER: 4,
        netbios.FIND_NAME_BUFFER: 33,
        netbios.ACTION_HEADER: 8,
    }
    for factory, size in sizes.items():
        instance = factory()
        assert len(instance._buffer_) == size, factory.__name__
        assert isinstance(instance._buffer_, memoryview)
    assert netbios.NCB is win32wnet.NCB
    assert (netbios.NCBENUM, netbios.NCBASTAT, netbios.NCBFINDNAME) == (0x37, 0x33, 0x78)
    assert (netbios.NRC_BRIDGE, netbios.NRC_PENDING, netbios.MAX_LANA) == (0x23, 0xFF, 254)
    assert netbios.ALL_TRANSPORTS == "M\0\0\0"


def test_netbios_structure_fields_pack_and_unpack():
    name = netbios.NAME_BUFFER()
    assert name.name == b"\0" * 16 and name.name_num == 0
    name.name = b"SERVER          "
    name.name_flags = netbios.GROUP_NAME
    name._pack()
    assert bytes(name._buffer_) == b"SERVER          \x00\x80"
    name._buffer_[16] = 7
    name._unpack()
    assert name.name_num == 7
    with pytest.raises(AttributeError):
        name.no_such_field = 1
    name._private = 1  # names with "_" are allowed
