//! A computer's metadata over HTTP (DPWS 2006/02 §5, WS-Transfer Get): the Get a client
//! POSTs to an XAddr, the HTTP request head that carries it, and the reading of the HTTP
//! response and its GetResponse: the computer's name with its workgroup or domain
//! (`pub:Computer` in the host's Relationship section), its friendly name, manufacturer and
//! model.

use super::discovery::{XAddr, XAddrHost};
use super::xml::{self, Element};
use super::{
    ANONYMOUS, Envelope, MAX_METADATA_LEN, MessageId, NS_DEVPROF, NS_PUB, WsdError, bounded,
    bounded_text, check_address, envelope_start,
};

/// WS-Transfer's Get action.
pub const ACTION_GET: &str = "http://schemas.xmlsoap.org/ws/2004/09/transfer/Get";
/// WS-Transfer's GetResponse action.
pub const ACTION_GET_RESPONSE: &str = "http://schemas.xmlsoap.org/ws/2004/09/transfer/GetResponse";
/// The media type of SOAP 1.2 (RFC 3902).
pub const CONTENT_TYPE: &str = "application/soap+xml";
/// The longest HTTP response head read.
const MAX_HTTP_HEAD: usize = 8192;

/// The Get of the metadata of the device whose endpoint reference is `address` (the
/// `urn:uuid:` of its Hello or ProbeMatch), with the reply coming back on the connection.
pub fn encode_get(message_id: &MessageId, address: &str) -> Result<Vec<u8>, WsdError> {
    let address = xml::escape(check_address(address)?);
    Ok(format!(
        "{}<wsa:To>{address}</wsa:To><wsa:Action>{ACTION_GET}</wsa:Action>\
         <wsa:MessageID>{message_id}</wsa:MessageID><wsa:ReplyTo><wsa:Address>{ANONYMOUS}\
         </wsa:Address></wsa:ReplyTo></soap:Header><soap:Body/></soap:Envelope>",
        envelope_start()
    )
    .into_bytes())
}

/// The HTTP/1.1 request head that POSTs a body of `body_len` bytes to `xaddr`, asking the
/// server to close the connection after its answer.
pub fn http_request_head(xaddr: &XAddr, body_len: usize) -> String {
    let host = match &xaddr.host {
        XAddrHost::Ip(std::net::IpAddr::V6(address)) => format!("[{address}]"),
        XAddrHost::Ip(std::net::IpAddr::V4(address)) => address.to_string(),
        XAddrHost::Name(name) => name.clone(),
    };
    format!(
        "POST {} HTTP/1.1\r\nHost: {host}:{}\r\nContent-Type: {CONTENT_TYPE}\r\n\
         User-Agent: wnet\r\nContent-Length: {body_len}\r\nConnection: close\r\n\r\n",
        xaddr.path, xaddr.port
    )
}

/// The body of an HTTP response read to its end (or to the connection's close): status 200,
/// at most MAX_METADATA_LEN bytes in all, a head of at most 8 KiB, the body delimited by
/// Content-Length or by the end of `response`; chunked bodies are not read.
/// [`WsdError::Truncated`] means more bytes are needed.
pub fn decode_http_response(response: &[u8]) -> Result<&[u8], WsdError> {
    if response.len() > MAX_METADATA_LEN {
        return Err(WsdError::TooLarge {
            size: response.len(),
            limit: MAX_METADATA_LEN,
        });
    }
    let Some(head_end) = response.windows(4).position(|window| window == b"\r\n\r\n") else {
        return Err(if response.len() < MAX_HTTP_HEAD {
            WsdError::Truncated {
                offset: response.len(),
            }
        } else {
            WsdError::Http {
                reason: "head too long",
            }
        });
    };
    if head_end > MAX_HTTP_HEAD {
        return Err(WsdError::Http {
            reason: "head too long",
        });
    }
    let head = response
        .get(..head_end)
        .and_then(|head| std::str::from_utf8(head).ok())
        .ok_or(WsdError::Http {
            reason: "head is not text",
        })?;
    let body = response.get(head_end + 4..).unwrap_or_default();
    let mut lines = head.split("\r\n");
    let status_line = lines.next().unwrap_or_default();
    let mut fields = status_line.split(' ');
    let version = fields.next().unwrap_or_default();
    let status = fields.next().and_then(|code| {
        (code.len() == 3)
            .then(|| code.parse::<u16>().ok())
            .flatten()
    });
    let (true, Some(status)) = (version.starts_with("HTTP/1."), status) else {
        return Err(WsdError::Http {
            reason: "malformed status line",
        });
    };
    if status != 200 {
        return Err(WsdError::HttpStatus { status });
    }
    let mut length = None;
    for line in lines {
        let (name, value) = line.split_once(':').ok_or(WsdError::Http {
            reason: "malformed header field",
        })?;
        let value = value.trim();
        if name.eq_ignore_ascii_case("Content-Length") {
            let parsed = value
                .parse::<usize>()
                .ok()
                .filter(|_| value.bytes().all(|b| b.is_ascii_digit()))
                .ok_or(WsdError::Http {
                    reason: "malformed Content-Length",
                })?;
            if length.is_some_and(|length| length != parsed) {
                return Err(WsdError::Http {
                    reason: "conflicting Content-Length",
                });
            }
            length = Some(parsed);
        } else if name.eq_ignore_ascii_case("Transfer-Encoding")
            && !value.eq_ignore_ascii_case("identity")
        {
            return Err(WsdError::Http {
                reason: "chunked bodies are not read",
            });
        }
    }
    match length {
        Some(length) if length > MAX_METADATA_LEN => Err(WsdError::TooLarge {
            size: length,
            limit: MAX_METADATA_LEN,
        }),
        Some(length) => body.get(..length).ok_or(WsdError::Truncated {
            offset: response.len(),
        }),
        None => Ok(body),
    }
}

/// Whether a computer is in a workgroup or a domain, as its `pub:Computer` says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Membership {
    /// `NAME/Workgroup:WG`.
    Workgroup(String),
    /// `NAME/Domain:DOM`.
    Domain(String),
    /// Neither form (`NAME` alone, `NAME/NotJoined`, or a form not known here).
    Unknown,
}

/// A computer's name and membership, from `pub:Computer`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Computer {
    /// The computer's name, as it gives it (usually its NetBIOS name).
    pub name: String,
    /// Its workgroup or domain.
    pub membership: Membership,
}

impl Computer {
    /// `NAME/Workgroup:WG` or `NAME/Domain:DOM` read; `None` when the name is empty.
    pub fn parse(text: &str) -> Option<Computer> {
        let text = text.trim();
        let (name, rest) = text.split_once('/').unwrap_or((text, ""));
        let name = name.trim();
        if name.is_empty() {
            return None;
        }
        let (kind, group) = rest.split_once(':').unwrap_or((rest, ""));
        let group = group.trim().to_owned();
        let membership = if group.is_empty() {
            Membership::Unknown
        } else if kind.trim().eq_ignore_ascii_case("Workgroup") {
            Membership::Workgroup(group)
        } else if kind.trim().eq_ignore_ascii_case("Domain") {
            Membership::Domain(group)
        } else {
            Membership::Unknown
        };
        Some(Computer {
            name: name.to_owned(),
            membership,
        })
    }
}

/// What a GetResponse says of a device.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct DeviceMetadata {
    /// The MessageID of the Get it answers.
    pub relates_to: Option<String>,
    /// The computer's name and membership, when it is a computer.
    pub computer: Option<Computer>,
    /// `wsdp:ThisDevice/wsdp:FriendlyName`.
    pub friendly_name: Option<String>,
    /// `wsdp:ThisModel/wsdp:Manufacturer`.
    pub manufacturer: Option<String>,
    /// `wsdp:ThisModel/wsdp:ModelName`.
    pub model_name: Option<String>,
}

/// Reads a GetResponse (the body of the HTTP response, at most MAX_METADATA_LEN bytes).
pub fn decode_get_response(body: &[u8]) -> Result<DeviceMetadata, WsdError> {
    let envelope = Envelope::parse(body, MAX_METADATA_LEN)?;
    let action = envelope.addressing("Action")?.ok_or(WsdError::Missing {
        element: "wsa:Action",
    })?;
    if action != ACTION_GET_RESPONSE {
        return Err(WsdError::UnexpectedAction { action });
    }
    let body = envelope.body();
    let computer = body
        .descendant(NS_PUB, "Computer")
        .map(|element| bounded_text(element, "pub:Computer"))
        .transpose()?
        .and_then(|text| Computer::parse(&text));
    let this_device = body.descendant(NS_DEVPROF, "ThisDevice");
    let this_model = body.descendant(NS_DEVPROF, "ThisModel");
    Ok(DeviceMetadata {
        relates_to: envelope.addressing("RelatesTo")?,
        computer,
        friendly_name: field(this_device, "FriendlyName")?,
        manufacturer: field(this_model, "Manufacturer")?,
        model_name: field(this_model, "ModelName")?,
    })
}

/// The trimmed, bounded, non-empty text of `parent`'s first `wsdp:{name}`.
fn field(parent: Option<&Element>, name: &'static str) -> Result<Option<String>, WsdError> {
    let Some(element) = parent.and_then(|parent| parent.child(NS_DEVPROF, name)) else {
        return Ok(None);
    };
    let text = bounded(element.text.trim(), name)?;
    Ok((!text.is_empty()).then_some(text))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wsd::NS_ADDRESSING;
    use std::net::Ipv4Addr;

    const WSDD: &[u8] = include_bytes!("../../testdata/wsd/wsdd-get-response.xml");
    const WINDOWS: &[u8] = include_bytes!("../../testdata/wsd/windows-get-response.xml");

    fn http(body: &[u8]) -> Vec<u8> {
        let mut response = format!(
            "HTTP/1.1 200 OK\r\nContent-Type: application/soap+xml\r\nContent-Length: {}\r\n\r\n",
            body.len()
        )
        .into_bytes();
        response.extend_from_slice(body);
        response
    }

    #[test]
    fn reads_wsdd_workgroup_metadata() {
        let metadata = decode_get_response(WSDD).unwrap();
        assert_eq!(
            metadata,
            DeviceMetadata {
                relates_to: Some("urn:uuid:22222222-2222-4222-8222-222222222222".to_owned()),
                computer: Some(Computer {
                    name: "FILER".to_owned(),
                    membership: Membership::Workgroup("WORKGROUP".to_owned()),
                }),
                friendly_name: Some("WSD Device FILER".to_owned()),
                manufacturer: Some("wsdd".to_owned()),
                model_name: Some("wsdd".to_owned()),
            }
        );
    }

    #[test]
    fn reads_windows_domain_metadata() {
        let metadata = decode_get_response(WINDOWS).unwrap();
        let computer = metadata.computer.unwrap();
        assert_eq!(computer.name, "DESKTOP-7Q2K9");
        assert_eq!(computer.membership, Membership::Domain("CORP".to_owned()));
        assert_eq!(
            metadata.manufacturer.as_deref(),
            Some("Microsoft Corporation")
        );
    }

    #[test]
    fn computer_forms() {
        let parse = |text| Computer::parse(text).map(|computer| computer.membership);
        assert_eq!(
            parse("A/Workgroup:WG"),
            Some(Membership::Workgroup("WG".to_owned()))
        );
        assert_eq!(
            parse(" A/domain:D "),
            Some(Membership::Domain("D".to_owned()))
        );
        assert_eq!(parse("A"), Some(Membership::Unknown));
        assert_eq!(parse("A/NotJoined"), Some(Membership::Unknown));
        assert_eq!(parse("A/Workgroup:"), Some(Membership::Unknown));
        assert_eq!(parse("/Workgroup:WG"), None);
    }

    #[test]
    fn get_is_addressed_to_the_endpoint() {
        let address = "urn:uuid:5a9e4c1e-3d0b-5f6a-9c8d-7b6a5f4e3d2c";
        let get = encode_get(&MessageId::from_random_bytes([2; 16]), address).unwrap();
        let root = xml::parse(&get, MAX_METADATA_LEN).unwrap();
        let header = root.child(crate::wsd::NS_SOAP, "Header").unwrap();
        assert_eq!(header.child(NS_ADDRESSING, "To").unwrap().text, address);
        assert_eq!(
            header.child(NS_ADDRESSING, "Action").unwrap().text,
            ACTION_GET
        );
        let reply_to = header.child(NS_ADDRESSING, "ReplyTo").unwrap();
        assert_eq!(
            reply_to.child(NS_ADDRESSING, "Address").unwrap().text,
            ANONYMOUS
        );
        let body = root.child(crate::wsd::NS_SOAP, "Body").unwrap();
        assert!(body.children.is_empty());
        assert!(encode_get(&MessageId::from_random_bytes([2; 16]), "").is_err());
    }

    #[test]
    fn request_head_posts_to_the_xaddr_path() {
        let xaddr = XAddr::parse("http://[2001:db8::20]:5357/abc").unwrap();
        assert_eq!(
            http_request_head(&xaddr, 12),
            "POST /abc HTTP/1.1\r\nHost: [2001:db8::20]:5357\r\n\
             Content-Type: application/soap+xml\r\nUser-Agent: wnet\r\n\
             Content-Length: 12\r\nConnection: close\r\n\r\n"
        );
        let xaddr = XAddr {
            url: String::new(),
            host: XAddrHost::Ip(Ipv4Addr::new(192, 0, 2, 1).into()),
            port: 80,
            path: "/".to_owned(),
        };
        assert!(http_request_head(&xaddr, 0).contains("Host: 192.0.2.1:80\r\n"));
    }

    #[test]
    fn http_response_bodies() {
        let response = http(WSDD);
        assert_eq!(decode_http_response(&response), Ok(WSDD));
        for length in 0..response.len() {
            let result = decode_http_response(&response[..length]);
            assert!(result.is_err_and(|error| error.is_truncation()), "{length}");
        }
        let mut extra = response.clone();
        extra.extend_from_slice(b"trailing");
        assert_eq!(decode_http_response(&extra), Ok(WSDD));
        assert_eq!(
            decode_http_response(b"HTTP/1.0 200 OK\r\n\r\nabc"),
            Ok(&b"abc"[..])
        );
        assert_eq!(
            decode_http_response(b"HTTP/1.1 500 Oops\r\n\r\n"),
            Err(WsdError::HttpStatus { status: 500 })
        );
        for bad in [
            &b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"[..],
            b"HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n",
            b"HTTP/1.1 200 OK\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nab",
            b"HTTP/1.1 200 OK\r\nno colon\r\n\r\n",
            b"SIP/2.0 200 OK\r\n\r\n",
            b"HTTP/1.1 2000 OK\r\n\r\n",
        ] {
            assert!(matches!(
                decode_http_response(bad),
                Err(WsdError::Http { .. })
            ));
        }
        let huge = format!(
            "HTTP/1.1 200 OK\r\nContent-Length: {}\r\n\r\n",
            MAX_METADATA_LEN + 1
        );
        assert!(matches!(
            decode_http_response(huge.as_bytes()),
            Err(WsdError::TooLarge { .. })
        ));
        let long_head = vec![b'x'; MAX_HTTP_HEAD + 1];
        assert!(matches!(
            decode_http_response(&long_head),
            Err(WsdError::Http { .. })
        ));
        let too_big = vec![b' '; MAX_METADATA_LEN + 1];
        assert!(matches!(
            decode_http_response(&too_big),
            Err(WsdError::TooLarge { .. })
        ));
    }

    #[test]
    fn truncated_metadata_is_refused_at_every_length() {
        for body in [WSDD, WINDOWS] {
            let end = String::from_utf8_lossy(body).trim_end().len();
            for length in 0..end {
                let result = decode_get_response(&body[..length]);
                assert!(result.is_err_and(|error| error.is_truncation()), "{length}");
            }
        }
    }

    #[test]
    fn other_answers_are_not_metadata() {
        let hello = include_bytes!("../../testdata/wsd/wsdd-hello.xml");
        assert!(matches!(
            decode_get_response(hello),
            Err(WsdError::UnexpectedAction { .. })
        ));
        let deep = "<x>".repeat(40) + &"</x>".repeat(40);
        let nested = String::from_utf8_lossy(WSDD)
            .replace("<wsx:Metadata>", &format!("<wsx:Metadata>{deep}"));
        assert!(matches!(
            decode_get_response(nested.as_bytes()),
            Err(WsdError::TooDeep { .. })
        ));
        let long_name = String::from_utf8_lossy(WSDD).replace("FILER/", &"N".repeat(2000));
        assert!(matches!(
            decode_get_response(long_name.as_bytes()),
            Err(WsdError::FieldTooLong { .. })
        ));
    }
}
