//! The network neighbourhood the agent keeps: rounds of discovery through every source
//! (`wnet::browse::discover_neighbourhood`), and what the listeners hear between them
//! (WS-Discovery Hello and Bye, mDNS announcements and goodbyes), merged into one
//! [`Neighbourhood`].
//!
//! Nothing is sent before a client asks: the first [`Request::Neighbourhood`] runs a round
//! (a cold view, about [`DISCOVERY_WINDOW`]) and starts the listeners; every later request is
//! answered at once from what was heard, and starts a round in the background when the last
//! one is older than [`REFRESH_AFTER`]. A round replaces the view (a server that went away
//! silently leaves it), then what the listeners heard while it ran is applied again.
//!
//! [`Request::Neighbourhood`]: wnet::agent_protocol::Request::Neighbourhood
//! [`DISCOVERY_WINDOW`]: wnet::browse::DISCOVERY_WINDOW

use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use tokio::sync::mpsc;
use wnet::WinError;
use wnet::browse::{DiscoveryScope, discover_neighbourhood, mdns_sighting, wsd_sighting};
use wnet::dns::mdns_client::{MdnsClient, MdnsEvent};
use wnet::multicast::{InterfaceSelection, multicast_interfaces};
use wnet::neighbourhood::{Neighbourhood, Sighting, Source};
use wnet::wsd::client::{WsdClient, WsdEvent};

/// How old the last round may be before a request starts another in the background.
pub const REFRESH_AFTER: Duration = Duration::from_secs(30);

/// What a listener heard between rounds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Heard {
    /// A server announced itself (a WSD Hello, an mDNS announcement).
    Announced(Sighting),
    /// A server said it leaves (a WSD Bye, an mDNS goodbye): the source and the identity it
    /// knows the server by.
    Left {
        /// Who heard it.
        source: Source,
        /// The server's identity to that source.
        identity: String,
    },
}

#[derive(Debug, Default)]
struct WatchState {
    view: Neighbourhood,
    last_round: Option<Instant>,
    round_running: bool,
    heard_during_round: Vec<Heard>,
    listening: bool,
}

/// The agent's neighbourhood: shared by every client task.
#[derive(Debug, Clone, Default)]
pub struct NeighbourhoodWatch {
    state: Arc<Mutex<WatchState>>,
    /// Held while a round runs: one round at a time, and the clients that came during the
    /// first wait for it.
    round: Arc<tokio::sync::Mutex<()>>,
}

/// The most announcements kept while a round runs (to be applied again after it).
const MAX_HEARD_DURING_ROUND: usize = 4096;

impl NeighbourhoodWatch {
    /// A watch that has heard nothing yet and sends nothing until asked.
    pub fn new() -> NeighbourhoodWatch {
        NeighbourhoodWatch::default()
    }

    fn state(&self) -> std::sync::MutexGuard<'_, WatchState> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The neighbourhood and the age of its last round: the first call runs a round and starts
    /// the listeners; later calls answer at once and refresh in the background when the
    /// round is old.
    pub async fn view(&self) -> Result<(Neighbourhood, Duration), WinError> {
        let last_round = self.state().last_round;
        match last_round {
            None => {
                self.round().await?;
                self.start_listening();
            }
            Some(at) if at.elapsed() >= REFRESH_AFTER => {
                let watch = self.clone();
                tokio::spawn(async move {
                    if let Err(error) = watch.round().await {
                        tracing::debug!(%error, "neighbourhood refresh failed");
                    }
                });
            }
            Some(_) => {}
        }
        let state = self.state();
        let age = state.last_round.map_or(Duration::ZERO, |at| at.elapsed());
        Ok((state.view.clone(), age))
    }

    /// Runs one round of discovery unless another finished while this one waited its turn.
    async fn round(&self) -> Result<(), WinError> {
        let asked = Instant::now();
        let _turn = self.round.lock().await;
        {
            let mut state = self.state();
            if state.last_round.is_some_and(|at| at >= asked) {
                return Ok(());
            }
            state.round_running = true;
            state.heard_during_round.clear();
        }
        let result = discover_neighbourhood(DiscoveryScope::Everything).await;
        let mut state = self.state();
        state.round_running = false;
        let heard = std::mem::take(&mut state.heard_during_round);
        let round = result?;
        state.view = round;
        for heard in heard {
            apply(&mut state.view, heard);
        }
        state.last_round = Some(Instant::now());
        tracing::debug!(
            servers = state.view.servers().len(),
            workgroups = state.view.workgroups().len(),
            "neighbourhood round done"
        );
        Ok(())
    }

    /// Takes in what a listener heard.
    pub fn hear(&self, heard: Heard) {
        let mut state = self.state();
        if state.round_running && state.heard_during_round.len() < MAX_HEARD_DURING_ROUND {
            state.heard_during_round.push(heard.clone());
        }
        apply(&mut state.view, heard);
    }

    /// Starts the listeners once, on the interfaces the environment chooses for multicast
    /// (none: nothing is listened for).
    fn start_listening(&self) {
        {
            let mut state = self.state();
            if state.listening {
                return;
            }
            state.listening = true;
        }
        let interfaces = InterfaceSelection::from_env()
            .map_err(|error| error.to_string())
            .and_then(|selection| {
                multicast_interfaces(&selection).map_err(|error| error.to_string())
            });
        let interfaces = match interfaces {
            Ok(interfaces) if !interfaces.is_empty() => interfaces,
            Ok(_) => return,
            Err(error) => {
                tracing::debug!(%error, "no interfaces to listen on for announcements");
                return;
            }
        };
        let wsd = WsdClient::new(interfaces.clone());
        let (events, wsd_events) = mpsc::channel(LISTENER_QUEUE);
        tokio::spawn(async move {
            if let Err(error) = wsd.listen(events).await {
                tracing::warn!(%error, "cannot listen for WS-Discovery announcements");
            }
        });
        self.hear_from(wsd_events, |event| match event {
            WsdEvent::Hello(computer) => wsd_sighting(&computer).map(Heard::Announced),
            WsdEvent::Bye { endpoint } => Some(Heard::Left {
                source: Source::Wsd,
                identity: endpoint,
            }),
        });
        let mdns = MdnsClient::new(interfaces);
        let (events, mdns_events) = mpsc::channel(LISTENER_QUEUE);
        tokio::spawn(async move {
            if let Err(error) = mdns.listen(events).await {
                tracing::warn!(%error, "cannot listen for mDNS announcements");
            }
        });
        self.hear_from(mdns_events, |event| match event {
            MdnsEvent::Announced(server) => mdns_sighting(&server).map(Heard::Announced),
            MdnsEvent::Goodbye { instance } => Some(Heard::Left {
                source: Source::Mdns,
                identity: instance,
            }),
        });
    }

    /// Takes in every event a listener sends on `events`, as `heard` makes it (`None`: not a
    /// server the neighbourhood shows), until the listener ends.
    fn hear_from<Event: Send + 'static>(
        &self,
        mut events: mpsc::Receiver<Event>,
        heard: fn(Event) -> Option<Heard>,
    ) {
        let watch = self.clone();
        tokio::spawn(async move {
            while let Some(event) = events.recv().await {
                if let Some(heard) = heard(event) {
                    tracing::debug!(?heard, "heard on the network");
                    watch.hear(heard);
                }
            }
        });
    }
}

/// Announcements queued between a listener and the neighbourhood.
const LISTENER_QUEUE: usize = 256;

fn apply(view: &mut Neighbourhood, heard: Heard) {
    match heard {
        Heard::Announced(sighting) => view.observe(sighting),
        Heard::Left { source, identity } => {
            view.forget(source, &identity);
        }
    }
}

#[cfg(test)]
mod tests {
    use std::net::Ipv4Addr;

    use super::*;

    fn announced(name: &str, identity: &str) -> Heard {
        Heard::Announced(Sighting {
            name: name.into(),
            address: Ipv4Addr::new(198, 51, 100, 133),
            workgroup: Some("WNETWSD".into()),
            source: Source::Wsd,
            identity: Some(identity.into()),
        })
    }

    #[test]
    fn what_is_heard_during_a_round_is_applied_after_it() {
        let watch = NeighbourhoodWatch::new();
        watch.state().round_running = true;
        watch.hear(announced("WSDHOST", "urn:uuid:1"));
        watch.hear(Heard::Left {
            source: Source::Wsd,
            identity: "urn:uuid:1".into(),
        });
        watch.hear(announced("OTHER", "urn:uuid:2"));
        let mut state = watch.state();
        let heard = std::mem::take(&mut state.heard_during_round);
        assert_eq!(heard.len(), 3);
        let mut round = Neighbourhood::new();
        for heard in heard {
            apply(&mut round, heard);
        }
        let names: Vec<_> = round.servers().into_iter().map(|s| s.name).collect();
        assert_eq!(names, ["OTHER"]);
        assert_eq!(state.view.servers().len(), 1);
    }
}
