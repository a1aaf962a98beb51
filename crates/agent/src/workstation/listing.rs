//! Listings and resource lookups: the shares of a server and the information of a path,
//! over the session held, a kept idle one or a new one.

use tokio::time::Instant;

use wnet_smb2::client::SessionOptions;

use wnet::agent_protocol::{Logon, Response, WireCredentials};
use wnet::error::{WinError, codes};
use wnet::unc::UncName;

use crate::provider::{Provider, ProviderSession, ProviderTree};

use super::{ListingSession, Workstation, lock};

impl<P: Provider> Workstation<P> {
    /// A session for a listing or a resource lookup: the one the connections to `server`
    /// share, else a kept idle one with the same credentials, else a new one.
    async fn listing_session(
        &self,
        server: &str,
        credentials: Option<&WireCredentials>,
        logon: &Logon,
    ) -> Result<(P::Session, ListingSession), WinError> {
        let key = server.to_ascii_lowercase();
        {
            let mut table = lock(&self.table);
            let digest = table.idle.digest(credentials, logon);
            if !table.servers.contains_key(&key)
                && let Some(digest) = digest
                && let Some(session) = table.idle.take(&key, digest)
            {
                return Ok((session, ListingSession::Kept(digest)));
            }
        }
        let (session, _, reused) = self
            .session_for(server, credentials, logon, &SessionOptions::default())
            .await?;
        if reused {
            return Ok((session, ListingSession::Held));
        }
        let digest = lock(&self.table).idle.digest(credentials, logon);
        Ok((session, ListingSession::New(digest)))
    }

    /// Hands a listing's session back: kept for the next listing, or logged off.
    async fn release_listing_session(
        &self,
        server: &str,
        session: P::Session,
        from: ListingSession,
    ) {
        let digest = match from {
            ListingSession::Held => return,
            ListingSession::Kept(digest) | ListingSession::New(Some(digest)) => digest,
            ListingSession::New(None) => {
                let _ = session.logoff().await;
                return;
            }
        };
        let surplus = lock(&self.table).idle.keep(
            &server.to_ascii_lowercase(),
            digest,
            session,
            Instant::now(),
        );
        if let Some(surplus) = surplus {
            let _ = surplus.logoff().await;
        }
    }

    /// Runs `work` on a listing session: with a kept session whose connection turns out to be
    /// gone (the server restarted, say), once more on a new one.
    pub(super) async fn on_listing_session<T, F>(
        &self,
        server: &str,
        credentials: Option<&WireCredentials>,
        logon: &Logon,
        work: impl Fn(P::Session) -> F,
    ) -> Result<T, WinError>
    where
        F: Future<Output = Result<T, WinError>>,
    {
        let (mut session, mut from) = self.listing_session(server, credentials, logon).await?;
        let mut result = work(session.clone()).await;
        if matches!(from, ListingSession::Kept(_))
            && matches!(&result, Err(error) if error.code == codes::ERROR_NETNAME_DELETED)
        {
            tracing::debug!(server, "the kept session is gone; listing on a new one");
            let _ = session.logoff().await;
            (session, from) = self.listing_session(server, credentials, logon).await?;
            result = work(session.clone()).await;
        }
        self.release_listing_session(server, session, from).await;
        result
    }

    pub(super) async fn shares(
        &self,
        server: &str,
        credentials: Option<&WireCredentials>,
        logon: &Logon,
    ) -> Result<Response, WinError> {
        if let Some(shares) = self.domain_namespaces(server, credentials, logon).await? {
            return Ok(Response::Shares { shares });
        }
        let shares = self
            .on_listing_session(server, credentials, logon, |session| async move {
                session.list_shares(server).await
            })
            .await?;
        Ok(Response::Shares { shares })
    }

    pub(super) async fn resource_information(
        &self,
        unc: UncName,
        credentials: Option<&WireCredentials>,
        logon: &Logon,
    ) -> Result<Response, WinError> {
        if unc.share.is_none() {
            return Err(WinError::new(codes::ERROR_BAD_NET_NAME));
        }
        // A namespace path is looked up where it lands, and split where its namespace part
        // ends: after the link (or root) whose referral sent it there, as Windows does.
        let landing = self.land(&unc, credentials, logon).await?;
        let physical = &landing.physical;
        let namespace_components = if landing.hops.is_empty() {
            1
        } else {
            (unc.path.len() + 1)
                .saturating_sub(landing.unchanged)
                .max(1)
        };
        let (namespace_path, remaining) = unc
            .path
            .split_at((namespace_components - 1).min(unc.path.len()));
        let remote_name = UncName {
            path: namespace_path.to_vec(),
            ..unc.clone()
        }
        .to_windows();
        let share_path = physical.resource();
        let path = physical.path.join("\\");
        let is_directory = self
            .on_listing_session(&physical.server, credentials, logon, |session| {
                let (share_path, path) = (&share_path, &path);
                async move {
                    let tree = session.tree_connect(share_path).await?;
                    let stat = tree.is_directory(path).await;
                    let _ = tree.disconnect().await;
                    stat.map_err(|error| WinError {
                        code: codes::ERROR_BAD_NET_NAME,
                        cause: error.cause,
                    })
                }
            })
            .await?;
        Ok(Response::ResourceInformation {
            remote_name,
            remaining_path: (!remaining.is_empty()).then(|| format!("\\{}", remaining.join("\\"))),
            is_directory,
        })
    }
}
