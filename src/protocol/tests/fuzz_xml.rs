//! The XML writer, round trip: any string written as element text comes back from both quick-xml
//! and a conforming XML 1.0 parser (uppsala) as the same text, and every document is
//! well-formed. XML 1.0 cannot carry most C0 controls, U+FFFE or U+FFFF at all (not even as
//! character references), so those come back as U+FFFD, the one change allowed.

use proptest::prelude::*;
use quick_xml::events::Event;

use crate::error::AwsError;
use crate::fuzzing::run;
use crate::protocol::xml::{WriteXml, XmlOut, error_response, response};

const NS: &str = "https://iam.amazonaws.com/doc/2010-05-08/";

/// The `Char` production of XML 1.0 (fifth edition), written from the spec, not from the writer.
fn is_xml_char(c: char) -> bool {
    matches!(c, '\t' | '\n' | '\r' | '\u{20}'..='\u{D7FF}' | '\u{E000}'..='\u{FFFD}' | '\u{10000}'..='\u{10FFFF}')
}

fn expected(s: &str) -> String {
    s.chars().map(|c| if is_xml_char(c) { c } else { '\u{FFFD}' }).collect()
}

/// Arbitrary text, plus text built from what XML treats specially: markup characters, the
/// characters it forbids, line ends parsers normalise, and escapes that must stay literal.
fn hostile_text() -> impl Strategy<Value = String> {
    let chars = prop::sample::select(vec![
        '<',
        '>',
        '&',
        '"',
        '\'',
        '\r',
        '\n',
        '\t',
        ' ',
        ']',
        ';',
        '#',
        'x',
        'a',
        '\u{0}',
        '\u{1}',
        '\u{8}',
        '\u{b}',
        '\u{c}',
        '\u{1f}',
        '\u{7f}',
        '\u{85}',
        '\u{a0}',
        '\u{2028}',
        '\u{d7ff}',
        '\u{e000}',
        '\u{fffd}',
        '\u{fffe}',
        '\u{ffff}',
        '\u{10000}',
        '\u{10ffff}',
        'é',
        '日',
        '😀',
    ]);
    let pieces =
        prop::sample::select(vec!["&amp;", "&#xD;", "&#0;", "]]>", "<![CDATA[", "<!--", "?>", "</a>", "\r\n", "&"]);
    prop_oneof![
        any::<String>(),
        prop::collection::vec(chars, 0..48).prop_map(|v| v.into_iter().collect()),
        prop::collection::vec(pieces, 0..8).prop_map(|v| v.concat()),
    ]
}

struct Texts {
    name: String,
    items: Vec<String>,
    path: String,
}

impl WriteXml for Texts {
    fn write(&self, w: &mut XmlOut) {
        w.text("UserName", &self.name);
        w.list("Items", &self.items, |w, s| w.text_only(s));
        w.opt_text("Path", Some(&self.path));
    }
}

/// (element, text) of every element without child elements, in document order, as quick-xml
/// reads them.
fn leaves_by_quick_xml(doc: &str) -> Result<Vec<(String, String)>, String> {
    let mut reader = quick_xml::Reader::from_str(doc);
    // (name, text so far, has child elements)
    let mut open: Vec<(String, String, bool)> = Vec::new();
    let mut leaves = Vec::new();
    loop {
        match reader.read_event().map_err(|e| e.to_string())? {
            Event::Start(s) => {
                if let Some(parent) = open.last_mut() {
                    parent.2 = true;
                }
                open.push((String::from_utf8_lossy(s.name().as_ref()).into_owned(), String::new(), false));
            }
            Event::Text(t) => {
                let text = t.xml10_content().map_err(|e| e.to_string())?;
                match open.last_mut() {
                    Some(top) => top.1.push_str(&text),
                    None if text.trim().is_empty() => {}
                    None => return Err(format!("text outside the root: {text:?}")),
                }
            }
            // quick-xml hands each `&…;` over on its own.
            Event::GeneralRef(r) => {
                let text = match r.resolve_char_ref().map_err(|e| e.to_string())? {
                    Some(c) => c.to_string(),
                    None => {
                        let name = r.decode().map_err(|e| e.to_string())?;
                        quick_xml::escape::resolve_predefined_entity(&name)
                            .ok_or_else(|| format!("unknown entity &{name};"))?
                            .to_owned()
                    }
                };
                open.last_mut().ok_or("a reference outside the root")?.1.push_str(&text);
            }
            Event::End(_) => {
                let (name, text, has_children) = open.pop().ok_or("an end tag without a start")?;
                if !has_children {
                    leaves.push((name, text));
                }
            }
            Event::Eof if open.is_empty() => return Ok(leaves),
            Event::Eof => return Err(format!("unclosed elements at the end: {open:?}")),
            Event::Decl(_) => {}
            other => return Err(format!("unexpected event {other:?}")),
        }
    }
}

/// Well-formed XML 1.0 by a conforming parser, and only characters XML allows.
fn check_well_formed(doc: &str) -> Result<uppsala::Document<'_>, TestCaseError> {
    if let Some(c) = doc.chars().find(|c| !is_xml_char(*c)) {
        return Err(TestCaseError::fail(format!("character {c:?} is not allowed in XML 1.0: {doc:?}")));
    }
    crate::saml::parse_xml(doc).map_err(|e| TestCaseError::fail(format!("not well-formed ({e}): {doc:?}")))
}

/// The text of the first element named `local`, as the conforming parser reads it.
fn text_by_uppsala(doc: &uppsala::Document<'_>, local: &str) -> Option<String> {
    let root = doc.document_element()?;
    let id = *crate::saml::descendants(doc, root, NS, local).first()?;
    Some(doc.text_content_deep(id))
}

#[test]
fn element_text_round_trips_and_documents_are_well_formed() {
    let strategy = (hostile_text(), prop::collection::vec(hostile_text(), 0..4), hostile_text());
    run("xml text round trip", 10_000, strategy, |(name, items, path)| {
        let result = Texts { name, items, path };
        let body = response("GetUser", NS, "rid", &result);
        let doc = String::from_utf8(body).map_err(|e| TestCaseError::fail(format!("not UTF-8: {e}")))?;
        let parsed = check_well_formed(&doc)?;
        prop_assert_eq!(text_by_uppsala(&parsed, "UserName"), Some(expected(&result.name)));
        prop_assert_eq!(text_by_uppsala(&parsed, "Path"), Some(expected(&result.path)));

        let mut want = vec![("UserName".to_owned(), expected(&result.name))];
        if result.items.is_empty() {
            want.push(("Items".to_owned(), String::new()));
        }
        want.extend(result.items.iter().map(|s| ("member".to_owned(), expected(s))));
        want.push(("Path".to_owned(), expected(&result.path)));
        want.push(("RequestId".to_owned(), "rid".to_owned()));
        let leaves = leaves_by_quick_xml(&doc).map_err(|e| TestCaseError::fail(format!("{e}: {doc:?}")))?;
        prop_assert_eq!(leaves, want);
        Ok(())
    });
}

#[test]
fn error_messages_round_trip() {
    run("xml error message round trip", 8000, hostile_text(), |message| {
        let err = AwsError::ValidationError(message.clone());
        let body = error_response(&err, NS, "rid");
        let doc = String::from_utf8(body).map_err(|e| TestCaseError::fail(format!("not UTF-8: {e}")))?;
        let parsed = check_well_formed(&doc)?;
        prop_assert_eq!(text_by_uppsala(&parsed, "Message"), Some(expected(&message)));
        prop_assert_eq!(text_by_uppsala(&parsed, "Code"), Some("ValidationError".to_owned()));
        let leaves = leaves_by_quick_xml(&doc).map_err(|e| TestCaseError::fail(format!("{e}: {doc:?}")))?;
        let want = [
            ("Type", "Sender"),
            ("Code", "ValidationError"),
            ("Message", expected(&message).as_str()),
            ("RequestId", "rid"),
        ]
        .map(|(n, t)| (n.to_owned(), t.to_owned()));
        prop_assert_eq!(leaves, want.to_vec());
        Ok(())
    });
}
