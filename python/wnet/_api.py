"""The Pythonic API over the native module: frozen dataclasses, iterators, a context manager
for connections. Every call goes to the Rust crates (through ``wnet._native``), with the GIL
released while it waits on the network or the agent; the native module decides (connection
flags, server names, share kinds, hidden shares), builds the ``Connection`` and ``Share``
records and raises the ``wnet.Error`` subclasses itself."""

from __future__ import annotations

import dataclasses
from typing import Dict, Iterable, Iterator, List, Optional, Tuple, Union

from wnet import _native


@dataclasses.dataclass(frozen=True)
class Connection:
    """A connection of the agent's table; as a context manager, cancelled on exit."""

    remote_name: str
    local_name: Optional[str]
    user: str
    dialect: str
    signing: bool
    encryption: bool
    session_reused: bool = False
    #: How the session authenticated: ``Kerberos``, ``NTLM`` or ``NTLM (Kerberos not used:
    #: why)``; empty when unknown.
    authentication: str = ""

    def close(self, force: bool = True) -> None:
        """Cancels the connection (by its local name if it has one, else its remote name)."""
        _native._cancel(self.local_name or self.remote_name, force, False)

    def __enter__(self) -> "Connection":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def connect(
    remote: str,
    user: Optional[str] = None,
    password: Optional[str] = None,
    device: Optional[str] = None,
    remember: bool = False,
    *,
    integrity: bool = False,
    privacy: bool = False,
    auth: Optional[str] = None,
) -> Connection:
    """Connects ``\\\\server\\share`` (or ``//server/share``), deviceless or redirecting
    ``device``; ``remember`` keeps a device's connection across logons; ``integrity`` and
    ``privacy`` require SMB signing and encryption. Without ``user`` and ``password`` the
    caller's Kerberos tickets (``KRB5CCNAME``) are used where the server is in a domain, as on
    Windows; ``auth="kerberos"`` requires Kerberos (no NTLM fallback), ``auth="ntlm"`` NTLM
    alone. Use it in a ``with`` block to cancel the connection at the end."""
    return _native._connect(remote, device, user, password, remember, integrity, privacy, auth)


def disconnect(name: str, force: bool = True, forget: bool = False) -> None:
    """Cancels a connection by local device or remote name (``forget``: and its remembered
    entry)."""
    _native._cancel(name, force, forget)


def connections() -> List[Connection]:
    """The connections the agent holds (none when no agent runs)."""
    return _native._connections()


@dataclasses.dataclass(frozen=True)
class Share:
    """A share of a server."""

    name: str
    remote_name: str
    kind: str
    special: bool
    comment: str

    @property
    def hidden(self) -> bool:
        """Whether the name ends in ``$`` (Windows' enumeration hides those)."""
        return self.name.endswith("$")


def shares(
    server: str,
    user: Optional[str] = None,
    password: Optional[str] = None,
    hidden: bool = False,
) -> Iterator[Share]:
    """The shares of ``server`` (``$`` shares only with ``hidden``), over the agent's session
    with it or one made with ``user``/``password`` or the default credentials."""
    yield from _native._shares(server, user, password, hidden)


@dataclasses.dataclass(frozen=True)
class Server:
    """A server of the network neighbourhood."""

    name: str
    address: str
    workgroup: str
    #: Who saw it: ``"nbns"`` (NetBIOS), ``"wsd"`` (WS-Discovery), ``"mdns"``
    #: (mDNS/DNS-SD), ``"dns"`` (a domain's controllers), ``"directory"`` (LDAP).
    sources: Tuple[str, ...] = ()


def workgroups() -> List[str]:
    """The workgroups (and domains) visible from here: NetBIOS's, WS-Discovery's, the host's
    Active Directory domains and this machine's own."""
    return [name for name, _sources in _native._workgroups()]


def workgroup_sources() -> Dict[str, Tuple[str, ...]]:
    """Each workgroup or domain visible from here, with the sources that know it (empty for
    this machine's own workgroup when no source has seen it)."""
    return {name: tuple(sources) for name, sources in _native._workgroups()}


def neighbourhood() -> List[Server]:
    """Every server nearby, whatever its workgroup (what Windows' Network folder shows):
    NetBIOS, WS-Discovery and mDNS merged, each once with its workgroup (``""`` where no
    source says) and the sources that saw it, sorted by name. A running agent answers from
    what it has heard; without one this runs a round of discovery (about two seconds)."""
    return [
        Server(name=name, address=address, workgroup=workgroup, sources=tuple(sources))
        for name, address, workgroup, sources in _native._neighbourhood()
    ]


def browse(workgroup: Optional[str] = None) -> Iterator[Server]:
    """The servers of ``workgroup`` (this machine's, ``WNET_WORKGROUP``, by default): NetBIOS,
    WS-Discovery and mDNS merged, each server once with the sources that saw it. Servers no
    source places in a workgroup (mDNS says none) are listed in this machine's."""
    asked, found = _native._servers(workgroup)
    for name, address, sources in found:
        yield Server(name=name, address=address, workgroup=asked, sources=tuple(sources))


@dataclasses.dataclass(frozen=True)
class UniversalName:
    """What ``WNetGetUniversalName`` says of a local path."""

    universal_name: str
    connection_name: str
    remaining_path: str


def universal_name(path: str) -> UniversalName:
    """The UNC name of a path on a redirected device or an SMB mount."""
    return UniversalName(*_native._universal_name(path))


@dataclasses.dataclass(frozen=True)
class DfsReferral:
    """One DFS referral a path went through (what ``dfsutil`` lists for a cached entry)."""

    #: The part of the path it covers: ``\\server\root`` or ``\\server\root\link``.
    prefix: str
    #: Whether it is a link's referral (else a namespace root's).
    link: bool
    #: Its targets, ``\\server\share[\path]``, in the order the server gave them (the
    #: order failover tries them in).
    targets: Tuple[str, ...]
    #: The index in ``targets`` of the one in use.
    active: int
    #: How many seconds the referral stays cached.
    ttl: int

    @property
    def active_target(self) -> Optional[str]:
        """The target in use (``None`` if ``active`` names none)."""
        return self.targets[self.active] if 0 <= self.active < len(self.targets) else None


@dataclasses.dataclass(frozen=True)
class DfsTargets:
    """Where a path lands in DFS namespaces, and the referrals on the way."""

    #: ``\\server\share\path`` on the share that holds the path (the path itself when it
    #: is in no namespace).
    physical: str
    #: The referrals followed, in order (none when the path is in no namespace).
    referrals: Tuple[DfsReferral, ...]
    #: Referral requests the agent has sent since it started: a path answered from its
    #: referral cache leaves the count unchanged.
    referral_requests: int


def _dfs_targets(raw: Tuple[str, List[Tuple[str, bool, List[str], int, int]], int]) -> DfsTargets:
    physical, referrals, referral_requests = raw
    return DfsTargets(
        physical=physical,
        referrals=tuple(
            DfsReferral(prefix, link, tuple(targets), active, ttl)
            for prefix, link, targets, active, ttl in referrals
        ),
        referral_requests=referral_requests,
    )


def dfs_targets(path: str) -> DfsTargets:
    """Where ``path`` lands in DFS namespaces, as ``dfsutil client property state`` and
    ``NetDfsGetClientInfo`` show it: the physical path and each referral on the way with its
    targets and the one in use. ``path`` is a UNC path (``\\\\server\\share\\...``,
    ``\\\\domain\\namespace\\...``) or a path on a redirected drive (``Z:\\dir``). Sessions
    are made with the default credentials or the caller's Kerberos tickets."""
    return _dfs_targets(_native._dfs_targets(path))


@dataclasses.dataclass(frozen=True)
class NameAddress:
    """An address a NetBIOS name resolved to."""

    address: str
    group: bool


def lookup(name: str, timeout: Optional[float] = None) -> List[NameAddress]:
    """Resolves a NetBIOS name (``NAME`` or ``NAME#XX``) by name servers and broadcast, as the
    node type says; raises ``NameNotFound`` or ``Timeout``."""
    return [NameAddress(address, group) for address, group in _native._lookup(name, timeout)]


@dataclasses.dataclass(frozen=True)
class NodeName:
    """A name of a node's name table."""

    name: str
    suffix: int
    group: bool
    flags: int

    def __str__(self) -> str:
        return f"{self.name}<{self.suffix:02x}>"


@dataclasses.dataclass(frozen=True)
class NodeStatus:
    """A node's name table and MAC address."""

    address: str
    names: Tuple[NodeName, ...]
    mac: str

    def has(self, name: str, suffix: int) -> bool:
        """Whether the table holds ``name<suffix>``."""
        return any(n.name.upper() == name.upper() and n.suffix == suffix for n in self.names)


def _node_status(raw: Tuple[str, List[Tuple[str, int, bool, int]], bytes]) -> NodeStatus:
    address, names, mac = raw
    return NodeStatus(
        address=address,
        names=tuple([NodeName(*entry) for entry in names]),
        mac=mac.hex("-").upper(),
    )


def node_status(address: str, timeout: Optional[float] = None) -> NodeStatus:
    """The name table and MAC of the node at ``address`` (``nbtstat -A``)."""
    return _node_status(_native._node_status(address, timeout))


@dataclasses.dataclass(frozen=True)
class ScanResult:
    """One scanned address: its status, or ``None`` when it stayed silent."""

    address: str
    status: Optional[NodeStatus]


def scan(
    targets: Union[str, Iterable[str]],
    rate: int = 10_000,
    timeout: float = 1.0,
    retries: int = 1,
) -> Iterator[ScanResult]:
    """Node status of every address of ``targets`` (addresses, ``a.b.c.d/n`` ranges,
    ``a.b.c.d-e`` ranges), from one socket, results as they arrive."""
    if isinstance(targets, str):
        targets = [targets]
    results = _native._scan(list(targets), rate, timeout, retries)
    for address, status in results:
        yield ScanResult(address, None if status is None else _node_status(status))
