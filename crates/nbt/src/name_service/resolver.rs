//! Name resolution: which sources to ask, in which order, per node type (RFC 1001 §10, §15.1;
//! Microsoft's H node asks the name servers before broadcasting).

use std::net::SocketAddrV4;

use crate::config::{NameServiceConfig, NodeType, Retransmit};

/// One source of answers, tried in turn.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum QuerySource {
    /// A name server (WINS), asked by unicast with recursion desired.
    NameServer(SocketAddrV4),
    /// A broadcast to these addresses, collecting every responder.
    Broadcast(Vec<SocketAddrV4>),
}

impl QuerySource {
    /// The retransmission timers this source uses.
    pub fn retransmit(&self, config: &NameServiceConfig) -> Retransmit {
        match self {
            QuerySource::NameServer(_) => config.unicast,
            QuerySource::Broadcast(_) => config.broadcast,
        }
    }
}

/// The sources to ask for a name, in order. `broadcasts` are the broadcast addresses to use
/// when the configuration names none (the interfaces' own).
pub fn query_plan(config: &NameServiceConfig, broadcasts: &[SocketAddrV4]) -> Vec<QuerySource> {
    let servers = config
        .name_servers
        .iter()
        .copied()
        .map(QuerySource::NameServer);
    let broadcast_addresses = if config.broadcast_addresses.is_empty() {
        broadcasts.to_vec()
    } else {
        config.broadcast_addresses.clone()
    };
    let broadcast =
        (!broadcast_addresses.is_empty()).then_some(QuerySource::Broadcast(broadcast_addresses));
    match config.node_type {
        NodeType::Broadcast => broadcast.into_iter().collect(),
        NodeType::PointToPoint => servers.collect(),
        NodeType::Mixed => broadcast.into_iter().chain(servers).collect(),
        NodeType::Hybrid => servers.chain(broadcast).collect(),
    }
}

#[cfg(test)]
mod tests {
    use std::net::Ipv4Addr;

    use super::*;

    fn at(last: u8) -> SocketAddrV4 {
        SocketAddrV4::new(Ipv4Addr::new(198, 51, 100, last), 137)
    }

    fn config(node_type: NodeType) -> NameServiceConfig {
        NameServiceConfig {
            node_type,
            name_servers: vec![at(2), at(3)],
            ..NameServiceConfig::default()
        }
    }

    #[test]
    fn each_node_type_asks_in_its_order() {
        let broadcast = [at(255)];
        let all = QuerySource::Broadcast(broadcast.to_vec());
        let (first, second) = (
            QuerySource::NameServer(at(2)),
            QuerySource::NameServer(at(3)),
        );
        assert_eq!(
            query_plan(&config(NodeType::Broadcast), &broadcast),
            std::slice::from_ref(&all)
        );
        assert_eq!(
            query_plan(&config(NodeType::PointToPoint), &broadcast),
            [first.clone(), second.clone()]
        );
        assert_eq!(
            query_plan(&config(NodeType::Mixed), &broadcast),
            [all.clone(), first.clone(), second.clone()]
        );
        assert_eq!(
            query_plan(&config(NodeType::Hybrid), &broadcast),
            [first, second, all]
        );
    }

    #[test]
    fn configured_broadcast_addresses_replace_the_interfaces() {
        let mut config = config(NodeType::Broadcast);
        config.broadcast_addresses = vec![at(191)];
        assert_eq!(
            query_plan(&config, &[at(255)]),
            [QuerySource::Broadcast(vec![at(191)])]
        );
        // No broadcast address at all: a B node has nothing to ask.
        config.broadcast_addresses.clear();
        assert!(query_plan(&config, &[]).is_empty());
    }

    #[test]
    fn sources_use_their_own_timers() {
        let config = NameServiceConfig::default();
        assert_eq!(
            QuerySource::NameServer(at(2)).retransmit(&config),
            Retransmit::UNICAST
        );
        assert_eq!(
            QuerySource::Broadcast(vec![at(255)]).retransmit(&config),
            Retransmit::BROADCAST
        );
    }
}
