//! YAML read for the text of its scalars, as written.
//!
//! serde-saphyr types a plain scalar by the YAML schema: `1.10` becomes the
//! number 1.1, `0755` 755.0, `yes` true. A value bound to a variable is text,
//! so it must be the scalar as written (after unquoting when quoted). This
//! reads the parser's events into a tree that keeps each scalar's text;
//! the typed reading still decides what the document means and reports its
//! errors, and this tree only supplies the text of the values it bound.

use granit_parser::{Event, Parser, ScalarStyle};

/// A YAML node, scalars as text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Node {
    /// A scalar's text; `None` for null (`~`, `null`, nothing).
    Scalar(Option<String>),
    Seq(Vec<Node>),
    Map(Vec<(String, Node)>),
    /// What this tree does not follow (an alias, a non-scalar key): the
    /// typed reading stands.
    Other,
}

/// Nesting deeper than this is left to the typed reading.
const MAX_DEPTH: usize = 64;

impl Node {
    /// The value of `key` in a mapping.
    pub fn get(&self, key: &str) -> Option<&Node> {
        match self {
            Node::Map(entries) => entries.iter().rev().find(|(k, _)| k == key).map(|(_, v)| v),
            _ => None,
        }
    }
}

/// The document's tree, or `None` when it is not one well-formed document
/// (the typed reading reports why).
pub fn parse(text: &str) -> Option<Node> {
    let mut events = Parser::new_from_str(text).map(|e| e.ok().map(|(event, _)| event));
    let mut root = None;
    while let Some(event) = events.next() {
        match event? {
            Event::StreamStart | Event::DocumentStart(..) => {}
            Event::DocumentEnd | Event::StreamEnd => break,
            event => {
                root = Some(node(event, &mut events, 0)?);
            }
        }
    }
    Some(root.unwrap_or(Node::Scalar(None)))
}

fn node<'a>(
    first: Event<'a>,
    events: &mut impl Iterator<Item = Option<Event<'a>>>,
    depth: usize,
) -> Option<Node> {
    if depth > MAX_DEPTH {
        return None;
    }
    Some(match first {
        Event::Scalar(text, style, _, tag) => {
            let tagged_null = tag.as_ref().is_some_and(|t| t.suffix() == "null");
            let plain_null = style == ScalarStyle::Plain
                && tag.is_none()
                && matches!(&*text, "" | "~" | "null" | "Null" | "NULL");
            if tagged_null || plain_null {
                Node::Scalar(None)
            } else {
                Node::Scalar(Some(text.into_owned()))
            }
        }
        Event::SequenceStart(..) => {
            let mut items = Vec::new();
            loop {
                match next(events)? {
                    Event::SequenceEnd => break,
                    event => items.push(node(event, events, depth + 1)?),
                }
            }
            Node::Seq(items)
        }
        Event::MappingStart(..) => {
            let mut entries = Vec::new();
            loop {
                let key = match next(events)? {
                    Event::MappingEnd => break,
                    event => node(event, events, depth + 1)?,
                };
                let value = node(next(events)?, events, depth + 1)?;
                if let Node::Scalar(Some(key)) = key {
                    entries.push((key, value));
                }
            }
            Node::Map(entries)
        }
        _ => Node::Other,
    })
}

/// The next event that is part of the document's content.
fn next<'a>(events: &mut impl Iterator<Item = Option<Event<'a>>>) -> Option<Event<'a>> {
    loop {
        match events.next()?? {
            Event::Anchor(..) => {}
            #[allow(unreachable_patterns, reason = "only with granit-parser's `comments`")]
            Event::Comment(..) => {}
            event => return Some(event),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scalar(text: &str) -> Node {
        Node::Scalar(Some(text.to_owned()))
    }

    #[test]
    fn scalars_keep_their_text() {
        let tree = parse(
            "a: 1.10\nb: 012345678901\nc: 0755\nd: yes\ne: 123456789012345678901234567890\nf: '1.10'\ng: \"x\\ty\"\nh: ~\ni:\nj: !!str 1.0\n",
        )
        .expect("parses");
        for (key, want) in [
            ("a", scalar("1.10")),
            ("b", scalar("012345678901")),
            ("c", scalar("0755")),
            ("d", scalar("yes")),
            ("e", scalar("123456789012345678901234567890")),
            ("f", scalar("1.10")),
            ("g", scalar("x\ty")),
            ("h", Node::Scalar(None)),
            ("i", Node::Scalar(None)),
            ("j", scalar("1.0")),
        ] {
            assert_eq!(tree.get(key), Some(&want), "{key}");
        }
    }

    #[test]
    fn nesting_sequences_and_what_is_not_followed() {
        let tree = parse("v:\n  X:\n    default: 1.20\n    values: [1.20, 1.3]\nr: &a 1\ns: *a\n")
            .expect("parses");
        let x = tree.get("v").and_then(|v| v.get("X")).expect("X");
        assert_eq!(x.get("default"), Some(&scalar("1.20")));
        assert_eq!(
            x.get("values"),
            Some(&Node::Seq(vec![scalar("1.20"), scalar("1.3")]))
        );
        assert_eq!(tree.get("s"), Some(&Node::Other));
        assert_eq!(parse("a: [1, 2"), None);
        let deep = format!("{}1{}", "[".repeat(200), "]".repeat(200));
        assert_eq!(parse(&deep), None);
    }
}
