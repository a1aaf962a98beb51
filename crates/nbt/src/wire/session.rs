//! Session-service packets (RFC 1002 §4.3): a 4-byte header (type, flags with the E length
//! extension bit, 16 bits of length: 17 bits in all) and the body of each packet type.

use std::net::Ipv4Addr;

use crate::wire::WireError;
use crate::wire::name::ScopedName;

/// The packet types of the session service.
pub mod packet_type {
    /// SESSION MESSAGE: user data.
    pub const SESSION_MESSAGE: u8 = 0x00;
    /// SESSION REQUEST: called and calling names.
    pub const SESSION_REQUEST: u8 = 0x81;
    /// POSITIVE SESSION RESPONSE.
    pub const POSITIVE_SESSION_RESPONSE: u8 = 0x82;
    /// NEGATIVE SESSION RESPONSE: an error code.
    pub const NEGATIVE_SESSION_RESPONSE: u8 = 0x83;
    /// RETARGET SESSION RESPONSE: call this address and port instead.
    pub const RETARGET_SESSION_RESPONSE: u8 = 0x84;
    /// SESSION KEEP ALIVE.
    pub const SESSION_KEEP_ALIVE: u8 = 0x85;
}

/// Error codes of a NEGATIVE SESSION RESPONSE (RFC 1002 §4.3.4).
pub mod refusal {
    /// Not listening on the called name.
    pub const NOT_LISTENING_ON_CALLED_NAME: u8 = 0x80;
    /// Not listening for the calling name.
    pub const NOT_LISTENING_FOR_CALLING_NAME: u8 = 0x81;
    /// The called name is not present.
    pub const CALLED_NAME_NOT_PRESENT: u8 = 0x82;
    /// The called name is present, but resources are insufficient.
    pub const INSUFFICIENT_RESOURCES: u8 = 0x83;
    /// Unspecified error.
    pub const UNSPECIFIED: u8 = 0x8F;
}

/// The length of the header.
pub const HEADER_LENGTH: usize = 4;
/// The longest body the 17-bit length allows.
pub const MAX_BODY_LENGTH: usize = 0x1_FFFF;
/// The E (length extension) bit of the flags byte; the other bits are reserved.
const EXTENSION: u8 = 0x01;

/// A session packet's header.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SessionHeader {
    /// The packet type ([`packet_type`]).
    pub packet_type: u8,
    /// The length of the body that follows.
    pub length: usize,
}

impl SessionHeader {
    /// Decodes the 4 header bytes. Reserved flag bits must be zero; the type is checked when
    /// the body is.
    pub fn decode(bytes: [u8; HEADER_LENGTH]) -> Result<SessionHeader, WireError> {
        let [packet_type, flags, high, low] = bytes;
        if flags & !EXTENSION != 0 {
            return Err(WireError::BadSessionFlags(flags));
        }
        let length =
            usize::from(flags & EXTENSION) << 16 | usize::from(u16::from_be_bytes([high, low]));
        Ok(SessionHeader {
            packet_type,
            length,
        })
    }

    /// The 4 header bytes; `None` if the length does not fit in 17 bits.
    pub fn encode(&self) -> Option<[u8; HEADER_LENGTH]> {
        if self.length > MAX_BODY_LENGTH {
            return None;
        }
        let flags = u8::from(self.length > 0xFFFF);
        let [_, _, high, low] = (self.length as u32).to_be_bytes();
        Some([self.packet_type, flags, high, low])
    }
}

/// A session-service packet.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SessionPacket {
    /// SESSION MESSAGE with its data.
    Message(Vec<u8>),
    /// SESSION REQUEST.
    Request {
        /// The name called.
        called: ScopedName,
        /// The caller's name.
        calling: ScopedName,
    },
    /// POSITIVE SESSION RESPONSE.
    Positive,
    /// NEGATIVE SESSION RESPONSE with its error code ([`refusal`]).
    Negative(u8),
    /// RETARGET SESSION RESPONSE.
    Retarget {
        /// The address to call instead.
        address: Ipv4Addr,
        /// The port to call instead.
        port: u16,
    },
    /// SESSION KEEP ALIVE.
    KeepAlive,
}

impl SessionPacket {
    /// The packet's bytes, header included; `None` for a message over 131,071 bytes.
    pub fn encode(&self) -> Option<Vec<u8>> {
        let (packet_type, body) = match self {
            SessionPacket::Message(data) => (packet_type::SESSION_MESSAGE, data.clone()),
            SessionPacket::Request { called, calling } => {
                let mut body =
                    Vec::with_capacity(called.encoded_length() + calling.encoded_length());
                called.encode(&mut body);
                calling.encode(&mut body);
                (packet_type::SESSION_REQUEST, body)
            }
            SessionPacket::Positive => (packet_type::POSITIVE_SESSION_RESPONSE, Vec::new()),
            SessionPacket::Negative(code) => (packet_type::NEGATIVE_SESSION_RESPONSE, vec![*code]),
            SessionPacket::Retarget { address, port } => {
                let mut body = address.octets().to_vec();
                body.extend_from_slice(&port.to_be_bytes());
                (packet_type::RETARGET_SESSION_RESPONSE, body)
            }
            SessionPacket::KeepAlive => (packet_type::SESSION_KEEP_ALIVE, Vec::new()),
        };
        let header = SessionHeader {
            packet_type,
            length: body.len(),
        }
        .encode()?;
        let mut bytes = Vec::with_capacity(HEADER_LENGTH + body.len());
        bytes.extend_from_slice(&header);
        bytes.extend_from_slice(&body);
        Some(bytes)
    }

    /// Decodes a whole packet: the header and exactly the body it announces.
    pub fn decode(bytes: &[u8]) -> Result<SessionPacket, WireError> {
        let Some((header, body)) = bytes.split_first_chunk::<HEADER_LENGTH>() else {
            return Err(WireError::Truncated {
                field: "session header",
                offset: 0,
                needed: HEADER_LENGTH,
                available: bytes.len(),
            });
        };
        let header = SessionHeader::decode(*header)?;
        if body.len() != header.length {
            return Err(WireError::SessionLength {
                packet_type: header.packet_type,
                length: body.len(),
                expected: header.length,
            });
        }
        Self::decode_body(header.packet_type, body)
    }

    /// Decodes the body of a packet of `packet_type` (after its header was read).
    pub fn decode_body(packet_type: u8, body: &[u8]) -> Result<SessionPacket, WireError> {
        let fixed = |expected: usize| {
            if body.len() == expected {
                Ok(())
            } else {
                Err(WireError::SessionLength {
                    packet_type,
                    length: body.len(),
                    expected,
                })
            }
        };
        match packet_type {
            packet_type::SESSION_MESSAGE => Ok(SessionPacket::Message(body.to_vec())),
            packet_type::SESSION_REQUEST => {
                let (called, end) = ScopedName::decode(body, 0)?;
                let (calling, end) = ScopedName::decode(body, end)?;
                if end != body.len() {
                    return Err(WireError::SessionLength {
                        packet_type,
                        length: body.len(),
                        expected: end,
                    });
                }
                Ok(SessionPacket::Request { called, calling })
            }
            packet_type::POSITIVE_SESSION_RESPONSE => {
                fixed(0)?;
                Ok(SessionPacket::Positive)
            }
            packet_type::NEGATIVE_SESSION_RESPONSE => {
                fixed(1)?;
                Ok(SessionPacket::Negative(body[0]))
            }
            packet_type::RETARGET_SESSION_RESPONSE => {
                fixed(6)?;
                Ok(SessionPacket::Retarget {
                    address: Ipv4Addr::new(body[0], body[1], body[2], body[3]),
                    port: u16::from_be_bytes([body[4], body[5]]),
                })
            }
            packet_type::SESSION_KEEP_ALIVE => {
                fixed(0)?;
                Ok(SessionPacket::KeepAlive)
            }
            other => Err(WireError::UnknownSessionType(other)),
        }
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;
    use crate::wire::NetbiosName;

    fn name(text: &str, suffix: u8) -> ScopedName {
        ScopedName::new(NetbiosName::new(text, suffix).unwrap())
    }

    #[test]
    fn a_session_request_is_laid_out_as_rfc_1002_says() {
        let request = SessionPacket::Request {
            called: name("LABSERVER", 0x20),
            calling: name("CLIENT", 0x00),
        };
        let bytes = request.encode().unwrap();
        assert_eq!(&bytes[..4], &[0x81, 0x00, 0x00, 68]);
        assert_eq!(bytes[4], 32, "the called name's first label");
        assert_eq!(&bytes[5..9], b"EMEB");
        assert_eq!(bytes[37], 0, "no scope");
        assert_eq!(SessionPacket::decode(&bytes).unwrap(), request);
    }

    #[test]
    fn lengths_use_the_extension_bit() {
        let header = SessionHeader {
            packet_type: 0,
            length: 0x1_0005,
        };
        assert_eq!(header.encode(), Some([0, 1, 0, 5]));
        assert_eq!(SessionHeader::decode([0, 1, 0, 5]).unwrap(), header);
        assert_eq!(
            SessionHeader {
                packet_type: 0,
                length: MAX_BODY_LENGTH + 1
            }
            .encode(),
            None
        );
        assert_eq!(
            SessionHeader::decode([0, 0x02, 0, 0]),
            Err(WireError::BadSessionFlags(0x02))
        );
        assert!(
            SessionPacket::Message(vec![0; MAX_BODY_LENGTH + 1])
                .encode()
                .is_none()
        );
    }

    #[test]
    fn malformed_packets_are_typed_errors() {
        assert!(matches!(
            SessionPacket::decode(&[0x82, 0]),
            Err(WireError::Truncated { .. })
        ));
        assert_eq!(
            SessionPacket::decode(&[0x86, 0, 0, 0]),
            Err(WireError::UnknownSessionType(0x86))
        );
        assert!(matches!(
            SessionPacket::decode(&[0x83, 0, 0, 2, 0x80, 0]),
            Err(WireError::SessionLength { .. })
        ));
        assert!(matches!(
            SessionPacket::decode(&[0x00, 0, 0, 9, 1, 2]),
            Err(WireError::SessionLength { .. })
        ));
        // A request whose names are garbage or truncated.
        assert!(SessionPacket::decode(&[0x81, 0, 0, 3, 32, b'A', b'A']).is_err());
    }

    proptest! {
        #[test]
        fn every_packet_round_trips(
            kind in 0u8..6,
            data in proptest::collection::vec(any::<u8>(), 0..300),
            code in any::<u8>(),
            address in any::<u32>(),
            port in any::<u16>(),
            called in "[A-Z0-9]{1,15}",
            calling in "[A-Z0-9]{1,15}",
            suffix in any::<u8>(),
        ) {
            let packet = match kind {
                0 => SessionPacket::Message(data),
                1 => SessionPacket::Request {
                    called: name(&called, suffix),
                    calling: name(&calling, 0),
                },
                2 => SessionPacket::Positive,
                3 => SessionPacket::Negative(code),
                4 => SessionPacket::Retarget { address: Ipv4Addr::from(address), port },
                _ => SessionPacket::KeepAlive,
            };
            let bytes = packet.encode().unwrap();
            prop_assert_eq!(SessionPacket::decode(&bytes).unwrap(), packet);
        }

        #[test]
        fn decoding_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..200)) {
            let _ = SessionPacket::decode(&bytes);
        }
    }
}
