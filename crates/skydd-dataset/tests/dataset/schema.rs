//! `docs/dataset.schema.json` in step with the decoder: the same keys at every level (read from
//! the decoder's own "(it has: ...)" help), and every example dataset valid against it.
//!
//! No JSON Schema crate is used (the ones on crates.io pull in an HTTP client and a regex engine
//! for this one test): `Validator` below implements the keywords the schema uses, except
//! `pattern`, and fails on any other keyword, so the schema cannot grow a rule it skips.

use std::collections::BTreeSet;

use serde_json::{Map, Value, json};
use skydd_register::node::{Node, NodeKind};

use super::{FIDES_EXAMPLE, GLESYS, MINIMAL, SHOP};

const SCHEMA: &str = include_str!("../../../../docs/dataset.schema.json");

fn schema() -> Value {
    serde_json::from_str(SCHEMA).expect("the schema is JSON")
}

/// The keys the decoder accepts in the map where `to` puts an unknown key: the list in the help
/// of the unknown-key error.
fn decoder_keys(from: &str, to: &str) -> BTreeSet<String> {
    assert!(
        MINIMAL.contains(from),
        "the minimal dataset has no `{from}`"
    );
    let source = MINIMAL.replacen(from, to, 1);
    let checked = skydd_dataset::check(&source, Some(&GLESYS));
    let d = checked
        .diagnostics
        .iter()
        .find(|d| d.code == "unknown-key" && d.message.contains("zz_probe"))
        .unwrap_or_else(|| panic!("no unknown-key for `{to}`: {:?}", checked.diagnostics));
    let help = d.help.as_deref().expect("help");
    let list = help
        .split_once("(it has: ")
        .and_then(|(_, rest)| rest.strip_suffix(')'))
        .unwrap_or_else(|| panic!("unexpected help {help}"));
    list.split(", ").map(str::to_string).collect()
}

fn schema_keys(schema: &Value, pointer: &str) -> BTreeSet<String> {
    schema
        .pointer(pointer)
        .and_then(Value::as_object)
        .unwrap_or_else(|| panic!("the schema has no {pointer}"))
        .keys()
        .cloned()
        .collect()
}

#[test]
fn the_schema_has_the_decoders_keys_at_every_level() {
    let schema = schema();
    let levels = [
        (
            "/properties",
            "skydd_dataset: 1\n",
            "skydd_dataset: 1\nzz_probe: 1\n",
        ),
        (
            "/$defs/connection/properties",
            "{env: MINIMAL_DATABASE_URL}",
            "{env: MINIMAL_DATABASE_URL, zz_probe: 1}",
        ),
        (
            "/$defs/tls/properties",
            "kind: postgres\n",
            "kind: postgres\ntls: {mode: disable, zz_probe: 1}\n",
        ),
        (
            "/$defs/collection/properties",
            "    primary_key: id\n    retention",
            "    primary_key: id\n    zz_probe: 1\n    retention",
        ),
        (
            "/$defs/retention/properties",
            "rule: support_ticket}",
            "rule: support_ticket, zz_probe: 1}",
        ),
        (
            "/$defs/field/properties",
            "{name: closed_at}",
            "{name: closed_at, zz_probe: 1}",
        ),
        (
            "/$defs/reference/properties",
            "direction: from}",
            "direction: from, zz_probe: 1}",
        ),
        (
            "/$defs/erasure/oneOf/2/properties",
            "erase: null}",
            "erase: {replace: x, zz_probe: 1}}",
        ),
    ];
    for (pointer, from, to) in levels {
        assert_eq!(
            schema_keys(&schema, pointer),
            decoder_keys(from, to),
            "{pointer}: the schema and the decoder disagree"
        );
    }
}

#[test]
fn the_example_datasets_are_valid_against_the_schema() {
    let schema = schema();
    for (name, source) in [
        ("minimal", MINIMAL),
        ("fides-example", FIDES_EXAMPLE),
        ("shop", SHOP),
    ] {
        let document = to_json(source);
        let errors = Validator { root: &schema }.errors(&schema, &document, "");
        assert_eq!(errors, Vec::<String>::new(), "{name}");
    }
}

#[test]
fn the_validator_finds_what_the_schema_forbids() {
    let schema = schema();
    let validator = Validator { root: &schema };
    let mut document = to_json(MINIMAL);
    document["collections"][0]["fields"][0]["erase"] = json!("hash");
    let ticket = document["collections"][1].as_object_mut().expect("a map");
    let key = ticket.remove("primary_key").expect("declared");
    ticket.insert("primary_kye".into(), key);
    document["kind"] = json!(3);
    let errors = validator.errors(&schema, &document, "");
    assert_eq!(errors.len(), 4, "{errors:#?}");
}

/// The YAML document as JSON, scalars typed as YAML 1.2's core schema types them.
fn to_json(source: &str) -> Value {
    let root = skydd_register::node::parse(source)
        .expect("YAML")
        .expect("a document");
    let mut out = Value::Null;
    node_json(&root, &mut out);
    out
}

fn node_json(node: &Node, out: &mut Value) {
    *out = match &node.kind {
        _ if node.is_null() => Value::Null,
        NodeKind::Scalar { text, plain: true } => match text.as_str() {
            "true" => Value::Bool(true),
            "false" => Value::Bool(false),
            _ => text
                .parse::<i64>()
                .map_or_else(|_| Value::String(text.clone()), Value::from),
        },
        NodeKind::Scalar { text, .. } => Value::String(text.clone()),
        NodeKind::Seq(items) => Value::Array(
            items
                .iter()
                .map(|item| {
                    let mut v = Value::Null;
                    node_json(item, &mut v);
                    v
                })
                .collect(),
        ),
        NodeKind::Map(entries) => {
            let mut map = Map::new();
            for (key, value) in entries {
                let NodeKind::Scalar { text, .. } = &key.kind else {
                    panic!("keys are scalars")
                };
                let mut v = Value::Null;
                node_json(value, &mut v);
                map.insert(text.clone(), v);
            }
            Value::Object(map)
        }
    };
}

/// The draft 2020-12 keywords the dataset schema uses; `pattern` is not checked.
struct Validator<'s> {
    root: &'s Value,
}

impl Validator<'_> {
    fn errors(&self, schema: &Value, value: &Value, at: &str) -> Vec<String> {
        let mut errors = Vec::new();
        let Some(schema) = schema.as_object() else {
            return vec![format!("{at}: the schema is not an object")];
        };
        for (keyword, rule) in schema {
            match keyword.as_str() {
                "$schema" | "$id" | "title" | "description" | "$defs" | "pattern" => {}
                "$ref" => {
                    let pointer = rule
                        .as_str()
                        .and_then(|r| r.strip_prefix('#'))
                        .unwrap_or("");
                    let target = self.root.pointer(pointer).expect("the $ref resolves");
                    errors.extend(self.errors(target, value, at));
                }
                "type" => {
                    let types: Vec<&str> = match rule {
                        Value::Array(list) => list.iter().filter_map(Value::as_str).collect(),
                        other => other.as_str().into_iter().collect(),
                    };
                    if !types.iter().any(|t| has_type(value, t)) {
                        errors.push(format!("{at}: expected {types:?}"));
                    }
                }
                "enum" => {
                    if !rule.as_array().is_some_and(|list| list.contains(value)) {
                        errors.push(format!("{at}: {value} is not one of {rule}"));
                    }
                }
                "const" => {
                    if rule != value {
                        errors.push(format!("{at}: expected {rule}"));
                    }
                }
                "required" => {
                    for key in rule
                        .as_array()
                        .into_iter()
                        .flatten()
                        .filter_map(Value::as_str)
                    {
                        if value.as_object().is_some_and(|o| !o.contains_key(key)) {
                            errors.push(format!("{at}: `{key}` is required"));
                        }
                    }
                }
                "properties" => {
                    if let (Some(object), Some(properties)) = (value.as_object(), rule.as_object())
                    {
                        for (key, item) in object {
                            if let Some(sub) = properties.get(key) {
                                errors.extend(self.errors(sub, item, &format!("{at}/{key}")));
                            }
                        }
                    }
                }
                "additionalProperties" => {
                    let known = schema.get("properties").and_then(Value::as_object);
                    if let (Some(object), Value::Bool(false)) = (value.as_object(), rule) {
                        for key in object.keys() {
                            if !known.is_some_and(|k| k.contains_key(key)) {
                                errors.push(format!("{at}: `{key}` is not allowed"));
                            }
                        }
                    }
                }
                "items" => {
                    for (i, item) in value.as_array().into_iter().flatten().enumerate() {
                        errors.extend(self.errors(rule, item, &format!("{at}/{i}")));
                    }
                }
                "minItems" => {
                    let min = rule.as_u64().unwrap_or(0) as usize;
                    if value.as_array().is_some_and(|list| list.len() < min) {
                        errors.push(format!("{at}: fewer than {min} items"));
                    }
                }
                "oneOf" => {
                    let matching = rule
                        .as_array()
                        .into_iter()
                        .flatten()
                        .filter(|sub| self.errors(sub, value, at).is_empty())
                        .count();
                    if matching != 1 {
                        errors.push(format!("{at}: matches {matching} of `oneOf`, not one"));
                    }
                }
                other => errors.push(format!(
                    "{at}: the test's validator does not know `{other}`"
                )),
            }
        }
        errors
    }
}

fn has_type(value: &Value, name: &str) -> bool {
    match name {
        "object" => value.is_object(),
        "array" => value.is_array(),
        "string" => value.is_string(),
        "boolean" => value.is_boolean(),
        "null" => value.is_null(),
        "number" => value.is_number(),
        "integer" => value.is_i64() || value.is_u64(),
        _ => false,
    }
}
