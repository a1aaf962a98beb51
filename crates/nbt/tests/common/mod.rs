//! The golden packets the labs captured from Samba (testdata/samba/packets.json), shared by
//! the name-service and datagram golden tests.

/// One captured packet.
pub(crate) struct Golden {
    /// The capture step that produced it.
    pub(crate) step: String,
    /// Its index within the step.
    pub(crate) index: u64,
    /// `address:port` it came from.
    pub(crate) from: String,
    /// `address:port` it went to.
    pub(crate) to: String,
    /// The UDP payload.
    pub(crate) bytes: Vec<u8>,
}

/// Every captured packet.
pub(crate) fn golden() -> Vec<Golden> {
    let text = include_str!("../../testdata/samba/packets.json");
    let json: serde_json::Value = serde_json::from_str(text).expect("packets.json is JSON");
    json["packets"]
        .as_array()
        .expect("a packets array")
        .iter()
        .map(|packet| {
            let hex = packet["hex"].as_str().expect("hex");
            Golden {
                step: packet["step"].as_str().expect("step").to_owned(),
                index: packet["index"].as_u64().expect("index"),
                from: packet["from"].as_str().expect("from").to_owned(),
                to: packet["to"].as_str().expect("to").to_owned(),
                bytes: (0..hex.len())
                    .step_by(2)
                    .map(|i| u8::from_str_radix(&hex[i..i + 2], 16).expect("hex digits"))
                    .collect(),
            }
        })
        .collect()
}

/// The captured packets sent from or to UDP `port`.
pub(crate) fn on_port(port: u16) -> Vec<Golden> {
    let suffix = format!(":{port}");
    golden()
        .into_iter()
        .filter(|packet| packet.from.ends_with(&suffix) || packet.to.ends_with(&suffix))
        .collect()
}
