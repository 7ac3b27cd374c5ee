//! Checks a custom resource against a structural schema the way the API server
//! would: a field the schema does not declare is an error here (the server would
//! prune it silently), and so are wrong types, enum, pattern, length, range and
//! item-count violations, int32/int64 overflow, malformed `date-time` strings,
//! duplicate keys in keyed lists, missing required fields (an explicit null counts
//! as missing), and failed oneOf/anyOf/allOf/not.
//!
//! Not checked: CEL rules (`x-kubernetes-validations`; none of our CRDs have any),
//! `format` values other than int32, int64 and date-time (a `duration` is not
//! parsed), keywords these CRDs never use (`multipleOf`, `uniqueItems`,
//! `nullable`, exclusive bounds), and defaulting: a field is validated as written,
//! before the server would fill in defaults. `metadata` is the caller's to check.

use std::collections::BTreeMap;

use regex::Regex;
use serde_json::{Map, Value as Json};

/// One problem, at a dotted path such as `spec.routes[0].condition.method`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Violation {
    /// Where, as a dotted path into the object.
    pub path: String,
    /// What is wrong there.
    pub message: String,
}

/// Every violation of `schema` by `value`, in document order.
pub fn validate(value: &Json, schema: &Json) -> Vec<Violation> {
    let mut v = Validator::default();
    v.node(value, schema, "", true);
    v.found
}

/// RFC 3339 `date-time`, as the API server's `strfmt` reads it.
const RFC3339: &str = r"^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$";

#[derive(Default)]
struct Validator {
    found: Vec<Violation>,
    regexes: BTreeMap<String, Result<Regex, String>>,
}

fn flag(schema: &Map<String, Json>, key: &str) -> bool {
    schema.get(key) == Some(&Json::Bool(true))
}

fn type_name(v: &Json) -> &'static str {
    match v {
        Json::Null => "null",
        Json::Bool(_) => "boolean",
        Json::Number(n) if n.is_f64() => "number",
        Json::Number(_) => "integer",
        Json::String(_) => "string",
        Json::Array(_) => "array",
        Json::Object(_) => "object",
    }
}

fn child(path: &str, key: &str) -> String {
    if path.is_empty() {
        key.to_string()
    } else {
        format!("{path}.{key}")
    }
}

impl Validator {
    fn report(&mut self, path: &str, message: String) {
        self.found.push(Violation {
            path: path.to_string(),
            message,
        });
    }

    /// `structural` is false inside oneOf/anyOf/allOf/not: those branches only
    /// constrain values, they declare no fields, so they prune nothing.
    fn node(&mut self, value: &Json, schema: &Json, path: &str, structural: bool) {
        let Some(s) = schema.as_object() else { return };
        if !self.type_matches(value, s, path) {
            return; // further checks would only repeat the type error
        }
        if let Some(allowed) = s.get("enum").and_then(Json::as_array) {
            if !allowed.contains(value) {
                let list: Vec<String> = allowed.iter().map(Json::to_string).collect();
                self.report(path, format!("{value} is not one of {}", list.join(", ")));
            }
        }
        match value {
            Json::String(text) => self.string(text, s, path),
            Json::Number(n) => self.number(n, s, path),
            Json::Array(items) => self.array(items, s, path, structural),
            Json::Object(fields) => self.object(fields, s, path, structural),
            Json::Bool(_) | Json::Null => {}
        }
        self.junctors(value, s, path);
    }

    fn type_matches(&mut self, value: &Json, s: &Map<String, Json>, path: &str) -> bool {
        let (ok, expected) = if flag(s, "x-kubernetes-int-or-string") {
            (
                value.is_i64() || value.is_u64() || value.is_string(),
                "an integer or a string",
            )
        } else {
            match s.get("type").and_then(Json::as_str) {
                None => (true, ""),
                Some("integer") => (value.is_i64() || value.is_u64(), "an integer"),
                Some("number") => (value.is_number(), "a number"),
                Some("string") => (value.is_string(), "a string"),
                Some("boolean") => (value.is_boolean(), "a boolean"),
                Some("array") => (value.is_array(), "an array"),
                Some("object") => (value.is_object(), "an object"),
                Some(_) => (false, "a value of an unknown schema type"),
            }
        };
        if !ok {
            self.report(path, format!("expected {expected}, found {} {value}", type_name(value)));
        }
        ok
    }

    fn string(&mut self, text: &str, s: &Map<String, Json>, path: &str) {
        // The server counts characters (runes), not bytes.
        let n = text.chars().count() as u64;
        if let Some(min) = s.get("minLength").and_then(Json::as_u64) {
            if n < min {
                self.report(path, format!("{text:?} is shorter than {min} characters"));
            }
        }
        if let Some(max) = s.get("maxLength").and_then(Json::as_u64) {
            if n > max {
                self.report(path, format!("{n} characters, longer than the maximum of {max}"));
            }
        }
        if let Some(pattern) = s.get("pattern").and_then(Json::as_str) {
            match self.regex(pattern) {
                Ok(re) if re.is_match(text) => {}
                Ok(_) => self.report(path, format!("{text:?} does not match the pattern {pattern}")),
                Err(e) => self.report(path, format!("the schema's pattern {pattern} does not compile: {e}")),
            }
        }
        if s.get("format").and_then(Json::as_str) == Some("date-time")
            && !self.regex(RFC3339).is_ok_and(|re| re.is_match(text))
        {
            self.report(path, format!("{text:?} is not an RFC 3339 date-time"));
        }
    }

    fn regex(&mut self, pattern: &str) -> Result<Regex, String> {
        self.regexes
            .entry(pattern.to_string())
            .or_insert_with(|| Regex::new(pattern).map_err(|e| e.to_string()))
            .clone()
    }

    fn number(&mut self, n: &serde_json::Number, s: &Map<String, Json>, path: &str) {
        let x = n.as_f64().unwrap_or(f64::NAN);
        if let Some(min) = s.get("minimum").and_then(Json::as_f64) {
            if x < min {
                self.report(path, format!("{n} is less than the minimum of {min}"));
            }
        }
        if let Some(max) = s.get("maximum").and_then(Json::as_f64) {
            if x > max {
                self.report(path, format!("{n} is greater than the maximum of {max}"));
            }
        }
        let fits = match s.get("format").and_then(Json::as_str) {
            Some("int32") => n.as_i64().is_some_and(|i| i32::try_from(i).is_ok()),
            Some("int64") => n.as_i64().is_some(),
            _ => true,
        };
        if !fits {
            let format = s.get("format").and_then(Json::as_str).unwrap_or_default();
            self.report(path, format!("{n} is out of the {format} range"));
        }
    }

    fn array(&mut self, items: &[Json], s: &Map<String, Json>, path: &str, structural: bool) {
        let n = items.len() as u64;
        if let Some(min) = s.get("minItems").and_then(Json::as_u64) {
            if n < min {
                self.report(path, format!("{n} items, fewer than the minimum of {min}"));
            }
        }
        if let Some(max) = s.get("maxItems").and_then(Json::as_u64) {
            if n > max {
                self.report(path, format!("{n} items, more than the maximum of {max}"));
            }
        }
        self.unique_items(items, s, path);
        if let Some(item_schema) = s.get("items") {
            for (i, item) in items.iter().enumerate() {
                self.node(item, item_schema, &format!("{path}[{i}]"), structural);
            }
        }
    }

    /// `x-kubernetes-list-type: map` lists are keyed by their map keys, `set` lists
    /// by the whole item; a duplicate is rejected by the server.
    fn unique_items(&mut self, items: &[Json], s: &Map<String, Json>, path: &str) {
        let key_of = |item: &Json| -> Json {
            match (
                s.get("x-kubernetes-list-type").and_then(Json::as_str),
                s.get("x-kubernetes-list-map-keys"),
            ) {
                (Some("map"), Some(Json::Array(keys))) => Json::Array(
                    keys.iter()
                        .map(|k| k.as_str().and_then(|k| item.get(k)).cloned().unwrap_or(Json::Null))
                        .collect(),
                ),
                _ => item.clone(),
            }
        };
        if !matches!(
            s.get("x-kubernetes-list-type").and_then(Json::as_str),
            Some("map" | "set")
        ) {
            return;
        }
        let keys: Vec<Json> = items.iter().map(key_of).collect();
        for (i, key) in keys.iter().enumerate() {
            if keys[..i].contains(key) {
                self.report(
                    &format!("{path}[{i}]"),
                    format!("duplicate entry {key} in a keyed list"),
                );
            }
        }
    }

    fn object(&mut self, fields: &Map<String, Json>, s: &Map<String, Json>, path: &str, structural: bool) {
        // An explicit null is pruned by the server, so it counts as absent.
        let present = |k: &str| fields.get(k).is_some_and(|v| !v.is_null());
        if let Some(required) = s.get("required").and_then(Json::as_array) {
            for name in required.iter().filter_map(Json::as_str) {
                if !present(name) {
                    self.report(&child(path, name), "required field is missing".into());
                }
            }
        }
        let props = s.get("properties").and_then(Json::as_object);
        let keep_unknown = flag(s, "x-kubernetes-preserve-unknown-fields") || !structural;
        for (key, value) in fields {
            if value.is_null() {
                continue;
            }
            let at = child(path, key);
            match (props.and_then(|p| p.get(key)), s.get("additionalProperties")) {
                (Some(prop), _) => self.node(value, prop, &at, structural),
                (None, Some(extra @ Json::Object(_))) => self.node(value, extra, &at, structural),
                (None, Some(Json::Bool(true))) => {}
                _ if keep_unknown => {}
                _ => self.report(
                    &at,
                    "unknown field: the CRD schema has no such field, the API server would drop it (check the spelling and nesting)"
                        .into(),
                ),
            }
        }
    }

    fn junctors(&mut self, value: &Json, s: &Map<String, Json>, path: &str) {
        let passes = |schema: &Json| -> bool {
            let mut v = Validator::default();
            v.node(value, schema, path, false);
            v.found.is_empty()
        };
        for (key, rule) in [("oneOf", "exactly one"), ("anyOf", "at least one")] {
            let Some(alternatives) = s.get(key).and_then(Json::as_array) else {
                continue;
            };
            let matching = alternatives.iter().filter(|a| passes(a)).count();
            let ok = if key == "oneOf" { matching == 1 } else { matching >= 1 };
            if !ok {
                let shown: Vec<String> = alternatives.iter().map(describe).collect();
                self.report(
                    path,
                    format!("{key}: {rule} of [{}] must hold, {matching} do", shown.join("; ")),
                );
            }
        }
        if let Some(all) = s.get("allOf").and_then(Json::as_array) {
            for schema in all {
                let mut v = Validator::default();
                v.node(value, schema, path, false);
                self.found.extend(v.found);
            }
        }
        if let Some(not) = s.get("not") {
            if passes(not) {
                self.report(path, format!("must not match {}", describe(not)));
            }
        }
    }
}

/// A short human form of an alternative: `required: [podSelector]` reads as `podSelector is set`.
fn describe(schema: &Json) -> String {
    match schema.get("required").and_then(Json::as_array) {
        Some(fields) if schema.as_object().is_some_and(|o| o.len() == 1) => {
            let names: Vec<&str> = fields.iter().filter_map(Json::as_str).collect();
            format!("{} set", names.join(" and "))
        }
        _ => schema.to_string(),
    }
}
