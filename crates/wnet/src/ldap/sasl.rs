//! The security layer of SASL's GSSAPI mechanism ([RFC 4752] 3.1), sans-IO: the server's
//! offer (once unwrapped: the layers it supports and the largest buffer it receives), the
//! client's choice, and the 4-byte length framing of the wrapped buffers that follow.

/// No security layer.
pub const LAYER_NONE: u8 = 1;
/// Integrity protection (signed buffers).
pub const LAYER_INTEGRITY: u8 = 2;
/// Confidentiality protection (sealed buffers).
pub const LAYER_CONFIDENTIALITY: u8 = 4;

/// The largest wrapped buffer this client receives, told to the server (1 MiB and a margin
/// for the wrapping).
pub const RECEIVE_MAX: u32 = (1 << 20) + 4096;

/// Why the security layer cannot be agreed or a buffer not framed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SaslError {
    /// The server's offer is not the 4 bytes RFC 4752 defines.
    #[error("the server's security layer offer is {0} bytes, not 4")]
    BadOffer(usize),
    /// The server offers no layer that protects the exchange.
    #[error("the server offers no integrity or confidentiality layer (layers {0:#04x})")]
    NoProtection(u8),
    /// A frame is longer than [`RECEIVE_MAX`] or than the server receives.
    #[error("a SASL buffer of {0} bytes is too long")]
    TooLong(usize),
}

/// The server's offer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Offer {
    /// The layers it supports (a mask of `LAYER_*`).
    pub layers: u8,
    /// The largest wrapped buffer it receives.
    pub max_size: u32,
}

/// Reads the server's (unwrapped) offer.
pub fn parse_offer(bytes: &[u8]) -> Result<Offer, SaslError> {
    let [layers, a, b, c] = *bytes else {
        return Err(SaslError::BadOffer(bytes.len()));
    };
    Ok(Offer {
        layers,
        max_size: u32::from_be_bytes([0, a, b, c]),
    })
}

/// The layer chosen from `offer`: integrity where offered (what the context was set up to
/// give; Samba's LDAP server requires at least signing), else confidentiality when the context
/// can seal (`can_seal`); never none, as the listing is read with the user's tickets.
pub fn choose_layer(offer: Offer, can_seal: bool) -> Result<u8, SaslError> {
    if offer.layers & LAYER_INTEGRITY != 0 {
        Ok(LAYER_INTEGRITY)
    } else if can_seal && offer.layers & LAYER_CONFIDENTIALITY != 0 {
        Ok(LAYER_CONFIDENTIALITY)
    } else {
        Err(SaslError::NoProtection(offer.layers))
    }
}

/// The client's reply (to be wrapped without confidentiality): the chosen layer and
/// [`RECEIVE_MAX`], no authorization identity.
pub fn reply(layer: u8) -> [u8; 4] {
    let [_, a, b, c] = RECEIVE_MAX.to_be_bytes();
    [layer, a, b, c]
}

/// A wrapped buffer framed for the wire: its length (4 bytes, big-endian), then it; refused
/// when longer than the server receives (`server_max`, 0 for no limit told).
pub fn frame(wrapped: &[u8], server_max: u32) -> Result<Vec<u8>, SaslError> {
    let len = u32::try_from(wrapped.len()).map_err(|_| SaslError::TooLong(wrapped.len()))?;
    if server_max != 0 && len > server_max {
        return Err(SaslError::TooLong(wrapped.len()));
    }
    let mut out = Vec::with_capacity(wrapped.len() + 4);
    out.extend_from_slice(&len.to_be_bytes());
    out.extend_from_slice(wrapped);
    Ok(out)
}

/// The first framed buffer at the front of `bytes` and how many bytes it took; `None` when
/// only a part of it is there. A length past [`RECEIVE_MAX`] is an error.
pub fn unframe(bytes: &[u8]) -> Result<Option<(&[u8], usize)>, SaslError> {
    let Some(&[a, b, c, d]) = bytes.get(..4) else {
        return Ok(None);
    };
    let len = u32::from_be_bytes([a, b, c, d]);
    if len > RECEIVE_MAX {
        return Err(SaslError::TooLong(len as usize));
    }
    let end = 4 + len as usize;
    Ok(bytes.get(4..end).map(|buffer| (buffer, end)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_offer_is_four_bytes() {
        assert_eq!(
            parse_offer(&[0x07, 0x00, 0x10, 0x00]),
            Ok(Offer {
                layers: 7,
                max_size: 0x1000
            })
        );
        assert_eq!(parse_offer(&[0x07, 0, 0]), Err(SaslError::BadOffer(3)));
        assert_eq!(
            parse_offer(&[0x07, 0, 0, 0, 0]),
            Err(SaslError::BadOffer(5))
        );
    }

    #[test]
    fn integrity_is_chosen_and_none_never() {
        let offer = |layers| Offer {
            layers,
            max_size: 0x10000,
        };
        // Samba offers all three.
        assert_eq!(choose_layer(offer(7), true), Ok(LAYER_INTEGRITY));
        assert_eq!(choose_layer(offer(2), false), Ok(LAYER_INTEGRITY));
        assert_eq!(choose_layer(offer(4), true), Ok(LAYER_CONFIDENTIALITY));
        assert_eq!(
            choose_layer(offer(5), false),
            Err(SaslError::NoProtection(5))
        );
        assert_eq!(
            choose_layer(offer(1), true),
            Err(SaslError::NoProtection(1))
        );
        assert_eq!(
            choose_layer(offer(0), true),
            Err(SaslError::NoProtection(0))
        );
    }

    #[test]
    fn the_reply_names_the_layer_and_our_buffer() {
        assert_eq!(reply(LAYER_INTEGRITY), [0x02, 0x10, 0x10, 0x00]);
    }

    #[test]
    fn frames_carry_their_length_and_are_bounded() {
        let framed = frame(b"abc", 100).unwrap();
        assert_eq!(framed, [0, 0, 0, 3, b'a', b'b', b'c']);
        assert_eq!(frame(b"abc", 2), Err(SaslError::TooLong(3)));
        assert!(frame(b"abc", 0).is_ok());
        let mut stream = framed.clone();
        stream.extend_from_slice(&[0, 0, 0]);
        assert_eq!(unframe(&stream), Ok(Some((&b"abc"[..], 7))));
        for cut in 0..framed.len() {
            assert_eq!(unframe(&framed[..cut]), Ok(None));
        }
        assert_eq!(
            unframe(&[0xff, 0xff, 0xff, 0xff]),
            Err(SaslError::TooLong(0xffff_ffff))
        );
    }
}
