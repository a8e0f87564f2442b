//! AWS query-protocol XML, written only through quick-xml's writer so every value is escaped.
//! `elem` writes the start and end tags around a closure: a document cannot be left unbalanced.

use quick_xml::Writer;
use quick_xml::events::{BytesDecl, BytesEnd, BytesStart, BytesText, Event};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use crate::error::{AwsError, Fault};

/// A typed result that knows how to write itself inside `<{Action}Result>`.
pub trait WriteXml {
    fn write(&self, w: &mut XmlOut);
    /// Actions without output members (DeleteUser) send no `<{Action}Result>` element at all.
    fn has_result(&self) -> bool {
        true
    }
}

impl WriteXml for () {
    fn write(&self, _: &mut XmlOut) {}
    fn has_result(&self) -> bool {
        false
    }
}

/// An XML document under construction.
pub struct XmlOut {
    w: Writer<Vec<u8>>,
}

impl XmlOut {
    fn new() -> Self {
        let mut w = Writer::new(Vec::with_capacity(512));
        // Writing into a Vec cannot fail; the results below are ignored for that reason.
        let _ = w.write_event(Event::Decl(BytesDecl::new("1.0", Some("UTF-8"), None)));
        Self { w }
    }

    fn start(&mut self, start: BytesStart<'_>) {
        let _ = self.w.write_event(Event::Start(start));
    }

    fn end(&mut self, name: &str) {
        let _ = self.w.write_event(Event::End(BytesEnd::new(name)));
    }

    /// `<name>…</name>` around whatever `body` writes.
    pub fn elem(&mut self, name: &str, body: impl FnOnce(&mut Self)) {
        self.start(BytesStart::new(name));
        body(self);
        self.end(name);
    }

    /// `<name>escaped text</name>`.
    pub fn text(&mut self, name: &str, value: &str) {
        self.start(BytesStart::new(name));
        let _ = self.w.write_event(Event::Text(xml_text(value)));
        self.end(name);
    }

    /// Escaped text with no element around it (the members of a list of strings).
    pub fn text_only(&mut self, value: &str) {
        let _ = self.w.write_event(Event::Text(xml_text(value)));
    }

    /// Writes the element only when there is a value.
    pub fn opt_text(&mut self, name: &str, value: Option<&str>) {
        if let Some(v) = value {
            self.text(name, v);
        }
    }

    /// An ISO-8601 UTC timestamp, the form AWS's query APIs use.
    pub fn time(&mut self, name: &str, at: OffsetDateTime) {
        self.text(name, &iso8601(at));
    }

    pub fn bool(&mut self, name: &str, value: bool) {
        self.text(name, if value { "true" } else { "false" });
    }

    pub fn int(&mut self, name: &str, value: i64) {
        self.text(name, &value.to_string());
    }

    /// `<name><member>…</member>…</name>`, the query protocol's list form.
    pub fn list<T>(&mut self, name: &str, items: &[T], mut each: impl FnMut(&mut Self, &T)) {
        self.elem(name, |w| {
            for item in items {
                w.elem("member", |w| each(w, item));
            }
        });
    }

    fn finish(self) -> Vec<u8> {
        self.w.into_inner()
    }
}

/// The `Char` production of XML 1.0: what a document may contain at all.
fn is_xml_char(c: char) -> bool {
    matches!(c, '\t' | '\n' | '\r' | '\u{20}'..='\u{D7FF}' | '\u{E000}'..='\u{FFFD}' | '\u{10000}'..='\u{10FFFF}')
}

/// Text as XML 1.0 can carry it. quick-xml escapes markup only, and values reach the output
/// from requests (validation messages quote them): a C0 control, U+FFFE or U+FFFF would make
/// the whole response unreadable to a conforming parser (botocore's), and XML 1.0 has no way to
/// write them, not even as a reference, so they become U+FFFD. A carriage return is written as
/// `&#xD;`, since parsers read a literal one as a line feed.
fn xml_text(value: &str) -> BytesText<'static> {
    let escaped = quick_xml::escape::escape(value);
    if escaped.chars().all(|c| c != '\r' && is_xml_char(c)) {
        return BytesText::from_escaped(escaped.into_owned());
    }
    let mut out = String::with_capacity(escaped.len() + 8);
    for c in escaped.chars() {
        match c {
            '\r' => out.push_str("&#xD;"),
            c if is_xml_char(c) => out.push(c),
            _ => out.push('\u{FFFD}'),
        }
    }
    BytesText::from_escaped(out)
}

/// ISO-8601 with a `Z` suffix; whole seconds unless the time has milliseconds.
#[must_use]
pub fn iso8601(at: OffsetDateTime) -> String {
    at.to_offset(time::UtcOffset::UTC).format(&Rfc3339).unwrap_or_default()
}

/// `<{Action}Response xmlns=…><{Action}Result>…</{Action}Result><ResponseMetadata>…`.
#[must_use]
pub fn response(action: &str, namespace: &str, request_id: &str, result: &dyn WriteXml) -> Vec<u8> {
    let mut out = XmlOut::new();
    let root = format!("{action}Response");
    out.start(BytesStart::new(root.as_str()).with_attributes([("xmlns", namespace)]));
    if result.has_result() {
        out.elem(&format!("{action}Result"), |w| result.write(w));
    }
    out.elem("ResponseMetadata", |w| w.text("RequestId", request_id));
    out.end(&root);
    out.finish()
}

/// `<ErrorResponse xmlns=…><Error><Type/><Code/><Message/></Error><RequestId/></ErrorResponse>`.
#[must_use]
pub fn error_response(err: &AwsError, namespace: &str, request_id: &str) -> Vec<u8> {
    let mut out = XmlOut::new();
    out.start(BytesStart::new("ErrorResponse").with_attributes([("xmlns", namespace)]));
    out.elem("Error", |w| {
        w.text("Type", if err.fault() == Fault::Sender { "Sender" } else { "Receiver" });
        w.text("Code", err.code());
        w.text("Message", err.message());
        // AWS carries it in EC2's message text; here it has its own element so IAM's messages
        // stay AWS's. botocore exposes every child of <Error> (`response["Error"]`).
        w.opt_text("EncodedAuthorizationMessage", err.encoded_authorization_message());
    });
    out.text("RequestId", request_id);
    out.end("ErrorResponse");
    out.finish()
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Hostile;
    impl WriteXml for Hostile {
        fn write(&self, w: &mut XmlOut) {
            w.text("UserName", "</UserName><x>&\"'");
        }
    }

    #[test]
    fn values_are_escaped_and_document_is_balanced() {
        let body = String::from_utf8(response("GetUser", "ns", "rid", &Hostile)).unwrap();
        assert!(body.contains("<UserName>&lt;/UserName&gt;&lt;x&gt;&amp;&quot;&apos;</UserName>"), "{body}");
        let mut reader = quick_xml::Reader::from_str(&body);
        let mut depth = 0i32;
        loop {
            match reader.read_event().unwrap() {
                Event::Start(_) => depth += 1,
                Event::End(_) => depth -= 1,
                Event::Eof => break,
                _ => {}
            }
        }
        assert_eq!(depth, 0);
    }

    /// Found by the XML round-trip property: a NUL in a quoted value made the whole error
    /// response unparseable, and a CR came back as LF.
    #[test]
    fn characters_xml_cannot_carry_are_replaced_and_cr_survives() {
        let e = AwsError::ValidationError("a\u{0}b\u{1f}c\u{ffff}d\re".into());
        let body = String::from_utf8(error_response(&e, "ns", "rid")).unwrap();
        assert!(body.contains("<Message>a\u{fffd}b\u{fffd}c\u{fffd}d&#xD;e</Message>"), "{body}");
        let doc = crate::saml::parse_xml(&body).unwrap();
        let root = doc.document_element().unwrap();
        // A conforming parser reads it, with the CR kept.
        assert_eq!(doc.text_content_deep(root), "SenderValidationErrora\u{fffd}b\u{fffd}c\u{fffd}d\rerid");
    }

    #[test]
    fn unit_results_have_no_result_element() {
        let body = String::from_utf8(response("DeleteUser", "ns", "rid", &())).unwrap();
        assert!(!body.contains("DeleteUserResult"));
        assert!(body.contains("<RequestId>rid</RequestId>"));
    }

    #[test]
    fn errors_carry_code_type_and_message() {
        let e = AwsError::NoSuchEntity("The user with name bob cannot be found.".into());
        let body = String::from_utf8(error_response(&e, "ns", "rid")).unwrap();
        assert!(body.contains(
            "<Type>Sender</Type><Code>NoSuchEntity</Code><Message>The user with name bob cannot be found.</Message>"
        ));
    }
}
