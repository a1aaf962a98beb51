#!/usr/bin/env python3
"""Writes python/win32netcon/__init__.py, the constants of pywin32's ``win32netcon``, from the
table below.

The table is wnet's own: the Windows SDK's constants that pywin32's module carries, grouped by
the header that defines them (winnetwk.h, lmcons.h, lmaccess.h, lmserver.h, lmshare.h,
lmjoin.h), each written as the header defines it: a number, or an expression of constants
above it (a mask as the OR of its bits, an info level as PARMNUM_BASE_INFOLEVEL plus its
parameter number). The values are those pywin32 gives, which a script compares with: a DWORD
with its top bit set is the negative number a signed 32-bit read gives (SV_TYPE_ALL is -1),
and a few constants are strings. python/tests/test_pywin32_ncb_conformance.py checks the
module against pywin32's names and values, and that this script would write it unchanged.

Usage: python3 scripts/win32netcon.py          (writes the module)
       python3 scripts/win32netcon.py --check  (exits 1 if the module differs)
"""

import pathlib
import re
import sys

ROOT = pathlib.Path(__file__).resolve().parents[1]
MODULE = ROOT / "python" / "win32netcon" / "__init__.py"

DECIMAL = "decimal"
HEX = "hex"


def pairs(text):
    """``NAME VALUE NAME VALUE …`` (any layout; a string value is quoted, spaces and all): the
    (name, expression) pairs, in order."""
    words = re.findall(r"'[^']*'|\S+", text)
    if len(words) % 2:
        raise ValueError(f"a name without a value in: {text!r}")
    return list(zip(words[0::2], words[1::2]))


def parmnums(prefix, text):
    """``FIELD NUMBER …``: ``<prefix>FIELD_PARMNUM``, the parameter numbers of a SetInfo call."""
    return [(f"{prefix}{field}_PARMNUM", number) for field, number in pairs(text)]


def infolevels(prefix, fields):
    """``<prefix>FIELD_INFOLEVEL`` for each field: the info level that sets that one field."""
    return [
        (f"{prefix}{field}_INFOLEVEL", f"PARMNUM_BASE_INFOLEVEL+{prefix}{field}_PARMNUM")
        for field in fields.split()
    ]


def union(*names):
    """A mask: the OR of the named bits."""
    return "|".join(names)


# (header, what the constants are, how to write the numbers, [(name, expression)]). An
# expression is evaluated with the constants above it; a string constant is a Python literal.
TABLE = [
    # -- winnetwk.h: the WNet functions ----------------------------------------------------
    ("winnetwk.h", "network types (WNNC_NET_*)", HEX, pairs("""
        WNNC_NET_MSNET 0x00010000      WNNC_NET_LANMAN 0x00020000     WNNC_NET_NETWARE 0x00030000
        WNNC_NET_VINES 0x00040000      WNNC_NET_10NET 0x00050000      WNNC_NET_LOCUS 0x00060000
        WNNC_NET_SUN_PC_NFS 0x00070000 WNNC_NET_LANSTEP 0x00080000    WNNC_NET_9TILES 0x00090000
        WNNC_NET_LANTASTIC 0x000A0000  WNNC_NET_AS400 0x000B0000      WNNC_NET_FTP_NFS 0x000C0000
        WNNC_NET_PATHWORKS 0x000D0000  WNNC_NET_LIFENET 0x000E0000    WNNC_NET_POWERLAN 0x000F0000
        WNNC_NET_BWNFS 0x00100000      WNNC_NET_COGENT 0x00110000     WNNC_NET_FARALLON 0x00120000
        WNNC_NET_APPLETALK 0x00130000  WNNC_NET_INTERGRAPH 0x00140000 WNNC_NET_SYMFONET 0x00150000
        WNNC_NET_CLEARCASE 0x00160000  WNNC_NET_FRONTIER 0x00170000   WNNC_NET_BMC 0x00180000
        WNNC_NET_DCE 0x00190000        WNNC_NET_DECORB 0x00200000     WNNC_NET_PROTSTOR 0x00210000
        WNNC_NET_FJ_REDIR 0x00220000   WNNC_NET_DISTINCT 0x00230000   WNNC_NET_TWINS 0x00240000
        WNNC_NET_RDR2SAMPLE 0x00250000
    """)),
    ("winnetwk.h", "enumeration scopes (NETRESOURCE.dwScope)", DECIMAL, pairs("""
        RESOURCE_CONNECTED 1  RESOURCE_GLOBALNET 2  RESOURCE_REMEMBERED 3  RESOURCE_RECENT 4
        RESOURCE_CONTEXT 5
    """)),
    ("winnetwk.h", "resource types (NETRESOURCE.dwType)", HEX, pairs("""
        RESOURCETYPE_ANY 0x0  RESOURCETYPE_DISK 0x1  RESOURCETYPE_PRINT 0x2
        RESOURCETYPE_RESERVED 0x8  RESOURCETYPE_UNKNOWN -1
    """)),
    ("winnetwk.h", "usage (NETRESOURCE.dwUsage)", HEX, pairs("""
        RESOURCEUSAGE_CONNECTABLE 0x1  RESOURCEUSAGE_CONTAINER 0x2  RESOURCEUSAGE_NOLOCALDEVICE 0x4
        RESOURCEUSAGE_SIBLING 0x8  RESOURCEUSAGE_ATTACHED 0x10
    """) + [
        ("RESOURCEUSAGE_ALL", union(
            "RESOURCEUSAGE_CONNECTABLE", "RESOURCEUSAGE_CONTAINER", "RESOURCEUSAGE_ATTACHED")),
        ("RESOURCEUSAGE_RESERVED", "-0x80000000"),
    ]),
    ("winnetwk.h", "display types (NETRESOURCE.dwDisplayType)", HEX, pairs("""
        RESOURCEDISPLAYTYPE_GENERIC 0x0     RESOURCEDISPLAYTYPE_DOMAIN 0x1
        RESOURCEDISPLAYTYPE_SERVER 0x2      RESOURCEDISPLAYTYPE_SHARE 0x3
        RESOURCEDISPLAYTYPE_FILE 0x4        RESOURCEDISPLAYTYPE_GROUP 0x5
        RESOURCEDISPLAYTYPE_NETWORK 0x6     RESOURCEDISPLAYTYPE_ROOT 0x7
        RESOURCEDISPLAYTYPE_SHAREADMIN 0x8  RESOURCEDISPLAYTYPE_DIRECTORY 0x9
        RESOURCEDISPLAYTYPE_TREE 0xA        RESOURCEDISPLAYTYPE_NDSCONTAINER 0xB
    """)),
    ("winnetwk.h", "WNetGetPropertyText", DECIMAL, pairs("NETPROPERTY_PERSISTENT 1")),
    ("winnetwk.h", "connection flags (WNetAddConnection2/3, WNetCancelConnection2)", HEX, pairs("""
        CONNECT_UPDATE_PROFILE 0x1  CONNECT_UPDATE_RECENT 0x2  CONNECT_TEMPORARY 0x4
        CONNECT_INTERACTIVE 0x8     CONNECT_PROMPT 0x10        CONNECT_NEED_DRIVE 0x20
        CONNECT_REFCOUNT 0x40       CONNECT_REDIRECT 0x80      CONNECT_LOCALDRIVE 0x100
        CONNECT_CURRENT_MEDIA 0x200 CONNECT_DEFERRED 0x400     CONNECT_RESERVED -0x1000000
    """)),
    ("winnetwk.h", "connection dialogs (CONNECTDLGSTRUCT.dwFlags)", HEX, pairs("""
        CONNDLG_RO_PATH 0x1  CONNDLG_CONN_POINT 0x2  CONNDLG_USE_MRU 0x4  CONNDLG_HIDE_BOX 0x8
        CONNDLG_PERSIST 0x10  CONNDLG_NOT_PERSIST 0x20
    """)),
    ("winnetwk.h", "disconnect dialog (DISCDLGSTRUCT.dwFlags)", HEX, pairs("""
        DISC_UPDATE_PROFILE 0x1  DISC_NO_FORCE 0x40
    """)),
    ("winnetwk.h", "WNetGetUniversalName levels", DECIMAL, pairs("""
        UNIVERSAL_NAME_INFO_LEVEL 1  REMOTE_NAME_INFO_LEVEL 2
    """)),
    ("winnetwk.h", "WNetFormatNetworkName", HEX, pairs("""
        WNFMT_MULTILINE 0x01  WNFMT_ABBREVIATED 0x02  WNFMT_INENUM 0x10  WNFMT_CONNECTION 0x20
    """)),
    ("winnetwk.h", "NETINFOSTRUCT, and the logon and password providers", HEX, pairs("""
        NETINFO_DLL16 0x1  NETINFO_DISKRED 0x4  NETINFO_PRINTERRED 0x8
        RP_LOGON 0x01  RP_INIFILE 0x02  PP_DISPLAYERRORS 0x01
    """)),
    ("winnetwk.h", "NETCONNECTINFOSTRUCT", HEX, pairs("""
        WNCON_FORNETCARD 0x1  WNCON_NOTROUTED 0x2  WNCON_SLOWLINK 0x4  WNCON_DYNAMIC 0x8
    """)),
    # -- lmcons.h: what every LAN Manager function shares ----------------------------------
    ("lmcons.h", "lengths of names and buffers, in characters", DECIMAL, pairs("""
        CNLEN 15             LM20_CNLEN 15
        DNLEN CNLEN          LM20_DNLEN LM20_CNLEN
        UNCLEN CNLEN+2       LM20_UNCLEN LM20_CNLEN+2
        NNLEN 80             LM20_NNLEN 12
        RMLEN UNCLEN+1+NNLEN LM20_RMLEN LM20_UNCLEN+1+LM20_NNLEN
        SNLEN 80             LM20_SNLEN 15
        STXTLEN 256          LM20_STXTLEN 63
        PATHLEN 256          LM20_PATHLEN 256
        DEVLEN 80            LM20_DEVLEN 8
        EVLEN 16
        UNLEN 256            LM20_UNLEN 20
        GNLEN UNLEN          LM20_GNLEN LM20_UNLEN
        PWLEN 256            LM20_PWLEN 14
        SHPWLEN 8            CLTYPE_LEN 12
        MAXCOMMENTSZ 256     LM20_MAXCOMMENTSZ 48
        QNLEN NNLEN          LM20_QNLEN LM20_NNLEN
        ALERTSZ 128          NETBIOS_NAME_LEN 16
        CRYPT_KEY_LEN 7      CRYPT_TXT_LEN 8
        ENCRYPTED_PWLEN 16   SESSION_PWLEN 24     SESSION_CRYPT_KLEN 21
    """)),
    ("lmcons.h", "parameters and buffers of the Net* functions", DECIMAL, pairs("""
        PARMNUM_ALL 0  PARM_ERROR_NONE 0  PARM_ERROR_UNKNOWN -1  PARMNUM_BASE_INFOLEVEL 1000
        MAX_PREFERRED_LENGTH -1  NULL 0
    """)),
    ("lmcons.h", "platform IDs", DECIMAL, pairs("""
        PLATFORM_ID_DOS 300  PLATFORM_ID_OS2 400  PLATFORM_ID_NT 500  PLATFORM_ID_OSF 600
        PLATFORM_ID_VMS 700
    """)),
    ("lmcons.h", "message files", DECIMAL, pairs("""
        MAX_LANMAN_MESSAGE_ID 5799
        MESSAGE_FILENAME 'NETMSG'  OS2MSG_FILENAME 'BASE'  HELP_MSG_FILENAME 'NETH'
        BACKUP_MSG_FILENAME 'BAK.MSG'
    """)),
    # -- lmaccess.h: users, groups, access, logon ------------------------------------------
    ("lmaccess.h", "user account flags (USER_INFO_1.usri1_flags)", HEX, pairs("""
        UF_SCRIPT 0x1  UF_ACCOUNTDISABLE 0x2  UF_HOMEDIR_REQUIRED 0x8  UF_LOCKOUT 0x10
        UF_PASSWD_NOTREQD 0x20  UF_PASSWD_CANT_CHANGE 0x40
        UF_TEMP_DUPLICATE_ACCOUNT 0x100  UF_NORMAL_ACCOUNT 0x200
        UF_INTERDOMAIN_TRUST_ACCOUNT 0x800  UF_WORKSTATION_TRUST_ACCOUNT 0x1000
        UF_SERVER_TRUST_ACCOUNT 0x2000
        UF_DONT_EXPIRE_PASSWD 0x10000  UF_MNS_LOGON_ACCOUNT 0x20000
    """) + [
        ("UF_MACHINE_ACCOUNT_MASK", union(
            "UF_INTERDOMAIN_TRUST_ACCOUNT", "UF_WORKSTATION_TRUST_ACCOUNT",
            "UF_SERVER_TRUST_ACCOUNT")),
        ("UF_ACCOUNT_TYPE_MASK", union(
            "UF_TEMP_DUPLICATE_ACCOUNT", "UF_NORMAL_ACCOUNT", "UF_MACHINE_ACCOUNT_MASK")),
        ("UF_SETTABLE_BITS", union(
            "UF_SCRIPT", "UF_ACCOUNTDISABLE", "UF_LOCKOUT", "UF_HOMEDIR_REQUIRED",
            "UF_PASSWD_NOTREQD", "UF_PASSWD_CANT_CHANGE", "UF_ACCOUNT_TYPE_MASK",
            "UF_DONT_EXPIRE_PASSWD", "UF_MNS_LOGON_ACCOUNT")),
    ]),
    ("lmaccess.h", "NetUserEnum filters", HEX, pairs("""
        FILTER_TEMP_DUPLICATE_ACCOUNT 0x1  FILTER_NORMAL_ACCOUNT 0x2
        FILTER_INTERDOMAIN_TRUST_ACCOUNT 0x8  FILTER_WORKSTATION_TRUST_ACCOUNT 0x10
        FILTER_SERVER_TRUST_ACCOUNT 0x20
    """)),
    ("lmaccess.h", "NetUserGetLocalGroups", HEX, pairs("LG_INCLUDE_INDIRECT 0x1")),
    ("lmaccess.h", "operator privileges (USER_INFO_2.usri2_auth_flags)", HEX, pairs("""
        AF_OP_PRINT 0x1  AF_OP_COMM 0x2  AF_OP_SERVER 0x4  AF_OP_ACCOUNTS 0x8
    """) + [
        ("AF_SETTABLE_BITS", union("AF_OP_PRINT", "AF_OP_COMM", "AF_OP_SERVER", "AF_OP_ACCOUNTS")),
    ]),
    ("lmaccess.h", "server roles (USER_MODALS_INFO_1.usrmod1_role)", DECIMAL, pairs("""
        UAS_ROLE_STANDALONE 0  UAS_ROLE_MEMBER 1  UAS_ROLE_BACKUP 2  UAS_ROLE_PRIMARY 3
    """)),
    ("lmaccess.h", "NetUserSetInfo parameter numbers", DECIMAL, parmnums("USER_", """
        NAME 1  PASSWORD 3  PASSWORD_AGE 4  PRIV 5  HOME_DIR 6  COMMENT 7  FLAGS 8
        SCRIPT_PATH 9  AUTH_FLAGS 10  FULL_NAME 11  USR_COMMENT 12  PARMS 13  WORKSTATIONS 14
        LAST_LOGON 15  LAST_LOGOFF 16  ACCT_EXPIRES 17  MAX_STORAGE 18  UNITS_PER_WEEK 19
        LOGON_HOURS 20  PAD_PW_COUNT 21  NUM_LOGONS 22  LOGON_SERVER 23  COUNTRY_CODE 24
        CODE_PAGE 25  PRIMARY_GROUP 51
    """) + pairs("USER_PROFILE 52") + parmnums("USER_", "PROFILE 52  HOME_DIR_DRIVE 53")),
    ("lmaccess.h", "NetUserSetInfo info levels of one field", DECIMAL, infolevels("USER_", """
        NAME PASSWORD PASSWORD_AGE PRIV HOME_DIR COMMENT FLAGS SCRIPT_PATH AUTH_FLAGS FULL_NAME
        USR_COMMENT PARMS WORKSTATIONS LAST_LOGON LAST_LOGOFF ACCT_EXPIRES MAX_STORAGE
        UNITS_PER_WEEK LOGON_HOURS PAD_PW_COUNT NUM_LOGONS LOGON_SERVER COUNTRY_CODE CODE_PAGE
        PRIMARY_GROUP HOME_DIR_DRIVE
    """)),
    ("lmaccess.h", "user accounts: privileges, storage, logon hours", DECIMAL, pairs("""
        NULL_USERSETINFO_PASSWD '              '
        TIMEQ_FOREVER -1  USER_MAXSTORAGE_UNLIMITED -1  USER_NO_LOGOFF -1
        UNITS_PER_DAY 24  UNITS_PER_WEEK UNITS_PER_DAY*7
        USER_PRIV_MASK 3  USER_PRIV_GUEST 0  USER_PRIV_USER 1  USER_PRIV_ADMIN 2
    """)),
    ("lmaccess.h", "password and logoff defaults", DECIMAL, pairs("""
        MAX_PASSWD_LEN PWLEN  DEF_MIN_PWLEN 6  DEF_PWUNIQUENESS 5  DEF_MAX_PWHIST 8
        DEF_MAX_PWAGE TIMEQ_FOREVER  DEF_MIN_PWAGE 0  DEF_FORCE_LOGOFF -1  DEF_MAX_BADPW 0
        ONE_DAY 24*3600
    """)),
    ("lmaccess.h", "logon results (NetLogon*)", DECIMAL, pairs("""
        VALIDATED_LOGON 0  PASSWORD_EXPIRED 2  NON_VALIDATED_LOGON 3  VALID_LOGOFF 1
    """)),
    ("lmaccess.h", "NetUserModalsSet parameter numbers", DECIMAL, parmnums("MODALS_", """
        MIN_PASSWD_LEN 1  MAX_PASSWD_AGE 2  MIN_PASSWD_AGE 3  FORCE_LOGOFF 4  PASSWD_HIST_LEN 5
        ROLE 6  PRIMARY 7  DOMAIN_NAME 8  DOMAIN_ID 9  LOCKOUT_DURATION 10
        LOCKOUT_OBSERVATION_WINDOW 11  LOCKOUT_THRESHOLD 12
    """)),
    ("lmaccess.h", "NetUserModalsSet info levels of one field", DECIMAL, infolevels("MODALS_", """
        MIN_PASSWD_LEN MAX_PASSWD_AGE MIN_PASSWD_AGE FORCE_LOGOFF PASSWD_HIST_LEN ROLE PRIMARY
        DOMAIN_NAME DOMAIN_ID
    """)),
    ("lmaccess.h", "groups", DECIMAL, pairs("""
        GROUPIDMASK 0x8000
        GROUP_SPECIALGRP_USERS 'USERS'  GROUP_SPECIALGRP_ADMINS 'ADMINS'
        GROUP_SPECIALGRP_GUESTS 'GUESTS'  GROUP_SPECIALGRP_LOCAL 'LOCAL'
    """) + parmnums("GROUP_", "ALL 0  NAME 1  COMMENT 2  ATTRIBUTES 3")
        + infolevels("GROUP_", "ALL NAME COMMENT ATTRIBUTES")
        + parmnums("LOCALGROUP_", "NAME 1  COMMENT 2")),
    ("lmaccess.h", "access permissions (ACCESS_INFO_1)", HEX, pairs("""
        MAXPERMENTRIES 64
        ACCESS_NONE 0x0  ACCESS_READ 0x1  ACCESS_WRITE 0x2  ACCESS_CREATE 0x4  ACCESS_EXEC 0x8
        ACCESS_DELETE 0x10  ACCESS_ATRIB 0x20  ACCESS_PERM 0x40
    """) + [
        ("ACCESS_ALL", union(
            "ACCESS_READ", "ACCESS_WRITE", "ACCESS_CREATE", "ACCESS_EXEC", "ACCESS_DELETE",
            "ACCESS_ATRIB", "ACCESS_PERM")),
    ] + pairs("""
        ACCESS_GROUP 0x8000
        ACCESS_AUDIT 0x1
        ACCESS_SUCCESS_OPEN 0x10  ACCESS_SUCCESS_WRITE 0x20  ACCESS_SUCCESS_DELETE 0x40
        ACCESS_SUCCESS_ACL 0x80   ACCESS_SUCCESS_MASK 0xF0
        ACCESS_FAIL_OPEN 0x100    ACCESS_FAIL_WRITE 0x200    ACCESS_FAIL_DELETE 0x400
        ACCESS_FAIL_ACL 0x800     ACCESS_FAIL_MASK 0xF00     ACCESS_FAIL_SHIFT 4
    """) + parmnums("ACCESS_", "RESOURCE_NAME 1  ATTR 2  COUNT 3  ACCESS_LIST 4")
        + infolevels("ACCESS_", "RESOURCE_NAME ATTR COUNT ACCESS_LIST")
        + pairs("ACCESS_LETTERS 'RWCXDAP         '")),
    ("lmaccess.h", "I_NetLogonControl function codes and replication states", HEX, pairs("""
        NETLOGON_CONTROL_QUERY 0x1  NETLOGON_CONTROL_REPLICATE 0x2
        NETLOGON_CONTROL_SYNCHRONIZE 0x3  NETLOGON_CONTROL_PDC_REPLICATE 0x4
        NETLOGON_CONTROL_REDISCOVER 0x5  NETLOGON_CONTROL_TC_QUERY 0x6
        NETLOGON_CONTROL_TRANSPORT_NOTIFY 0x7  NETLOGON_CONTROL_FIND_USER 0x8
        NETLOGON_CONTROL_UNLOAD_NETLOGON_DLL 0xFFFB  NETLOGON_CONTROL_BACKUP_CHANGE_LOG 0xFFFC
        NETLOGON_CONTROL_TRUNCATE_LOG 0xFFFD  NETLOGON_CONTROL_SET_DBFLAG 0xFFFE
        NETLOGON_CONTROL_BREAKPOINT 0xFFFF
        NETLOGON_REPLICATION_NEEDED 0x1  NETLOGON_REPLICATION_IN_PROGRESS 0x2
        NETLOGON_FULL_SYNC_REPLICATION 0x4  NETLOGON_REDO_NEEDED 0x8
    """)),
    ("lmaccess.h", "NetValidatePasswordPolicy types (NET_VALIDATE_PASSWORD_TYPE)", DECIMAL,
     pairs("""
        NetValidateAuthentication 1  NetValidatePasswordChange 2  NetValidatePasswordReset 3
    """)),
    # -- lmserver.h: servers ---------------------------------------------------------------
    ("lmserver.h", "platforms and versions (SERVER_INFO_101)", DECIMAL, pairs("""
        SV_PLATFORM_ID_OS2 400  SV_PLATFORM_ID_NT 500  MAJOR_VERSION_MASK 0x0F
    """)),
    ("lmserver.h", "server types (SERVER_INFO_101.sv101_type, NetServerEnum)", HEX, pairs("""
        SV_TYPE_WORKSTATION 0x1  SV_TYPE_SERVER 0x2  SV_TYPE_SQLSERVER 0x4
        SV_TYPE_DOMAIN_CTRL 0x8  SV_TYPE_DOMAIN_BAKCTRL 0x10  SV_TYPE_TIME_SOURCE 0x20
        SV_TYPE_AFP 0x40  SV_TYPE_NOVELL 0x80  SV_TYPE_DOMAIN_MEMBER 0x100
        SV_TYPE_PRINTQ_SERVER 0x200  SV_TYPE_DIALIN_SERVER 0x400  SV_TYPE_XENIX_SERVER 0x800
        SV_TYPE_SERVER_UNIX SV_TYPE_XENIX_SERVER
        SV_TYPE_NT 0x1000  SV_TYPE_WFW 0x2000  SV_TYPE_SERVER_MFPN 0x4000
        SV_TYPE_SERVER_NT 0x8000  SV_TYPE_POTENTIAL_BROWSER 0x10000
        SV_TYPE_BACKUP_BROWSER 0x20000  SV_TYPE_MASTER_BROWSER 0x40000
        SV_TYPE_DOMAIN_MASTER 0x80000  SV_TYPE_SERVER_OSF 0x100000  SV_TYPE_SERVER_VMS 0x200000
        SV_TYPE_WINDOWS 0x400000  SV_TYPE_DFS 0x800000  SV_TYPE_CLUSTER_NT 0x1000000
        SV_TYPE_DCE 0x10000000  SV_TYPE_ALTERNATE_XPORT 0x20000000
        SV_TYPE_LOCAL_LIST_ONLY 0x40000000  SV_TYPE_DOMAIN_ENUM -0x80000000  SV_TYPE_ALL -1
    """)),
    ("lmserver.h", "server settings", DECIMAL, pairs("""
        SV_NODISC -1  SV_USERSECURITY 1  SV_SHARESECURITY 0  SV_HIDDEN 1  SV_VISIBLE 0
    """)),
    ("lmserver.h", "NetServerSetInfo parameter numbers", DECIMAL, parmnums("SV_", """
        PLATFORM_ID 101  NAME 102  VERSION_MAJOR 103  VERSION_MINOR 104  TYPE 105  COMMENT 5
        USERS 107  DISC 10  HIDDEN 16  ANNOUNCE 17  ANNDELTA 18  USERPATH 112
        ULIST_MTIME 401  GLIST_MTIME 402  ALIST_MTIME 403  ALERTS 11  SECURITY 405
        NUMADMIN 406  LANMASK 407  GUESTACC 408  CHDEVQ 410  CHDEVJOBS 411  CONNECTIONS 412
        SHARES 413  OPENFILES 414  SESSREQS 417  ACTIVELOCKS 419  NUMREQBUF 420  NUMBIGBUF 422
        NUMFILETASKS 423  ALERTSCHED 37  ERRORALERT 38  LOGONALERT 39  ACCESSALERT 40
        DISKALERT 41  NETIOALERT 42  MAXAUDITSZ 43  SRVHEURISTICS 431
        SESSOPENS 501  SESSVCS 502  OPENSEARCH 503  SIZREQBUF 504  INITWORKITEMS 505
        MAXWORKITEMS 506  RAWWORKITEMS 507  IRPSTACKSIZE 508  MAXRAWBUFLEN 509  SESSUSERS 510
        SESSCONNS 511  MAXNONPAGEDMEMORYUSAGE 512  MAXPAGEDMEMORYUSAGE 513  ENABLESOFTCOMPAT 514
        ENABLEFORCEDLOGOFF 515  TIMESOURCE 516  ACCEPTDOWNLEVELAPIS 517  LMANNOUNCE 518
        DOMAIN 519  MAXCOPYREADLEN 520  MAXCOPYWRITELEN 521  MINKEEPSEARCH 522
        MAXKEEPSEARCH 523  MINKEEPCOMPLSEARCH 524  MAXKEEPCOMPLSEARCH 525  THREADCOUNTADD 526
        NUMBLOCKTHREADS 527  SCAVTIMEOUT 528  MINRCVQUEUE 529  MINFREEWORKITEMS 530
        XACTMEMSIZE 531  THREADPRIORITY 532  MAXMPXCT 533  OPLOCKBREAKWAIT 534
        OPLOCKBREAKRESPONSEWAIT 535  ENABLEOPLOCKS 536  ENABLEOPLOCKFORCECLOSE 537
        ENABLEFCBOPENS 538  ENABLERAW 539  ENABLESHAREDNETDRIVES 540  MINFREECONNECTIONS 541
        MAXFREECONNECTIONS 542  INITSESSTABLE 543  INITCONNTABLE 544  INITFILETABLE 545
        INITSEARCHTABLE 546  ALERTSCHEDULE 547  ERRORTHRESHOLD 548  NETWORKERRORTHRESHOLD 549
        DISKSPACETHRESHOLD 550  MAXLINKDELAY 552  MINLINKTHROUGHPUT 553  LINKINFOVALIDTIME 554
        SCAVQOSINFOUPDATETIME 555  MAXWORKITEMIDLETIME 556  MAXRAWWORKITEMS 557
        PRODUCTTYPE 560  SERVERSIZE 561  CONNECTIONLESSAUTODISC 562
        SHARINGVIOLATIONRETRIES 563  SHARINGVIOLATIONDELAY 564  MAXGLOBALOPENSEARCH 565
        REMOVEDUPLICATESEARCHES 566  LOCKVIOLATIONRETRIES 567  LOCKVIOLATIONOFFSET 568
        LOCKVIOLATIONDELAY 569  MDLREADSWITCHOVER 570  CACHEDOPENLIMIT 571
        CRITICALTHREADS 572  RESTRICTNULLSESSACCESS 573  ENABLEWFW311DIRECTIPX 574
        OTHERQUEUEAFFINITY 575  QUEUESAMPLESECS 576  BALANCECOUNT 577  PREFERREDAFFINITY 578
        MAXFREERFCBS 579  MAXFREEMFCBS 580  MAXFREELFCBS 581  MAXFREEPAGEDPOOLCHUNKS 582
        MINPAGEDPOOLCHUNKSIZE 583  MAXPAGEDPOOLCHUNKSIZE 584  SENDSFROMPREFERREDPROCESSOR 585
        MAXTHREADSPERQUEUE 586  CACHEDDIRECTORYLIMIT 587  MAXCOPYLENGTH 588
        ENABLEBULKTRANSFER 589  ENABLECOMPRESSION 590  AUTOSHAREWKS 591  AUTOSHARESERVER 592
        ENABLESECURITYSIGNATURE 593  REQUIRESECURITYSIGNATURE 594  MINCLIENTBUFFERSIZE 595
        CONNECTIONNOSESSIONSTIMEOUT 596
    """)),
    ("lmserver.h", "structure sizes and limits", DECIMAL, pairs("""
        SVI1_NUM_ELEMENTS 5  SVI2_NUM_ELEMENTS 40  SVI3_NUM_ELEMENTS 44
        SW_AUTOPROF_LOAD_MASK 0x1  SW_AUTOPROF_SAVE_MASK 0x2
        SV_MAX_SRV_HEUR_LEN 32  SV_USERS_PER_LICENSE 5  SVTI2_REMAP_PIPE_NAMES 0x2
    """)),
    # -- lmshare.h: shares, sessions -------------------------------------------------------
    ("lmshare.h", "NetShareSetInfo parameter numbers", DECIMAL, parmnums("SHARE_", """
        NETNAME 1  TYPE 3  REMARK 4  PERMISSIONS 5  MAX_USES 6  CURRENT_USES 7  PATH 8
        PASSWD 9  FILE_SD 501
    """) + pairs("SHI1_NUM_ELEMENTS 4  SHI2_NUM_ELEMENTS 10")),
    ("lmshare.h", "share types (SHARE_INFO_1.shi1_type)", HEX, pairs("""
        STYPE_DISKTREE 0  STYPE_PRINTQ 1  STYPE_DEVICE 2  STYPE_IPC 3  STYPE_SPECIAL -0x80000000
    """)),
    ("lmshare.h", "share flags (SHARE_INFO_1005.shi1005_flags)", HEX, pairs("""
        SHI1005_FLAGS_DFS 0x1  SHI1005_FLAGS_DFS_ROOT 0x2  COW_PERMACHINE 0x4  COW_PERUSER 0x8
        CSC_CACHEABLE 0x10  CSC_NOFLOWOPS 0x20  CSC_AUTO_INWARD 0x40  CSC_AUTO_OUTWARD 0x80
    """) + [
        ("SHI1005_VALID_FLAGS_SET", union(
            "CSC_CACHEABLE", "CSC_NOFLOWOPS", "CSC_AUTO_INWARD", "CSC_AUTO_OUTWARD",
            "COW_PERMACHINE", "COW_PERUSER")),
        ("SHI1007_VALID_FLAGS_SET", "SHI1005_VALID_FLAGS_SET"),
    ]),
    ("lmshare.h", "sessions (SESSION_INFO_1.sesi1_user_flags)", DECIMAL, pairs("""
        SESS_GUEST 1  SESS_NOENCRYPTION 2  SESI1_NUM_ELEMENTS 8  SESI2_NUM_ELEMENTS 9
    """)),
    ("lmshare.h", "file permissions (FILE_INFO_3.fi3_permissions)", HEX, pairs("""
        PERM_FILE_READ 0x1  PERM_FILE_WRITE 0x2  PERM_FILE_CREATE 0x4
    """)),
    # -- lmjoin.h: joining a domain --------------------------------------------------------
    ("lmjoin.h", "NetValidateName name types (NETSETUP_NAME_TYPE)", DECIMAL, pairs("""
        NetSetupUnknown 0  NetSetupMachine 1  NetSetupWorkgroup 2  NetSetupDomain 3
        NetSetupNonExistentDomain 4  NetSetupDnsMachine 5
    """)),
    ("lmjoin.h", "NetGetJoinInformation states (NETSETUP_JOIN_STATUS)", DECIMAL, pairs("""
        NetSetupUnknownStatus 0  NetSetupUnjoined 1  NetSetupWorkgroupName 2
        NetSetupDomainName 3
    """)),
]

HEADER = '''"""pywin32's ``win32netcon``: the constants of the Windows SDK's winnetwk.h (the WNet
functions), lmcons.h, lmaccess.h, lmserver.h, lmshare.h and lmjoin.h (the LAN Manager Net*
functions), with the names, values and types pywin32 gives them.

As in pywin32, a DWORD with its top bit set is the negative number a signed 32-bit read gives
(``RESOURCETYPE_UNKNOWN`` and ``SV_TYPE_ALL`` are -1), because ``NETRESOURCE`` reads and
``WNetOpenEnum`` takes its integers as signed C ints.

Written by scripts/win32netcon.py from its table; edit the table, not this file.
"""


def TEXT(text: str) -> str:
    """The SDK's ``TEXT`` macro, which marks a string literal: returns ``text``."""
    return text
'''


def value_text(value, notation):
    """How the module writes a value."""
    if isinstance(value, str):
        return repr(value)
    if notation == HEX and value >= 0:
        return f"0x{value:X}"
    return str(value)


def module_text():
    """The module's source, from the table."""
    values = {}
    lines = [HEADER]
    for header, title, notation, entries in TABLE:
        lines.append("")
        lines.append(f"# {header}: {title}.")
        for name, expression in entries:
            if name in values:
                raise ValueError(f"{name} is in the table twice")
            value = eval(expression, {"__builtins__": {}}, dict(values))  # our own table
            if not isinstance(value, (int, str)):
                raise ValueError(f"{name} = {expression!r} is neither an int nor a str")
            values[name] = value
            lines.append(f"{name} = {value_text(value, notation)}")
    return "\n".join(lines) + "\n"


def main(arguments):
    text = module_text()
    if arguments == ["--check"]:
        if MODULE.read_text() != text:
            print(f"{MODULE} differs from its table: run python3 {sys.argv[0]}", file=sys.stderr)
            return 1
        return 0
    if arguments:
        print(__doc__, file=sys.stderr)
        return 2
    MODULE.write_text(text)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
