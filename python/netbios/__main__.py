"""``python -m netbios``: the demonstration pywin32's ``netbios.py`` runs as a script, which
prints the address of each adapter (Microsoft KB Q118623): NCBENUM for the LANA numbers, then
on each LANA an NCBRESET and a local NCBASTAT. A command that fails raises ``RuntimeError``."""

from netbios import (
    ADAPTER_STATUS,
    LANA_ENUM,
    NCB,
    NCBASTAT,
    NCBENUM,
    NCBRESET,
    Netbios,
)


def _show_adapter_addresses() -> None:
    ncb = NCB()
    ncb.Command = NCBENUM
    lanas = LANA_ENUM()
    ncb.Buffer = lanas
    code = Netbios(ncb)
    if code != 0:
        raise RuntimeError(f"Unexpected result {code}")
    for index in range(lanas.length):
        lana = lanas.lana[index]
        ncb.Reset()
        ncb.Command = NCBRESET
        ncb.Lana_num = lana
        code = Netbios(ncb)
        if code != 0:
            raise RuntimeError(f"Unexpected result {code}")
        ncb.Reset()
        ncb.Command = NCBASTAT
        ncb.Lana_num = lana
        ncb.Callname = b"*" + b" " * 15
        adapter = ADAPTER_STATUS()
        ncb.Buffer = adapter
        Netbios(ncb)
        print("Adapter address:", "".join(f"{byte:02x} " for byte in adapter.adapter_address))


if __name__ == "__main__":
    _show_adapter_addresses()
