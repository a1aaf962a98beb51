//! A bounded XML reader for SOAP envelopes: the document as a small tree of elements whose
//! names are resolved to their namespace URIs.
//!
//! It reads only what SOAP 1.2 allows (SOAP 1.2 Part 1 §5: no DTD), so a document type
//! declaration, and with it any entity declaration, is refused; entity references other than
//! XML's five predefined ones and character references are refused too. The input size, the
//! nesting depth, the number of elements and attributes and the namespace bindings in scope
//! are bounded, so that a hostile datagram costs memory in proportion to its size at most.
//! Nothing here panics on any input.

use super::WsdError;

/// The deepest nesting of elements read (an Envelope, its Body, ProbeMatches, ProbeMatch,
/// EndpointReference and Address are six).
pub const MAX_DEPTH: usize = 32;
/// The most elements in one document.
pub const MAX_ELEMENTS: usize = 4096;
/// The most attributes (namespace declarations included) on one element.
const MAX_ATTRIBUTES: usize = 64;
/// The most namespace bindings in scope at once.
const MAX_BINDINGS: usize = 256;
/// The longest element or attribute name, prefix included.
const MAX_NAME_LEN: usize = 256;

/// An element: its namespace URI and local name, its attributes, the namespaces it declares,
/// its child elements and its character data (the pieces between the children, joined).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub(crate) struct Element {
    /// The namespace URI of its name ("" for none).
    pub(crate) namespace: String,
    /// Its local name.
    pub(crate) name: String,
    /// Its attributes other than namespace declarations.
    pub(crate) attributes: Vec<Attribute>,
    /// The namespaces it declares: prefix ("" for the default namespace) and URI.
    pub(crate) declarations: Vec<(String, String)>,
    /// Its child elements, in order.
    pub(crate) children: Vec<Element>,
    /// Its character data, references replaced.
    pub(crate) text: String,
}

/// An attribute, its name resolved (an unprefixed attribute is in no namespace).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Attribute {
    /// The namespace URI of its name ("" for none).
    pub(crate) namespace: String,
    /// Its local name.
    pub(crate) name: String,
    /// Its value, references replaced.
    pub(crate) value: String,
}

impl Element {
    /// Whether this element is `{namespace}name`.
    pub(crate) fn is(&self, namespace: &str, name: &str) -> bool {
        self.namespace == namespace && self.name == name
    }

    /// The first child `{namespace}name`.
    pub(crate) fn child(&self, namespace: &str, name: &str) -> Option<&Element> {
        self.children.iter().find(|child| child.is(namespace, name))
    }

    /// The children `{namespace}name`.
    pub(crate) fn children_named<'a>(
        &'a self,
        namespace: &'a str,
        name: &'a str,
    ) -> impl Iterator<Item = &'a Element> + 'a {
        self.children
            .iter()
            .filter(move |child| child.is(namespace, name))
    }

    /// The value of the unprefixed attribute `name`.
    pub(crate) fn attribute(&self, name: &str) -> Option<&str> {
        self.attributes
            .iter()
            .find(|attribute| attribute.namespace.is_empty() && attribute.name == name)
            .map(|attribute| attribute.value.as_str())
    }

    /// The first element `{namespace}name` at or below this one, depth first.
    pub(crate) fn descendant(&self, namespace: &str, name: &str) -> Option<&Element> {
        if self.is(namespace, name) {
            return Some(self);
        }
        self.children
            .iter()
            .find_map(|child| child.descendant(namespace, name))
    }
}

/// The namespace URI bound to `prefix` ("" for the default namespace) by the innermost of
/// `ancestors` (outermost first) that declares it.
pub(crate) fn lookup_prefix<'a>(ancestors: &[&'a Element], prefix: &str) -> Option<&'a str> {
    ancestors.iter().rev().find_map(|element| {
        element
            .declarations
            .iter()
            .rev()
            .find(|(declared, _)| declared == prefix)
            .map(|(_, uri)| uri.as_str())
    })
}

/// Parses `input` (UTF-8, at most `limit` bytes) as one document and returns its root.
pub(crate) fn parse(input: &[u8], limit: usize) -> Result<Element, WsdError> {
    if input.len() > limit {
        return Err(WsdError::TooLarge {
            size: input.len(),
            limit,
        });
    }
    let text = std::str::from_utf8(input).map_err(|error| WsdError::NotUtf8 {
        offset: error.valid_up_to(),
    })?;
    let mut reader = Reader {
        text,
        pos: text
            .strip_prefix('\u{feff}')
            .map_or(0, |_| '\u{feff}'.len_utf8()),
        elements: 0,
        scope: Vec::new(),
    };
    reader.misc()?;
    if reader.rest().is_empty() {
        return Err(WsdError::Truncated { offset: reader.pos });
    }
    let root = reader.element(1)?;
    reader.misc()?;
    if reader.rest().is_empty() {
        Ok(root)
    } else {
        Err(WsdError::Syntax {
            offset: reader.pos,
            expected: "the end of the document",
        })
    }
}

/// A start tag: its name, its attributes (names as written), and whether it was an
/// empty-element tag.
type StartTag<'a> = (&'a str, Vec<(&'a str, String)>, bool);

/// Where the reader is in the text, and what it has read so far.
struct Reader<'a> {
    text: &'a str,
    pos: usize,
    elements: usize,
    /// The namespace bindings in scope, outermost first.
    scope: Vec<(String, String)>,
}

impl<'a> Reader<'a> {
    fn rest(&self) -> &'a str {
        self.text.get(self.pos..).unwrap_or_default()
    }

    fn truncated(&self) -> WsdError {
        WsdError::Truncated {
            offset: self.text.len(),
        }
    }

    fn syntax(&self, expected: &'static str) -> WsdError {
        if self.rest().is_empty() {
            self.truncated()
        } else {
            WsdError::Syntax {
                offset: self.pos,
                expected,
            }
        }
    }

    fn skip_whitespace(&mut self) -> bool {
        let rest = self.rest();
        let trimmed = rest.trim_start_matches([' ', '\t', '\r', '\n']);
        self.pos += rest.len() - trimmed.len();
        rest.len() != trimmed.len()
    }

    fn eat(&mut self, literal: &str) -> bool {
        if self.rest().starts_with(literal) {
            self.pos += literal.len();
            true
        } else {
            false
        }
    }

    fn expect(&mut self, literal: &'static str) -> Result<(), WsdError> {
        if self.eat(literal) {
            Ok(())
        } else if literal.starts_with(self.rest()) {
            Err(self.truncated())
        } else {
            Err(self.syntax(literal))
        }
    }

    /// Skips to just past `terminator`.
    fn skip_past(&mut self, terminator: &str) -> Result<&'a str, WsdError> {
        let rest = self.rest();
        let end = rest.find(terminator).ok_or_else(|| self.truncated())?;
        self.pos += end + terminator.len();
        Ok(rest.get(..end).unwrap_or_default())
    }

    /// Whitespace, comments and processing instructions (the XML declaration among them)
    /// before or after the root; a document type declaration is refused.
    fn misc(&mut self) -> Result<(), WsdError> {
        loop {
            self.skip_whitespace();
            if self.eat("<!--") {
                self.skip_past("-->")?;
            } else if self.eat("<?") {
                self.skip_past("?>")?;
            } else if self.rest().starts_with("<!") {
                if "<!--".starts_with(self.rest()) {
                    return Err(self.truncated());
                }
                return Err(WsdError::Doctype { offset: self.pos });
            } else {
                return Ok(());
            }
        }
    }

    fn name(&mut self) -> Result<&'a str, WsdError> {
        let rest = self.rest();
        let end = rest
            .find(|c: char| {
                c.is_whitespace() || matches!(c, '<' | '>' | '/' | '=' | '"' | '\'' | '&')
            })
            .unwrap_or(rest.len());
        if end == rest.len() {
            return Err(self.truncated());
        }
        if end == 0 {
            return Err(self.syntax("a name"));
        }
        if end > MAX_NAME_LEN {
            return Err(WsdError::FieldTooLong {
                field: "XML name",
                limit: MAX_NAME_LEN,
            });
        }
        self.pos += end;
        Ok(rest.get(..end).unwrap_or_default())
    }

    fn attribute_value(&mut self) -> Result<String, WsdError> {
        let Some(quote @ ('"' | '\'')) = self.rest().chars().next() else {
            return Err(self.syntax("a quoted attribute value"));
        };
        self.pos += 1;
        let start = self.pos;
        let raw = self.skip_past(if quote == '"' { "\"" } else { "'" })?;
        if raw.contains('<') {
            return Err(WsdError::Syntax {
                offset: start,
                expected: "an attribute value without '<'",
            });
        }
        unescape(raw, start)
    }

    /// The start tag's name and attributes, and whether it was an empty-element tag.
    fn start_tag(&mut self) -> Result<StartTag<'a>, WsdError> {
        self.expect("<")?;
        let name = self.name()?;
        let mut attributes = Vec::new();
        loop {
            let spaced = self.skip_whitespace();
            if self.eat(">") {
                return Ok((name, attributes, false));
            }
            if self.eat("/>") {
                return Ok((name, attributes, true));
            }
            if self.rest().is_empty() || self.rest() == "/" {
                return Err(self.truncated());
            }
            if !spaced {
                return Err(self.syntax("whitespace before an attribute"));
            }
            let attribute = self.name()?;
            self.skip_whitespace();
            self.expect("=")?;
            self.skip_whitespace();
            let value = self.attribute_value()?;
            if attributes.len() == MAX_ATTRIBUTES {
                return Err(WsdError::TooMany {
                    field: "attributes",
                    limit: MAX_ATTRIBUTES,
                });
            }
            attributes.push((attribute, value));
        }
    }

    fn resolve(&self, qualified: &str, is_attribute: bool) -> Result<(String, String), WsdError> {
        let (prefix, local) = match qualified.split_once(':') {
            Some((prefix, local)) => (prefix, local),
            None if is_attribute => return Ok((String::new(), qualified.to_owned())),
            None => ("", qualified),
        };
        let uri = self
            .scope
            .iter()
            .rev()
            .find(|(declared, _)| declared == prefix)
            .map(|(_, uri)| uri.as_str());
        match uri {
            Some(uri) => Ok((uri.to_owned(), local.to_owned())),
            None if prefix.is_empty() => Ok((String::new(), local.to_owned())),
            None if prefix == "xml" => Ok((
                "http://www.w3.org/XML/1998/namespace".to_owned(),
                local.to_owned(),
            )),
            None => Err(WsdError::UnboundPrefix {
                prefix: prefix.to_owned(),
            }),
        }
    }

    fn element(&mut self, depth: usize) -> Result<Element, WsdError> {
        if depth > MAX_DEPTH {
            return Err(WsdError::TooDeep { limit: MAX_DEPTH });
        }
        self.elements += 1;
        if self.elements > MAX_ELEMENTS {
            return Err(WsdError::TooMany {
                field: "elements",
                limit: MAX_ELEMENTS,
            });
        }
        let (qualified, raw_attributes, empty) = self.start_tag()?;
        let mark = self.scope.len();
        let mut element = Element::default();
        for (name, value) in &raw_attributes {
            let prefix = if *name == "xmlns" {
                ""
            } else if let Some(prefix) = name.strip_prefix("xmlns:") {
                prefix
            } else {
                continue;
            };
            element
                .declarations
                .push((prefix.to_owned(), value.clone()));
        }
        if mark + element.declarations.len() > MAX_BINDINGS {
            return Err(WsdError::TooMany {
                field: "namespace bindings",
                limit: MAX_BINDINGS,
            });
        }
        self.scope.extend(element.declarations.iter().cloned());
        let result = self.element_body(depth, qualified, raw_attributes, empty, element);
        self.scope.truncate(mark);
        result
    }

    fn element_body(
        &mut self,
        depth: usize,
        qualified: &str,
        raw_attributes: Vec<(&str, String)>,
        empty: bool,
        mut element: Element,
    ) -> Result<Element, WsdError> {
        (element.namespace, element.name) = self.resolve(qualified, false)?;
        for (name, value) in raw_attributes {
            if name == "xmlns" || name.starts_with("xmlns:") {
                continue;
            }
            let (namespace, name) = self.resolve(name, true)?;
            element.attributes.push(Attribute {
                namespace,
                name,
                value,
            });
        }
        if empty {
            return Ok(element);
        }
        loop {
            let rest = self.rest();
            if rest.is_empty() || "<!--".starts_with(rest) || "<![CDATA[".starts_with(rest) {
                return Err(self.truncated());
            }
            if self.eat("</") {
                let end = self.name()?;
                self.skip_whitespace();
                self.expect(">")?;
                if end != qualified {
                    return Err(WsdError::MismatchedEnd { offset: self.pos });
                }
                return Ok(element);
            } else if self.eat("<!--") {
                self.skip_past("-->")?;
            } else if self.eat("<![CDATA[") {
                let data = self.skip_past("]]>")?;
                element.text.push_str(data);
            } else if rest.starts_with("<!") {
                return Err(WsdError::Doctype { offset: self.pos });
            } else if self.eat("<?") {
                self.skip_past("?>")?;
            } else if rest.starts_with('<') {
                let child = self.element(depth + 1)?;
                element.children.push(child);
            } else {
                let end = rest.find('<').unwrap_or(rest.len());
                let start = self.pos;
                self.pos += end;
                let text = unescape(rest.get(..end).unwrap_or_default(), start)?;
                element.text.push_str(&text);
            }
        }
    }
}

/// `raw` with its references replaced: the five predefined entities and character
/// references; any other entity reference is refused (there is no DTD to define one).
fn unescape(raw: &str, offset: usize) -> Result<String, WsdError> {
    let mut out = String::with_capacity(raw.len());
    let mut rest = raw;
    while let Some(at) = rest.find('&') {
        out.push_str(rest.get(..at).unwrap_or_default());
        let after = rest.get(at + 1..).unwrap_or_default();
        let reference_offset = offset + (raw.len() - rest.len()) + at;
        let end = after.find(';').ok_or(WsdError::UnknownEntity {
            offset: reference_offset,
        })?;
        let name = after.get(..end).unwrap_or_default();
        let character = match name {
            "lt" => Some('<'),
            "gt" => Some('>'),
            "amp" => Some('&'),
            "quot" => Some('"'),
            "apos" => Some('\''),
            _ => {
                let number = if let Some(hex) = name.strip_prefix("#x") {
                    u32::from_str_radix(hex, 16).ok()
                } else if let Some(decimal) = name.strip_prefix('#') {
                    decimal.parse().ok()
                } else {
                    None
                };
                number.filter(|&n| n != 0).and_then(char::from_u32)
            }
        };
        let character = character.ok_or(WsdError::UnknownEntity {
            offset: reference_offset,
        })?;
        out.push(character);
        rest = after.get(end + 1..).unwrap_or_default();
    }
    out.push_str(rest);
    Ok(out)
}

/// `text` with `<`, `>`, `&`, `"` and `'` escaped, for element content and attribute values.
pub(crate) fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for character in text.chars() {
        match character {
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '&' => out.push_str("&amp;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            _ => out.push(character),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resolves_prefixes_by_uri() {
        let doc = br#"<?xml version="1.0"?><a:x xmlns:a="urn:a" xmlns="urn:d"><y k="v" a:k="w">t&amp;&#65;&#x42;<![CDATA[<c>]]></y><a:y xmlns:a="urn:b"/></a:x>"#;
        let root = parse(doc, 1024).unwrap();
        assert!(root.is("urn:a", "x"));
        let y = root.child("urn:d", "y").unwrap();
        assert_eq!(y.text, "t&AB<c>");
        assert_eq!(y.attribute("k"), Some("v"));
        assert_eq!(y.attributes[1].namespace, "urn:a");
        assert!(root.child("urn:b", "y").is_some());
        assert_eq!(lookup_prefix(&[&root, y], ""), Some("urn:d"));
    }

    #[test]
    fn refuses_doctype_and_entities() {
        let doctype = br#"<!DOCTYPE x [<!ENTITY e "boom">]><x>&e;</x>"#;
        assert!(matches!(
            parse(doctype, 1024),
            Err(WsdError::Doctype { offset: 0 })
        ));
        let inner = br"<x><!ENTITY e 'boom'></x>";
        assert!(matches!(parse(inner, 1024), Err(WsdError::Doctype { .. })));
        let entity = b"<x>&e;</x>";
        assert!(matches!(
            parse(entity, 1024),
            Err(WsdError::UnknownEntity { offset: 3 })
        ));
        assert!(matches!(
            parse(b"<x>&#0;</x>", 1024),
            Err(WsdError::UnknownEntity { .. })
        ));
    }

    #[test]
    fn bounds_depth_size_and_count() {
        let deep = "<a>".repeat(MAX_DEPTH + 1) + &"</a>".repeat(MAX_DEPTH + 1);
        assert!(matches!(
            parse(deep.as_bytes(), 1 << 16),
            Err(WsdError::TooDeep { .. })
        ));
        let fits = "<a>".repeat(MAX_DEPTH) + &"</a>".repeat(MAX_DEPTH);
        assert!(parse(fits.as_bytes(), 1 << 16).is_ok());
        assert!(matches!(
            parse(b"<a/>", 3),
            Err(WsdError::TooLarge { size: 4, limit: 3 })
        ));
        let many = format!("<a>{}</a>", "<b/>".repeat(MAX_ELEMENTS));
        assert!(matches!(
            parse(many.as_bytes(), 1 << 16),
            Err(WsdError::TooMany { .. })
        ));
    }

    #[test]
    fn refuses_malformed() {
        for doc in [
            &b"<a></b>"[..],
            b"<a><b></a>",
            b"<p:a/>",
            b"<a/><b/>",
            b"<a x='1'y='2'/>",
            b"<a x=1/>",
            b"\xff",
            b"",
            b"text",
        ] {
            assert!(parse(doc, 1024).is_err(), "{doc:?}");
        }
    }

    #[test]
    fn escape_round_trips() {
        let text = "a<b>&\"'c";
        let doc = format!("<x y=\"{0}\">{0}</x>", escape(text));
        let root = parse(doc.as_bytes(), 1024).unwrap();
        assert_eq!(root.text, text);
        assert_eq!(root.attribute("y"), Some(text));
    }
}
