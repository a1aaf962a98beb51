"""``NCB``, ``NETRESOURCE``, ``netbios`` and ``win32netcon`` where pywin32's sources decide a
corner case (issue 19): each test names the pywin32 source that sets the behaviour it pins.

Lab-free except ``python -m netbios``, which runs pywin32's demo against the Samba lab."""

import os
import pathlib
import subprocess
import sys

import pytest

import netbios
import win32wnet


def test_empty_ncb_name_reads_back_as_sixteen_spaces():
    # pywin32, win32/src/win32wnet/PyNCB.cpp, PyNCB::setattro: a name is first filled with
    # 16 spaces, then at most 16 bytes of the value are copied over it, so an empty value
    # leaves the spaces; the "empty value" branch that follows clears the first byte of
    # ncb_callname for both names. An empty Callname therefore reads back "", an empty Name
    # 16 spaces. (That Name = "" also clears Callname's first byte is pywin32's slip, which
    # wnet leaves out: docs/pywin32-migration.md.)
    ncb = win32wnet.NCB()
    ncb.Name = ""
    assert ncb.Name == " " * 16
    ncb.Name = b"SOMEONE"
    ncb.Name = b""
    assert ncb.Name == " " * 16
    ncb.Callname = "SERVER"
    ncb.Name = ""
    assert ncb.Callname == "SERVER" + " " * 10
    ncb.Callname = ""
    assert ncb.Callname == ""
    ncb.Callname = b""
    assert ncb.Callname == ""


def test_ncb_names_use_the_ansi_code_page_as_mbcs_does():
    # pywin32, win32/src/PyUnicode.cpp: PyWinObject_AsChars encodes a str with
    # PyUnicode_AsMBCSString (Windows' ANSI code page, strict, no best-fit substitutes) and
    # PyWinCoreString_FromString decodes with PyUnicode_DecodeMBCS, errors ignored. On an
    # English Windows the ANSI code page is 1252, whose five bytes without a Unicode.org
    # character (0x81, 0x8D, 0x8F, 0x90, 0x9D) Windows maps to the C1 controls of the same
    # number: every byte round-trips. CPython's mbcs encoder, failing, reports the whole
    # string (start 0, end 0) with the reason "invalid character".
    ncb = win32wnet.NCB()
    for byte in (0x81, 0x8D, 0x8F, 0x90, 0x9D):
        ncb.Name = bytes([byte]) + b"X"
        assert ncb.Name == chr(byte) + "X" + " " * 14
        ncb.Callname = chr(byte)
        assert ncb.Callname == chr(byte) + " " * 15
    seen = set()
    for byte in range(1, 256):
        ncb.Name = bytes([byte]) * 16
        text = ncb.Name
        assert len(text) == 16 and len(set(text)) == 1, hex(byte)
        seen.add(text[0])
        ncb.Name = text  # encodes back without an error
        assert ncb.Name == text
    assert len(seen) == 255
    assert ncb.Name == "\xff" * 16
    ncb.Name = b"\x80\x9f"
    assert ncb.Name == "\u20ac\u0178" + " " * 14
    for refused in ("\u4e2d", "ab\u0080", "\udc80", "\u0100"):
        with pytest.raises(UnicodeEncodeError) as raised:
            ncb.Name = refused
        error = raised.value
        assert (error.encoding, error.object, error.start, error.end, error.reason) == (
            "mbcs",
            refused,
            0,
            0,
            "invalid character",
        )
        assert str(error) == "'mbcs' codec can't encode characters in position 0--1: invalid character"
    assert ncb.Name == "\u20ac\u0178" + " " * 14  # a refused name leaves the field alone


def test_ncb_buffer_whose_underscore_buffer_raises_is_the_buffer_itself():
    # pywin32, win32/src/win32wnet/PyNCB.cpp, PyNCB::setattro ("Buffer"): when reading
    # `_buffer_` fails, whatever the error, it is cleared and the assigned object itself must
    # be the writable buffer.
    class Raising(bytearray):
        @property
        def _buffer_(self):
            raise ValueError("not this way")

    class Interrupting(bytearray):
        def __getattr__(self, name):
            raise RuntimeError(name)

    ncb = win32wnet.NCB()
    for kind in (Raising, Interrupting):
        memory = kind(12)
        ncb.Buffer = memory
        assert ncb.Buffer is memory
        assert ncb.Bufflen == 12

    class NotABuffer:
        @property
        def _buffer_(self):
            raise KeyError("_buffer_")

    with pytest.raises(TypeError):
        ncb.Buffer = NotABuffer()
    assert ncb.Bufflen == 12


def test_slot_descriptors_check_what_they_store():
    # pywin32, win32/src/win32wnet/PyNCB.cpp and PyNetresource.cpp: the attributes are
    # members of the type (PyNCB::members, PyNETRESOURCE::members), so `Type.name` is a
    # member descriptor whose __set__/__delete__ apply the member's own rules: numbers
    # (T_BYTE, T_SHORT, T_INT, T_LONG) convert as an assignment does, the READONLY Bufflen
    # refuses with AttributeError, the T_STRING names refuse to be set through it (TypeError
    # "readonly attribute"), and no number can be deleted. The types are static: setting or
    # deleting a type attribute is refused.
    ncb = win32wnet.NCB()
    NCB = win32wnet.NCB
    with pytest.raises(AttributeError, match="^readonly attribute$"):
        NCB.Bufflen.__set__(ncb, 5)
    with pytest.raises(AttributeError, match="^readonly attribute$"):
        NCB.Bufflen.__delete__(ncb)
    assert ncb.Bufflen == 0
    with pytest.raises(TypeError):
        NCB.Command.__set__(ncb, "x")
    with pytest.raises(TypeError, match="^can't delete numeric/char attribute$"):
        NCB.Command.__delete__(ncb)
    assert ncb.Command == 0
    NCB.Command.__set__(ncb, 0x33)
    assert ncb.Command == 0x33
    with pytest.warns(RuntimeWarning, match="Truncation of value to char"):
        NCB.Lana_num.__set__(ncb, 0x1FF)
    assert ncb.Lana_num == -1
    with pytest.raises(OverflowError):
        NCB.Event.__set__(ncb, 2**31)
    for name in ("Name", "Callname"):
        with pytest.raises(TypeError, match="^readonly attribute$"):
            getattr(NCB, name).__set__(ncb, "SERVER")
        with pytest.raises(TypeError, match="^can't delete numeric/char attribute$"):
            getattr(NCB, name).__delete__(ncb)
    assert ncb.Name == "" and ncb.Callname == ""
    assert NCB.Command.__get__(ncb) == 0x33
    assert NCB.Command.__get__(None, NCB) is NCB.Command
    assert repr(NCB.Bufflen) == "<member 'Bufflen' of 'PyNCB' objects>"
    assert (NCB.Bufflen.__name__, NCB.Bufflen.__objclass__) == ("Bufflen", NCB)
    with pytest.raises(TypeError, match="doesn't apply to a 'int' object"):
        NCB.Command.__set__(5, 1)
    with pytest.raises(TypeError):
        object.__setattr__(ncb, "Command", "x")
    with pytest.raises(TypeError, match="immutable type"):
        NCB.Command = 5
    with pytest.raises(TypeError, match="immutable type"):
        del NCB.Bufflen
    assert win32wnet.NCB().Command == 0  # the type still works

    nr = win32wnet.NETRESOURCE()
    NETRESOURCE = win32wnet.NETRESOURCE
    with pytest.raises(TypeError):
        NETRESOURCE.dwType.__set__(nr, "x")
    with pytest.raises(OverflowError):
        NETRESOURCE.dwScope.__set__(nr, 2**32)
    NETRESOURCE.dwType.__set__(nr, -1)
    assert nr.dwType == -1
    with pytest.raises(TypeError, match="^can't delete numeric/char attribute$"):
        NETRESOURCE.dwUsage.__delete__(nr)
    for name in ("lpLocalName", "lpRemoteName", "lpComment", "lpProvider"):
        with pytest.raises(TypeError, match="^readonly attribute$"):
            getattr(NETRESOURCE, name).__set__(nr, 5)
        with pytest.raises(TypeError, match="^can't delete numeric/char attribute$"):
            getattr(NETRESOURCE, name).__delete__(nr)
        assert getattr(nr, name) is None
    with pytest.raises(TypeError, match="immutable type"):
        NETRESOURCE.dwType = 0
    with pytest.raises(TypeError):
        NETRESOURCE.dwType.__set__(ncb, 1)


# pywin32's netbios.py (win32/Lib/netbios.py, build 311): its names besides the dunders, in
# groups of our own. Each structure is a factory function with its item list.
NETBIOS_STRUCTURES = (
    "ADAPTER_STATUS NAME_BUFFER SESSION_HEADER SESSION_BUFFER LANA_ENUM FIND_NAME_HEADER "
    "FIND_NAME_BUFFER ACTION_HEADER"
).split()
NETBIOS_CONSTANTS = (
    "NCBNAMSZ MAX_LANA NAME_FLAGS_MASK GROUP_NAME UNIQUE_NAME REGISTERING REGISTERED "
    "DEREGISTERED DUPLICATE DUPLICATE_DEREG LISTEN_OUTSTANDING CALL_PENDING SESSION_ESTABLISHED "
    "HANGUP_PENDING HANGUP_COMPLETE SESSION_ABORTED ALL_TRANSPORTS MS_NBF ASYNCH"
).split()
NETBIOS_COMMANDS = (
    "CALL LISTEN HANGUP SEND RECV RECVANY CHAINSEND DGSEND DGRECV DGSENDBC DGRECVBC ADDNAME "
    "DELNAME RESET ASTAT SSTAT CANCEL ADDGRNAME ENUM UNLINK SENDNA CHAINSENDNA LANSTALERT ACTION "
    "FINDNAME TRACE"
).split()
NETBIOS_RETURN_CODES = (
    "GOODRET BUFLEN ILLCMD CMDTMO INCOMP BADDR SNUMOUT NORES SCLOSED CMDCAN DUPNAME NAMTFUL "
    "ACTSES LOCTFUL REMTFUL ILLNN NOCALL NOWILD INUSE NAMERR SABORT NAMCONF IFBUSY TOOMANY BRIDGE "
    "CANOCCR CANCEL DUPENV ENVNOTDEF OSRESNOTAV MAXAPPS NOSAPS NORESOURCES INVADDRESS INVDDID "
    "LOCKFAIL OPENERR SYSTEM PENDING"
).split()
NETBIOS_OTHERS = ["NCB", "NCBStruct", "Netbios", "annotations", "struct", "Iterable", "win32wnet"]


def test_netbios_namespace_is_pywin32s():
    # pywin32, win32/Lib/netbios.py: nb30.h's constants, the eight structures (a function and
    # its *_ITEMS list each), NCB, NCBStruct, Netbios, and what it imports (its annotations
    # future, struct, Iterable, win32wnet); nothing else. Being a package, wnet's netbios also
    # has __path__ (which `python -m netbios` needs to find its __main__).
    expected = set(NETBIOS_CONSTANTS) | set(NETBIOS_OTHERS)
    expected |= {"NCB" + command for command in NETBIOS_COMMANDS}
    expected |= {"NRC_" + code for code in NETBIOS_RETURN_CODES}
    expected |= set(NETBIOS_STRUCTURES) | {name + "_ITEMS" for name in NETBIOS_STRUCTURES}
    assert len(expected) == 107
    names = set(vars(netbios))
    assert {name for name in names if not name.startswith("__")} == expected
    module_dunders = {"__name__", "__doc__", "__package__", "__loader__", "__spec__", "__file__"}
    module_dunders |= {"__cached__", "__builtins__", "__path__"}
    assert {name for name in names if name.startswith("__")} <= module_dunders
    assert netbios.NCB is win32wnet.NCB


def test_python_m_netbios_runs_pywin32s_demo(lab, tmp_path):
    # pywin32, win32/Lib/netbios.py, its `__main__` block (from Microsoft KB Q118623):
    # NCBENUM, then on each LANA NCBRESET and a local NCBASTAT ("*" padded with spaces), and
    # one line per LANA: "Adapter address:" and the six bytes as two hex digits and a space.
    # Here the only LANA is the lab's link (conftest), so the line shows its MAC address.
    interface = os.environ["WNET_NETBIOS_INTERFACES"]
    mac = pathlib.Path(f"/sys/class/net/{interface}/address").read_text().strip().split(":")
    result = subprocess.run(
        [sys.executable, "-m", "netbios"],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=tmp_path,  # the installed package, not the sources
        stdin=subprocess.DEVNULL,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout == "Adapter address: " + "".join(f"{byte} " for byte in mac) + "\n"
