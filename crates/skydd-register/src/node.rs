//! A YAML document as a tree of nodes that remember where they stand in the source.
//!
//! The register is read from it, and so is every other YAML file Skydd checks (the datasets
//! of `skydd-dataset`), so positions and limits are the same everywhere.
//!
//! Built from `saphyr-parser` events without recursion, with limits on depth and size, so that no
//! input (deep nesting, alias bombs) can overflow the stack or exhaust memory.

use std::collections::HashMap;

use saphyr_parser::{Event, Parser, ScalarStyle};

/// A position in the source: 1-based line and column (in characters).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Default)]
pub struct Pos {
    /// 1-based line.
    pub line: usize,
    /// 1-based column.
    pub column: usize,
}

impl Pos {
    fn from_marker(marker: &saphyr_parser::Marker) -> Pos {
        // saphyr lines are 1-based, columns 0-based.
        Pos {
            line: marker.line().max(1),
            column: marker.col() + 1,
        }
    }
}

/// One node of the document.
#[derive(Debug, Clone, PartialEq)]
pub struct Node {
    /// What the node holds.
    pub kind: NodeKind,
    /// Where the node starts.
    pub pos: Pos,
}

/// The kinds of node.
#[derive(Debug, Clone, PartialEq)]
pub enum NodeKind {
    /// A scalar, kept as written; `plain` is false for quoted and block scalars.
    Scalar {
        /// The scalar's text.
        text: String,
        /// Whether the scalar was written plain (unquoted).
        plain: bool,
    },
    /// A sequence.
    Seq(Vec<Node>),
    /// A mapping, in source order (duplicates kept, so they can be reported).
    Map(Vec<(Node, Node)>),
}

impl Node {
    /// Whether the node is YAML null (`~`, `null`, or nothing).
    pub fn is_null(&self) -> bool {
        matches!(&self.kind, NodeKind::Scalar { text, plain: true }
            if matches!(text.as_str(), "" | "~" | "null" | "Null" | "NULL"))
    }

    /// A short name of the node's type, for messages.
    pub fn type_name(&self) -> &'static str {
        match &self.kind {
            _ if self.is_null() => "nothing",
            NodeKind::Scalar { .. } => "a value",
            NodeKind::Seq(_) => "a list",
            NodeKind::Map(_) => "a map",
        }
    }
}

/// Why a document could not be turned into a tree.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SyntaxError {
    /// What is wrong.
    pub message: String,
    /// The line and column of the offending token (the parser's mark, or the second `---`).
    pub pos: Pos,
}

/// Deepest nesting accepted. Registers need about six levels.
const MAX_DEPTH: usize = 64;
/// Most nodes accepted, counting every alias expansion.
const MAX_NODES: usize = 200_000;

enum Frame {
    Seq {
        items: Vec<Node>,
        pos: Pos,
        anchor: usize,
    },
    Map {
        entries: Vec<(Node, Node)>,
        key: Option<Node>,
        pos: Pos,
        anchor: usize,
    },
}

/// Parse `source` into a single document tree. An empty document gives `Ok(None)`.
pub fn parse(source: &str) -> Result<Option<Node>, SyntaxError> {
    let mut parser = Parser::new_from_str(source);
    let mut stack: Vec<Frame> = Vec::new();
    let mut anchors: HashMap<usize, Node> = HashMap::new();
    let mut root: Option<Node> = None;
    let mut documents = 0usize;
    let mut nodes = 0usize;

    while let Some(next) = parser.next_event() {
        let (event, span) = next.map_err(|error| SyntaxError {
            message: error.info().to_string(),
            pos: Pos::from_marker(error.marker()),
        })?;
        let pos = Pos::from_marker(&span.start);
        let finished: Option<(Node, usize)> = match event {
            Event::StreamStart | Event::StreamEnd | Event::DocumentEnd | Event::Nothing => None,
            Event::DocumentStart(_) => {
                documents += 1;
                if documents > 1 {
                    return Err(SyntaxError {
                        message: "a file holds one YAML document; found a second `---`".into(),
                        pos,
                    });
                }
                None
            }
            Event::Scalar(text, style, anchor, _tag) => {
                let plain = matches!(style, ScalarStyle::Plain);
                Some((
                    Node {
                        kind: NodeKind::Scalar {
                            text: text.into_owned(),
                            plain,
                        },
                        pos,
                    },
                    anchor,
                ))
            }
            Event::Alias(id) => {
                let Some(target) = anchors.get(&id) else {
                    return Err(SyntaxError {
                        message: "alias to an unknown anchor".into(),
                        pos,
                    });
                };
                nodes += count_nodes(target);
                if nodes > MAX_NODES {
                    return Err(too_large(pos));
                }
                // Aliases take the position of the alias, so that errors in a reused block are
                // reported where it is used.
                let mut copy = target.clone();
                copy.pos = pos;
                Some((copy, 0))
            }
            Event::SequenceStart(anchor, _) => {
                if stack.len() >= MAX_DEPTH {
                    return Err(too_deep(pos));
                }
                stack.push(Frame::Seq {
                    items: Vec::new(),
                    pos,
                    anchor,
                });
                None
            }
            Event::MappingStart(anchor, _) => {
                if stack.len() >= MAX_DEPTH {
                    return Err(too_deep(pos));
                }
                stack.push(Frame::Map {
                    entries: Vec::new(),
                    key: None,
                    pos,
                    anchor,
                });
                None
            }
            Event::SequenceEnd => match stack.pop() {
                Some(Frame::Seq { items, pos, anchor }) => Some((
                    Node {
                        kind: NodeKind::Seq(items),
                        pos,
                    },
                    anchor,
                )),
                _ => return Err(unbalanced(pos)),
            },
            Event::MappingEnd => match stack.pop() {
                Some(Frame::Map {
                    entries,
                    key: None,
                    pos,
                    anchor,
                }) => Some((
                    Node {
                        kind: NodeKind::Map(entries),
                        pos,
                    },
                    anchor,
                )),
                _ => return Err(unbalanced(pos)),
            },
        };

        let Some((node, anchor)) = finished else {
            continue;
        };
        nodes += 1;
        if nodes > MAX_NODES {
            return Err(too_large(pos));
        }
        if anchor != 0 {
            anchors.insert(anchor, node.clone());
        }
        match stack.last_mut() {
            None => root = Some(node),
            Some(Frame::Seq { items, .. }) => items.push(node),
            Some(Frame::Map { entries, key, .. }) => match key.take() {
                None => *key = Some(node),
                Some(k) => entries.push((k, node)),
            },
        }
    }
    if !stack.is_empty() {
        return Err(unbalanced(Pos::default()));
    }
    Ok(root.filter(|node| !node.is_null()))
}

fn count_nodes(node: &Node) -> usize {
    // Iterative, so that a deep tree cannot overflow the stack.
    let mut count = 0;
    let mut todo = vec![node];
    while let Some(next) = todo.pop() {
        count += 1;
        match &next.kind {
            NodeKind::Scalar { .. } => {}
            NodeKind::Seq(items) => todo.extend(items),
            NodeKind::Map(entries) => {
                for (k, v) in entries {
                    todo.push(k);
                    todo.push(v);
                }
            }
        }
    }
    count
}

fn too_deep(pos: Pos) -> SyntaxError {
    SyntaxError {
        message: format!("nesting deeper than {MAX_DEPTH} levels"),
        pos,
    }
}

fn too_large(pos: Pos) -> SyntaxError {
    SyntaxError {
        message: format!("the document expands to more than {MAX_NODES} nodes (aliases included)"),
        pos,
    }
}

fn unbalanced(pos: Pos) -> SyntaxError {
    SyntaxError {
        message: "unbalanced YAML structure".into(),
        pos,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn positions_are_one_based() {
        let node = parse("a:\n  b: c\n").unwrap().unwrap();
        let NodeKind::Map(entries) = &node.kind else {
            panic!("map expected")
        };
        let (_, inner) = &entries[0];
        let NodeKind::Map(inner) = &inner.kind else {
            panic!("map expected")
        };
        assert_eq!(inner[0].0.pos, Pos { line: 2, column: 3 });
        assert_eq!(inner[0].1.pos, Pos { line: 2, column: 6 });
    }

    #[test]
    fn yaml_1_2_keeps_norway() {
        let node = parse("country: NO").unwrap().unwrap();
        let NodeKind::Map(entries) = &node.kind else {
            panic!("map expected")
        };
        assert_eq!(
            entries[0].1.kind,
            NodeKind::Scalar {
                text: "NO".into(),
                plain: true
            }
        );
    }

    #[test]
    fn deep_nesting_is_an_error_not_a_crash() {
        let deep = "[".repeat(100_000);
        // Either our depth limit or the parser's own recursion limit stops it.
        let error = parse(&deep).unwrap_err();
        assert!(
            error.message.contains("nesting") || error.message.contains("recursion"),
            "{error:?}"
        );
        let deep_maps = "a:\n".repeat(0) + &"{a: ".repeat(10_000);
        assert!(parse(&deep_maps).is_err());
    }

    #[test]
    fn alias_bombs_are_refused() {
        let mut doc = String::from("a: &a [x, x, x, x, x, x, x, x, x, x]\n");
        let names = ["b", "c", "d", "e", "f", "g", "h", "i"];
        let mut previous = "a";
        for name in names {
            doc.push_str(&format!(
                "{name}: &{name} [*{previous}, *{previous}, *{previous}, *{previous}, *{previous}, *{previous}, *{previous}, *{previous}, *{previous}, *{previous}]\n"
            ));
            previous = name;
        }
        let error = parse(&doc).unwrap_err();
        assert!(error.message.contains("more than"), "{error:?}");
    }

    #[test]
    fn a_second_document_is_refused() {
        assert!(parse("a: 1\n---\nb: 2\n").is_err());
    }

    #[test]
    fn empty_documents_are_none() {
        assert_eq!(parse("").unwrap(), None);
        assert_eq!(parse("# only a comment\n").unwrap(), None);
    }
}
