"""``NCB``, ``NETRESOURCE``, ``netbios`` and ``win32netcon`` where pywin32's sources decide a
corner case (issue 19): each test names the pywin32 source that sets the behaviour it pins.

Lab-free except ``python -m netbios``, which runs pywin32's demo against the Samba lab."""

import os
import pathlib
import subprocess
import sys

import pytest

import netbios
import win32netcon
import win32wnet

ROOT = pathlib.Path(__file__).resolve().parents[2]


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
        assert str(error) == (
            "'mbcs' codec can't encode characters in position 0--1: invalid character"
        )
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



def test_ncb_and_netresource_types_cannot_be_changed():
    # pywin32, win32/src/win32wnet/PyNCB.cpp and PyNetresource.cpp: PyNCBType and
    # PyNETRESOURCEType are static C types, which CPython does not let a script change:
    # setting or deleting any attribute of the type raises TypeError.
    for kind, name in ((win32wnet.NCB, "PyNCB"), (win32wnet.NETRESOURCE, "PyNETRESOURCE")):
        message = f"^cannot set 'Reset' attribute of immutable type '{name}'$"
        with pytest.raises(TypeError, match=message):
            kind.Reset = None
        with pytest.raises(TypeError, match=message):
            del kind.Reset
        with pytest.raises(TypeError, match="immutable type"):
            kind.extra = 1
        with pytest.raises(TypeError, match="immutable type"):
            del kind.__repr__
        assert not hasattr(kind, "extra")
        assert repr(kind()).startswith(f"<{name} object at 0x")
    win32wnet.NCB().Reset()

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


# pywin32's win32netcon.py (win32/Lib/win32netcon.py, build 311): every name it defines
# besides TEXT, with its value, sorted by name. The type matters as much as the value: the
# strings are str, every other value an int.
PYWIN32_WIN32NETCON = {
    "ACCESS_ACCESS_LIST_INFOLEVEL": 1004, "ACCESS_ACCESS_LIST_PARMNUM": 4, "ACCESS_ALL": 127,
    "ACCESS_ATRIB": 32, "ACCESS_ATTR_INFOLEVEL": 1002, "ACCESS_ATTR_PARMNUM": 2,
    "ACCESS_AUDIT": 1, "ACCESS_COUNT_INFOLEVEL": 1003, "ACCESS_COUNT_PARMNUM": 3,
    "ACCESS_CREATE": 4, "ACCESS_DELETE": 16, "ACCESS_EXEC": 8, "ACCESS_FAIL_ACL": 2048,
    "ACCESS_FAIL_DELETE": 1024, "ACCESS_FAIL_MASK": 3840, "ACCESS_FAIL_OPEN": 256,
    "ACCESS_FAIL_SHIFT": 4, "ACCESS_FAIL_WRITE": 512, "ACCESS_GROUP": 32768,
    "ACCESS_LETTERS": "RWCXDAP         ", "ACCESS_NONE": 0, "ACCESS_PERM": 64, "ACCESS_READ": 1,
    "ACCESS_RESOURCE_NAME_INFOLEVEL": 1001, "ACCESS_RESOURCE_NAME_PARMNUM": 1,
    "ACCESS_SUCCESS_ACL": 128, "ACCESS_SUCCESS_DELETE": 64, "ACCESS_SUCCESS_MASK": 240,
    "ACCESS_SUCCESS_OPEN": 16, "ACCESS_SUCCESS_WRITE": 32, "ACCESS_WRITE": 2, "AF_OP_ACCOUNTS": 8,
    "AF_OP_COMM": 2, "AF_OP_PRINT": 1, "AF_OP_SERVER": 4, "AF_SETTABLE_BITS": 15, "ALERTSZ": 128,
    "BACKUP_MSG_FILENAME": "BAK.MSG", "CLTYPE_LEN": 12, "CNLEN": 15, "CONNDLG_CONN_POINT": 2,
    "CONNDLG_HIDE_BOX": 8, "CONNDLG_NOT_PERSIST": 32, "CONNDLG_PERSIST": 16, "CONNDLG_RO_PATH": 1,
    "CONNDLG_USE_MRU": 4, "CONNECT_CURRENT_MEDIA": 512, "CONNECT_DEFERRED": 1024,
    "CONNECT_INTERACTIVE": 8, "CONNECT_LOCALDRIVE": 256, "CONNECT_NEED_DRIVE": 32,
    "CONNECT_PROMPT": 16, "CONNECT_REDIRECT": 128, "CONNECT_REFCOUNT": 64,
    "CONNECT_RESERVED": -16777216, "CONNECT_TEMPORARY": 4, "CONNECT_UPDATE_PROFILE": 1,
    "CONNECT_UPDATE_RECENT": 2, "COW_PERMACHINE": 4, "COW_PERUSER": 8, "CRYPT_KEY_LEN": 7,
    "CRYPT_TXT_LEN": 8, "CSC_AUTO_INWARD": 64, "CSC_AUTO_OUTWARD": 128, "CSC_CACHEABLE": 16,
    "CSC_NOFLOWOPS": 32, "DEF_FORCE_LOGOFF": -1, "DEF_MAX_BADPW": 0, "DEF_MAX_PWAGE": -1,
    "DEF_MAX_PWHIST": 8, "DEF_MIN_PWAGE": 0, "DEF_MIN_PWLEN": 6, "DEF_PWUNIQUENESS": 5,
    "DEVLEN": 80, "DISC_NO_FORCE": 64, "DISC_UPDATE_PROFILE": 1, "DNLEN": 15,
    "ENCRYPTED_PWLEN": 16, "EVLEN": 16, "FILTER_INTERDOMAIN_TRUST_ACCOUNT": 8,
    "FILTER_NORMAL_ACCOUNT": 2, "FILTER_SERVER_TRUST_ACCOUNT": 32,
    "FILTER_TEMP_DUPLICATE_ACCOUNT": 1, "FILTER_WORKSTATION_TRUST_ACCOUNT": 16, "GNLEN": 256,
    "GROUPIDMASK": 32768, "GROUP_ALL_INFOLEVEL": 1000, "GROUP_ALL_PARMNUM": 0,
    "GROUP_ATTRIBUTES_INFOLEVEL": 1003, "GROUP_ATTRIBUTES_PARMNUM": 3,
    "GROUP_COMMENT_INFOLEVEL": 1002, "GROUP_COMMENT_PARMNUM": 2, "GROUP_NAME_INFOLEVEL": 1001,
    "GROUP_NAME_PARMNUM": 1, "GROUP_SPECIALGRP_ADMINS": "ADMINS",
    "GROUP_SPECIALGRP_GUESTS": "GUESTS", "GROUP_SPECIALGRP_LOCAL": "LOCAL",
    "GROUP_SPECIALGRP_USERS": "USERS", "HELP_MSG_FILENAME": "NETH", "LG_INCLUDE_INDIRECT": 1,
    "LM20_CNLEN": 15, "LM20_DEVLEN": 8, "LM20_DNLEN": 15, "LM20_GNLEN": 20,
    "LM20_MAXCOMMENTSZ": 48, "LM20_NNLEN": 12, "LM20_PATHLEN": 256, "LM20_PWLEN": 14,
    "LM20_QNLEN": 12, "LM20_RMLEN": 30, "LM20_SNLEN": 15, "LM20_STXTLEN": 63, "LM20_UNCLEN": 17,
    "LM20_UNLEN": 20, "LOCALGROUP_COMMENT_PARMNUM": 2, "LOCALGROUP_NAME_PARMNUM": 1,
    "MAJOR_VERSION_MASK": 15, "MAXCOMMENTSZ": 256, "MAXPERMENTRIES": 64,
    "MAX_LANMAN_MESSAGE_ID": 5799, "MAX_PASSWD_LEN": 256, "MAX_PREFERRED_LENGTH": -1,
    "MESSAGE_FILENAME": "NETMSG", "MODALS_DOMAIN_ID_INFOLEVEL": 1009,
    "MODALS_DOMAIN_ID_PARMNUM": 9, "MODALS_DOMAIN_NAME_INFOLEVEL": 1008,
    "MODALS_DOMAIN_NAME_PARMNUM": 8, "MODALS_FORCE_LOGOFF_INFOLEVEL": 1004,
    "MODALS_FORCE_LOGOFF_PARMNUM": 4, "MODALS_LOCKOUT_DURATION_PARMNUM": 10,
    "MODALS_LOCKOUT_OBSERVATION_WINDOW_PARMNUM": 11, "MODALS_LOCKOUT_THRESHOLD_PARMNUM": 12,
    "MODALS_MAX_PASSWD_AGE_INFOLEVEL": 1002, "MODALS_MAX_PASSWD_AGE_PARMNUM": 2,
    "MODALS_MIN_PASSWD_AGE_INFOLEVEL": 1003, "MODALS_MIN_PASSWD_AGE_PARMNUM": 3,
    "MODALS_MIN_PASSWD_LEN_INFOLEVEL": 1001, "MODALS_MIN_PASSWD_LEN_PARMNUM": 1,
    "MODALS_PASSWD_HIST_LEN_INFOLEVEL": 1005, "MODALS_PASSWD_HIST_LEN_PARMNUM": 5,
    "MODALS_PRIMARY_INFOLEVEL": 1007, "MODALS_PRIMARY_PARMNUM": 7, "MODALS_ROLE_INFOLEVEL": 1006,
    "MODALS_ROLE_PARMNUM": 6, "NETBIOS_NAME_LEN": 16, "NETINFO_DISKRED": 4, "NETINFO_DLL16": 1,
    "NETINFO_PRINTERRED": 8, "NETLOGON_CONTROL_BACKUP_CHANGE_LOG": 65532,
    "NETLOGON_CONTROL_BREAKPOINT": 65535, "NETLOGON_CONTROL_FIND_USER": 8,
    "NETLOGON_CONTROL_PDC_REPLICATE": 4, "NETLOGON_CONTROL_QUERY": 1,
    "NETLOGON_CONTROL_REDISCOVER": 5, "NETLOGON_CONTROL_REPLICATE": 2,
    "NETLOGON_CONTROL_SET_DBFLAG": 65534, "NETLOGON_CONTROL_SYNCHRONIZE": 3,
    "NETLOGON_CONTROL_TC_QUERY": 6, "NETLOGON_CONTROL_TRANSPORT_NOTIFY": 7,
    "NETLOGON_CONTROL_TRUNCATE_LOG": 65533, "NETLOGON_CONTROL_UNLOAD_NETLOGON_DLL": 65531,
    "NETLOGON_FULL_SYNC_REPLICATION": 4, "NETLOGON_REDO_NEEDED": 8,
    "NETLOGON_REPLICATION_IN_PROGRESS": 2, "NETLOGON_REPLICATION_NEEDED": 1,
    "NETPROPERTY_PERSISTENT": 1, "NNLEN": 80, "NON_VALIDATED_LOGON": 3, "NULL": 0,
    "NULL_USERSETINFO_PASSWD": "              ", "NetSetupDnsMachine": 5, "NetSetupDomain": 3,
    "NetSetupDomainName": 3, "NetSetupMachine": 1, "NetSetupNonExistentDomain": 4,
    "NetSetupUnjoined": 1, "NetSetupUnknown": 0, "NetSetupUnknownStatus": 0,
    "NetSetupWorkgroup": 2, "NetSetupWorkgroupName": 2, "NetValidateAuthentication": 1,
    "NetValidatePasswordChange": 2, "NetValidatePasswordReset": 3, "ONE_DAY": 86400,
    "OS2MSG_FILENAME": "BASE", "PARMNUM_ALL": 0, "PARMNUM_BASE_INFOLEVEL": 1000,
    "PARM_ERROR_NONE": 0, "PARM_ERROR_UNKNOWN": -1, "PASSWORD_EXPIRED": 2, "PATHLEN": 256,
    "PERM_FILE_CREATE": 4, "PERM_FILE_READ": 1, "PERM_FILE_WRITE": 2, "PLATFORM_ID_DOS": 300,
    "PLATFORM_ID_NT": 500, "PLATFORM_ID_OS2": 400, "PLATFORM_ID_OSF": 600, "PLATFORM_ID_VMS": 700,
    "PP_DISPLAYERRORS": 1, "PWLEN": 256, "QNLEN": 80, "REMOTE_NAME_INFO_LEVEL": 2,
    "RESOURCEDISPLAYTYPE_DIRECTORY": 9, "RESOURCEDISPLAYTYPE_DOMAIN": 1,
    "RESOURCEDISPLAYTYPE_FILE": 4, "RESOURCEDISPLAYTYPE_GENERIC": 0,
    "RESOURCEDISPLAYTYPE_GROUP": 5, "RESOURCEDISPLAYTYPE_NDSCONTAINER": 11,
    "RESOURCEDISPLAYTYPE_NETWORK": 6, "RESOURCEDISPLAYTYPE_ROOT": 7,
    "RESOURCEDISPLAYTYPE_SERVER": 2, "RESOURCEDISPLAYTYPE_SHARE": 3,
    "RESOURCEDISPLAYTYPE_SHAREADMIN": 8, "RESOURCEDISPLAYTYPE_TREE": 10, "RESOURCETYPE_ANY": 0,
    "RESOURCETYPE_DISK": 1, "RESOURCETYPE_PRINT": 2, "RESOURCETYPE_RESERVED": 8,
    "RESOURCETYPE_UNKNOWN": -1, "RESOURCEUSAGE_ALL": 19, "RESOURCEUSAGE_ATTACHED": 16,
    "RESOURCEUSAGE_CONNECTABLE": 1, "RESOURCEUSAGE_CONTAINER": 2,
    "RESOURCEUSAGE_NOLOCALDEVICE": 4, "RESOURCEUSAGE_RESERVED": -2147483648,
    "RESOURCEUSAGE_SIBLING": 8, "RESOURCE_CONNECTED": 1, "RESOURCE_CONTEXT": 5,
    "RESOURCE_GLOBALNET": 2, "RESOURCE_RECENT": 4, "RESOURCE_REMEMBERED": 3, "RMLEN": 98,
    "RP_INIFILE": 2, "RP_LOGON": 1, "SESI1_NUM_ELEMENTS": 8, "SESI2_NUM_ELEMENTS": 9,
    "SESSION_CRYPT_KLEN": 21, "SESSION_PWLEN": 24, "SESS_GUEST": 1, "SESS_NOENCRYPTION": 2,
    "SHARE_CURRENT_USES_PARMNUM": 7, "SHARE_FILE_SD_PARMNUM": 501, "SHARE_MAX_USES_PARMNUM": 6,
    "SHARE_NETNAME_PARMNUM": 1, "SHARE_PASSWD_PARMNUM": 9, "SHARE_PATH_PARMNUM": 8,
    "SHARE_PERMISSIONS_PARMNUM": 5, "SHARE_REMARK_PARMNUM": 4, "SHARE_TYPE_PARMNUM": 3,
    "SHI1005_FLAGS_DFS": 1, "SHI1005_FLAGS_DFS_ROOT": 2, "SHI1005_VALID_FLAGS_SET": 252,
    "SHI1007_VALID_FLAGS_SET": 252, "SHI1_NUM_ELEMENTS": 4, "SHI2_NUM_ELEMENTS": 10, "SHPWLEN": 8,
    "SNLEN": 80, "STXTLEN": 256, "STYPE_DEVICE": 2, "STYPE_DISKTREE": 0, "STYPE_IPC": 3,
    "STYPE_PRINTQ": 1, "STYPE_SPECIAL": -2147483648, "SVI1_NUM_ELEMENTS": 5,
    "SVI2_NUM_ELEMENTS": 40, "SVI3_NUM_ELEMENTS": 44, "SVTI2_REMAP_PIPE_NAMES": 2,
    "SV_ACCEPTDOWNLEVELAPIS_PARMNUM": 517, "SV_ACCESSALERT_PARMNUM": 40,
    "SV_ACTIVELOCKS_PARMNUM": 419, "SV_ALERTSCHEDULE_PARMNUM": 547, "SV_ALERTSCHED_PARMNUM": 37,
    "SV_ALERTS_PARMNUM": 11, "SV_ALIST_MTIME_PARMNUM": 403, "SV_ANNDELTA_PARMNUM": 18,
    "SV_ANNOUNCE_PARMNUM": 17, "SV_AUTOSHARESERVER_PARMNUM": 592, "SV_AUTOSHAREWKS_PARMNUM": 591,
    "SV_BALANCECOUNT_PARMNUM": 577, "SV_CACHEDDIRECTORYLIMIT_PARMNUM": 587,
    "SV_CACHEDOPENLIMIT_PARMNUM": 571, "SV_CHDEVJOBS_PARMNUM": 411, "SV_CHDEVQ_PARMNUM": 410,
    "SV_COMMENT_PARMNUM": 5, "SV_CONNECTIONLESSAUTODISC_PARMNUM": 562,
    "SV_CONNECTIONNOSESSIONSTIMEOUT_PARMNUM": 596, "SV_CONNECTIONS_PARMNUM": 412,
    "SV_CRITICALTHREADS_PARMNUM": 572, "SV_DISC_PARMNUM": 10, "SV_DISKALERT_PARMNUM": 41,
    "SV_DISKSPACETHRESHOLD_PARMNUM": 550, "SV_DOMAIN_PARMNUM": 519,
    "SV_ENABLEBULKTRANSFER_PARMNUM": 589, "SV_ENABLECOMPRESSION_PARMNUM": 590,
    "SV_ENABLEFCBOPENS_PARMNUM": 538, "SV_ENABLEFORCEDLOGOFF_PARMNUM": 515,
    "SV_ENABLEOPLOCKFORCECLOSE_PARMNUM": 537, "SV_ENABLEOPLOCKS_PARMNUM": 536,
    "SV_ENABLERAW_PARMNUM": 539, "SV_ENABLESECURITYSIGNATURE_PARMNUM": 593,
    "SV_ENABLESHAREDNETDRIVES_PARMNUM": 540, "SV_ENABLESOFTCOMPAT_PARMNUM": 514,
    "SV_ENABLEWFW311DIRECTIPX_PARMNUM": 574, "SV_ERRORALERT_PARMNUM": 38,
    "SV_ERRORTHRESHOLD_PARMNUM": 548, "SV_GLIST_MTIME_PARMNUM": 402, "SV_GUESTACC_PARMNUM": 408,
    "SV_HIDDEN": 1, "SV_HIDDEN_PARMNUM": 16, "SV_INITCONNTABLE_PARMNUM": 544,
    "SV_INITFILETABLE_PARMNUM": 545, "SV_INITSEARCHTABLE_PARMNUM": 546,
    "SV_INITSESSTABLE_PARMNUM": 543, "SV_INITWORKITEMS_PARMNUM": 505,
    "SV_IRPSTACKSIZE_PARMNUM": 508, "SV_LANMASK_PARMNUM": 407,
    "SV_LINKINFOVALIDTIME_PARMNUM": 554, "SV_LMANNOUNCE_PARMNUM": 518,
    "SV_LOCKVIOLATIONDELAY_PARMNUM": 569, "SV_LOCKVIOLATIONOFFSET_PARMNUM": 568,
    "SV_LOCKVIOLATIONRETRIES_PARMNUM": 567, "SV_LOGONALERT_PARMNUM": 39,
    "SV_MAXAUDITSZ_PARMNUM": 43, "SV_MAXCOPYLENGTH_PARMNUM": 588,
    "SV_MAXCOPYREADLEN_PARMNUM": 520, "SV_MAXCOPYWRITELEN_PARMNUM": 521,
    "SV_MAXFREECONNECTIONS_PARMNUM": 542, "SV_MAXFREELFCBS_PARMNUM": 581,
    "SV_MAXFREEMFCBS_PARMNUM": 580, "SV_MAXFREEPAGEDPOOLCHUNKS_PARMNUM": 582,
    "SV_MAXFREERFCBS_PARMNUM": 579, "SV_MAXGLOBALOPENSEARCH_PARMNUM": 565,
    "SV_MAXKEEPCOMPLSEARCH_PARMNUM": 525, "SV_MAXKEEPSEARCH_PARMNUM": 523,
    "SV_MAXLINKDELAY_PARMNUM": 552, "SV_MAXMPXCT_PARMNUM": 533,
    "SV_MAXNONPAGEDMEMORYUSAGE_PARMNUM": 512, "SV_MAXPAGEDMEMORYUSAGE_PARMNUM": 513,
    "SV_MAXPAGEDPOOLCHUNKSIZE_PARMNUM": 584, "SV_MAXRAWBUFLEN_PARMNUM": 509,
    "SV_MAXRAWWORKITEMS_PARMNUM": 557, "SV_MAXTHREADSPERQUEUE_PARMNUM": 586,
    "SV_MAXWORKITEMIDLETIME_PARMNUM": 556, "SV_MAXWORKITEMS_PARMNUM": 506,
    "SV_MAX_SRV_HEUR_LEN": 32, "SV_MDLREADSWITCHOVER_PARMNUM": 570,
    "SV_MINCLIENTBUFFERSIZE_PARMNUM": 595, "SV_MINFREECONNECTIONS_PARMNUM": 541,
    "SV_MINFREEWORKITEMS_PARMNUM": 530, "SV_MINKEEPCOMPLSEARCH_PARMNUM": 524,
    "SV_MINKEEPSEARCH_PARMNUM": 522, "SV_MINLINKTHROUGHPUT_PARMNUM": 553,
    "SV_MINPAGEDPOOLCHUNKSIZE_PARMNUM": 583, "SV_MINRCVQUEUE_PARMNUM": 529,
    "SV_NAME_PARMNUM": 102, "SV_NETIOALERT_PARMNUM": 42, "SV_NETWORKERRORTHRESHOLD_PARMNUM": 549,
    "SV_NODISC": -1, "SV_NUMADMIN_PARMNUM": 406, "SV_NUMBIGBUF_PARMNUM": 422,
    "SV_NUMBLOCKTHREADS_PARMNUM": 527, "SV_NUMFILETASKS_PARMNUM": 423,
    "SV_NUMREQBUF_PARMNUM": 420, "SV_OPENFILES_PARMNUM": 414, "SV_OPENSEARCH_PARMNUM": 503,
    "SV_OPLOCKBREAKRESPONSEWAIT_PARMNUM": 535, "SV_OPLOCKBREAKWAIT_PARMNUM": 534,
    "SV_OTHERQUEUEAFFINITY_PARMNUM": 575, "SV_PLATFORM_ID_NT": 500, "SV_PLATFORM_ID_OS2": 400,
    "SV_PLATFORM_ID_PARMNUM": 101, "SV_PREFERREDAFFINITY_PARMNUM": 578,
    "SV_PRODUCTTYPE_PARMNUM": 560, "SV_QUEUESAMPLESECS_PARMNUM": 576,
    "SV_RAWWORKITEMS_PARMNUM": 507, "SV_REMOVEDUPLICATESEARCHES_PARMNUM": 566,
    "SV_REQUIRESECURITYSIGNATURE_PARMNUM": 594, "SV_RESTRICTNULLSESSACCESS_PARMNUM": 573,
    "SV_SCAVQOSINFOUPDATETIME_PARMNUM": 555, "SV_SCAVTIMEOUT_PARMNUM": 528,
    "SV_SECURITY_PARMNUM": 405, "SV_SENDSFROMPREFERREDPROCESSOR_PARMNUM": 585,
    "SV_SERVERSIZE_PARMNUM": 561, "SV_SESSCONNS_PARMNUM": 511, "SV_SESSOPENS_PARMNUM": 501,
    "SV_SESSREQS_PARMNUM": 417, "SV_SESSUSERS_PARMNUM": 510, "SV_SESSVCS_PARMNUM": 502,
    "SV_SHARESECURITY": 0, "SV_SHARES_PARMNUM": 413, "SV_SHARINGVIOLATIONDELAY_PARMNUM": 564,
    "SV_SHARINGVIOLATIONRETRIES_PARMNUM": 563, "SV_SIZREQBUF_PARMNUM": 504,
    "SV_SRVHEURISTICS_PARMNUM": 431, "SV_THREADCOUNTADD_PARMNUM": 526,
    "SV_THREADPRIORITY_PARMNUM": 532, "SV_TIMESOURCE_PARMNUM": 516, "SV_TYPE_AFP": 64,
    "SV_TYPE_ALL": -1, "SV_TYPE_ALTERNATE_XPORT": 536870912, "SV_TYPE_BACKUP_BROWSER": 131072,
    "SV_TYPE_CLUSTER_NT": 16777216, "SV_TYPE_DCE": 268435456, "SV_TYPE_DFS": 8388608,
    "SV_TYPE_DIALIN_SERVER": 1024, "SV_TYPE_DOMAIN_BAKCTRL": 16, "SV_TYPE_DOMAIN_CTRL": 8,
    "SV_TYPE_DOMAIN_ENUM": -2147483648, "SV_TYPE_DOMAIN_MASTER": 524288,
    "SV_TYPE_DOMAIN_MEMBER": 256, "SV_TYPE_LOCAL_LIST_ONLY": 1073741824,
    "SV_TYPE_MASTER_BROWSER": 262144, "SV_TYPE_NOVELL": 128, "SV_TYPE_NT": 4096,
    "SV_TYPE_PARMNUM": 105, "SV_TYPE_POTENTIAL_BROWSER": 65536, "SV_TYPE_PRINTQ_SERVER": 512,
    "SV_TYPE_SERVER": 2, "SV_TYPE_SERVER_MFPN": 16384, "SV_TYPE_SERVER_NT": 32768,
    "SV_TYPE_SERVER_OSF": 1048576, "SV_TYPE_SERVER_UNIX": 2048, "SV_TYPE_SERVER_VMS": 2097152,
    "SV_TYPE_SQLSERVER": 4, "SV_TYPE_TIME_SOURCE": 32, "SV_TYPE_WFW": 8192,
    "SV_TYPE_WINDOWS": 4194304, "SV_TYPE_WORKSTATION": 1, "SV_TYPE_XENIX_SERVER": 2048,
    "SV_ULIST_MTIME_PARMNUM": 401, "SV_USERPATH_PARMNUM": 112, "SV_USERSECURITY": 1,
    "SV_USERS_PARMNUM": 107, "SV_USERS_PER_LICENSE": 5, "SV_VERSION_MAJOR_PARMNUM": 103,
    "SV_VERSION_MINOR_PARMNUM": 104, "SV_VISIBLE": 0, "SV_XACTMEMSIZE_PARMNUM": 531,
    "SW_AUTOPROF_LOAD_MASK": 1, "SW_AUTOPROF_SAVE_MASK": 2, "TIMEQ_FOREVER": -1,
    "UAS_ROLE_BACKUP": 2, "UAS_ROLE_MEMBER": 1, "UAS_ROLE_PRIMARY": 3, "UAS_ROLE_STANDALONE": 0,
    "UF_ACCOUNTDISABLE": 2, "UF_ACCOUNT_TYPE_MASK": 15104, "UF_DONT_EXPIRE_PASSWD": 65536,
    "UF_HOMEDIR_REQUIRED": 8, "UF_INTERDOMAIN_TRUST_ACCOUNT": 2048, "UF_LOCKOUT": 16,
    "UF_MACHINE_ACCOUNT_MASK": 14336, "UF_MNS_LOGON_ACCOUNT": 131072, "UF_NORMAL_ACCOUNT": 512,
    "UF_PASSWD_CANT_CHANGE": 64, "UF_PASSWD_NOTREQD": 32, "UF_SCRIPT": 1,
    "UF_SERVER_TRUST_ACCOUNT": 8192, "UF_SETTABLE_BITS": 211835, "UF_TEMP_DUPLICATE_ACCOUNT": 256,
    "UF_WORKSTATION_TRUST_ACCOUNT": 4096, "UNCLEN": 17, "UNITS_PER_DAY": 24,
    "UNITS_PER_WEEK": 168, "UNIVERSAL_NAME_INFO_LEVEL": 1, "UNLEN": 256,
    "USER_ACCT_EXPIRES_INFOLEVEL": 1017, "USER_ACCT_EXPIRES_PARMNUM": 17,
    "USER_AUTH_FLAGS_INFOLEVEL": 1010, "USER_AUTH_FLAGS_PARMNUM": 10,
    "USER_CODE_PAGE_INFOLEVEL": 1025, "USER_CODE_PAGE_PARMNUM": 25,
    "USER_COMMENT_INFOLEVEL": 1007, "USER_COMMENT_PARMNUM": 7,
    "USER_COUNTRY_CODE_INFOLEVEL": 1024, "USER_COUNTRY_CODE_PARMNUM": 24,
    "USER_FLAGS_INFOLEVEL": 1008, "USER_FLAGS_PARMNUM": 8, "USER_FULL_NAME_INFOLEVEL": 1011,
    "USER_FULL_NAME_PARMNUM": 11, "USER_HOME_DIR_DRIVE_INFOLEVEL": 1053,
    "USER_HOME_DIR_DRIVE_PARMNUM": 53, "USER_HOME_DIR_INFOLEVEL": 1006,
    "USER_HOME_DIR_PARMNUM": 6, "USER_LAST_LOGOFF_INFOLEVEL": 1016,
    "USER_LAST_LOGOFF_PARMNUM": 16, "USER_LAST_LOGON_INFOLEVEL": 1015,
    "USER_LAST_LOGON_PARMNUM": 15, "USER_LOGON_HOURS_INFOLEVEL": 1020,
    "USER_LOGON_HOURS_PARMNUM": 20, "USER_LOGON_SERVER_INFOLEVEL": 1023,
    "USER_LOGON_SERVER_PARMNUM": 23, "USER_MAXSTORAGE_UNLIMITED": -1,
    "USER_MAX_STORAGE_INFOLEVEL": 1018, "USER_MAX_STORAGE_PARMNUM": 18,
    "USER_NAME_INFOLEVEL": 1001, "USER_NAME_PARMNUM": 1, "USER_NO_LOGOFF": -1,
    "USER_NUM_LOGONS_INFOLEVEL": 1022, "USER_NUM_LOGONS_PARMNUM": 22,
    "USER_PAD_PW_COUNT_INFOLEVEL": 1021, "USER_PAD_PW_COUNT_PARMNUM": 21,
    "USER_PARMS_INFOLEVEL": 1013, "USER_PARMS_PARMNUM": 13, "USER_PASSWORD_AGE_INFOLEVEL": 1004,
    "USER_PASSWORD_AGE_PARMNUM": 4, "USER_PASSWORD_INFOLEVEL": 1003, "USER_PASSWORD_PARMNUM": 3,
    "USER_PRIMARY_GROUP_INFOLEVEL": 1051, "USER_PRIMARY_GROUP_PARMNUM": 51, "USER_PRIV_ADMIN": 2,
    "USER_PRIV_GUEST": 0, "USER_PRIV_INFOLEVEL": 1005, "USER_PRIV_MASK": 3,
    "USER_PRIV_PARMNUM": 5, "USER_PRIV_USER": 1, "USER_PROFILE": 52, "USER_PROFILE_PARMNUM": 52,
    "USER_SCRIPT_PATH_INFOLEVEL": 1009, "USER_SCRIPT_PATH_PARMNUM": 9,
    "USER_UNITS_PER_WEEK_INFOLEVEL": 1019, "USER_UNITS_PER_WEEK_PARMNUM": 19,
    "USER_USR_COMMENT_INFOLEVEL": 1012, "USER_USR_COMMENT_PARMNUM": 12,
    "USER_WORKSTATIONS_INFOLEVEL": 1014, "USER_WORKSTATIONS_PARMNUM": 14, "VALIDATED_LOGON": 0,
    "VALID_LOGOFF": 1, "WNCON_DYNAMIC": 8, "WNCON_FORNETCARD": 1, "WNCON_NOTROUTED": 2,
    "WNCON_SLOWLINK": 4, "WNFMT_ABBREVIATED": 2, "WNFMT_CONNECTION": 32, "WNFMT_INENUM": 16,
    "WNFMT_MULTILINE": 1, "WNNC_NET_10NET": 327680, "WNNC_NET_9TILES": 589824,
    "WNNC_NET_APPLETALK": 1245184, "WNNC_NET_AS400": 720896, "WNNC_NET_BMC": 1572864,
    "WNNC_NET_BWNFS": 1048576, "WNNC_NET_CLEARCASE": 1441792, "WNNC_NET_COGENT": 1114112,
    "WNNC_NET_DCE": 1638400, "WNNC_NET_DECORB": 2097152, "WNNC_NET_DISTINCT": 2293760,
    "WNNC_NET_FARALLON": 1179648, "WNNC_NET_FJ_REDIR": 2228224, "WNNC_NET_FRONTIER": 1507328,
    "WNNC_NET_FTP_NFS": 786432, "WNNC_NET_INTERGRAPH": 1310720, "WNNC_NET_LANMAN": 131072,
    "WNNC_NET_LANSTEP": 524288, "WNNC_NET_LANTASTIC": 655360, "WNNC_NET_LIFENET": 917504,
    "WNNC_NET_LOCUS": 393216, "WNNC_NET_MSNET": 65536, "WNNC_NET_NETWARE": 196608,
    "WNNC_NET_PATHWORKS": 851968, "WNNC_NET_POWERLAN": 983040, "WNNC_NET_PROTSTOR": 2162688,
    "WNNC_NET_RDR2SAMPLE": 2424832, "WNNC_NET_SUN_PC_NFS": 458752, "WNNC_NET_SYMFONET": 1376256,
    "WNNC_NET_TWINS": 2359296, "WNNC_NET_VINES": 262144,

}


def test_win32netcon_has_every_name_of_pywin32s_with_its_value_and_type():
    # pywin32, win32/Lib/win32netcon.py: h2py's output of lmaccess.h (with lmcons.h),
    # lmserver.h, lmshare.h and winnetwk.h, and a few constants and a TEXT function added by
    # hand. wnet's module is written from its own table (scripts/win32netcon.py), which must
    # give every one of those names pywin32's value and type, and nothing else.
    assert len(PYWIN32_WIN32NETCON) == 568
    names = {name for name in vars(win32netcon) if not name.startswith("__")}
    assert names == set(PYWIN32_WIN32NETCON) | {"TEXT"}
    for name, value in PYWIN32_WIN32NETCON.items():
        actual = getattr(win32netcon, name)
        assert (type(actual), actual) == (type(value), value), name
    assert callable(win32netcon.TEXT) and win32netcon.TEXT("NETMSG") == "NETMSG"
    check = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "win32netcon.py"), "--check"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert check.returncode == 0, check.stderr
