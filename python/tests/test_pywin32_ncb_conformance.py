"""``NCB``, ``NETRESOURCE``, ``netbios`` and ``win32netcon`` where pywin32's sources decide a
corner case (issue 19): each test names the pywin32 source that sets the behaviour it pins.

Lab-free except ``python -m netbios``, which runs pywin32's demo against the Samba lab."""

import pytest

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
