//! What the workstation needs of a network provider: sessions with servers, the shares they
//! connect and list. The agent's `SmbProvider` implements it over
//! `wnet-smb2`; the workstation's tests implement it in memory, so that its rules (one user
//! per server, session reuse, idle sessions, reconnection) run without a network.
//!
//! Every failure is a [`WinError`] already: the provider maps its protocol's errors.

use std::future::Future;

use wnet::agent_protocol::{Logon, ShareEntry, WireCredentials};
use wnet::error::WinError;
use wnet::resolve::ProviderConfig;
use wnet_smb2::client::SessionOptions;
use wnet_smb2::wire::dfs::ReferralResponse;

use crate::redirector::LinkSource;

/// A network provider: makes authenticated sessions with servers.
pub trait Provider: Send + Sync + 'static {
    /// An authenticated session with one server.
    type Session: ProviderSession<Tree = Self::Tree>;
    /// A share connected over a session.
    type Tree: ProviderTree;

    /// Its configuration.
    fn config(&self) -> &ProviderConfig;

    /// A new session with `server` (`None`: anonymous, or the tickets of the caller's
    /// `logon`), under `options`.
    fn open_session(
        &self,
        server: &str,
        credentials: Option<&WireCredentials>,
        logon: &Logon,
        options: &SessionOptions,
    ) -> impl Future<Output = Result<Self::Session, WinError>> + Send;
}

/// An authenticated session with a server; clones are the same session.
pub trait ProviderSession: Clone + Send + Sync + 'static {
    /// A share connected over it.
    type Tree: ProviderTree;

    /// Its id (the SMB2 SessionId): the connections that ride it show the same.
    fn id(&self) -> u64;
    /// Whether its connection is still up.
    fn is_connected(&self) -> bool;
    /// Whether it signs its messages.
    fn is_signing(&self) -> bool;
    /// Whether it encrypts its messages.
    fn is_encrypting(&self) -> bool;
    /// Whether the server logged it on as guest.
    fn is_guest(&self) -> bool;
    /// The SMB dialect negotiated (`wnet_smb2::wire::dialect`).
    fn dialect(&self) -> u16;
    /// How it was authenticated: `Kerberos`, `NTLM`, or `NTLM (Kerberos not used: why)`.
    fn authentication(&self) -> String {
        "NTLM".to_owned()
    }
    /// The Kerberos principal it logged on as (`alice@CORP.EXAMPLE`), for a Kerberos logon.
    fn principal(&self) -> Option<String> {
        None
    }
    /// The ClientGuid its connection was negotiated under, where the protocol has one: a
    /// connection made again under it can reopen the durable handles of this one.
    fn client_guid(&self) -> Option<[u8; 16]> {
        None
    }
    /// Connects the share `\\server\share`.
    fn tree_connect(
        &self,
        share_path: &str,
    ) -> impl Future<Output = Result<Self::Tree, WinError>> + Send;
    /// The DFS referral the server gives for `path` (MS-DFSC: `\\server\\share\\path` with
    /// one leading backslash, `\\domain` for a DC referral), asked on its IPC$; `None` when
    /// the server has none for the path (not a DFS server, or the path in no namespace it
    /// knows). A provider without DFS has none.
    fn dfs_referral(
        &self,
        server: &str,
        path: &str,
    ) -> impl Future<Output = Result<Option<ReferralResponse>, WinError>> + Send {
        let _ = (server, path);
        async { Ok(None) }
    }
    /// The server's shares.
    fn list_shares(
        &self,
        server: &str,
    ) -> impl Future<Output = Result<Vec<ShareEntry>, WinError>> + Send;
    /// Logs it off.
    fn logoff(&self) -> impl Future<Output = Result<(), WinError>> + Send;
}

/// A connected share; clones are the same connection.
pub trait ProviderTree: Clone + Send + Sync + 'static {
    /// Whether its session's connection is still up.
    fn is_connected(&self) -> bool;
    /// Its share type (`wnet_smb2::wire::share_type`).
    fn share_type(&self) -> u8;
    /// Whether the share is in a DFS namespace: its paths may cross links to other shares.
    fn is_dfs(&self) -> bool {
        false
    }
    /// The tree following the DFS links below it with `links` (a share outside DFS, or a
    /// provider without DFS, ignores them).
    #[must_use]
    fn with_link_source(self, links: LinkSource<Self>) -> Self {
        let _ = links;
        self
    }
    /// The tree following the links `other` follows: the same share connected again.
    #[must_use]
    fn with_links_of(self, other: &Self) -> Self {
        let _ = other;
        self
    }
    /// Whether `path` (below the share, `\`-separated) is a directory.
    fn is_directory(&self, path: &str) -> impl Future<Output = Result<bool, WinError>> + Send;
    /// Disconnects it.
    fn disconnect(&self) -> impl Future<Output = Result<(), WinError>> + Send;
}
