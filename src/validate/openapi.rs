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

use std::collections::HashSet;
use std::sync::Arc;

use regex::Regex;
use serde_json::{Map, Value as Json};

/// One problem, at a dotted path such as `spec.routes[0].condition.method`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Violation {
    /// Where, as a dotted path into the object.
    pub path: String,
    /// What is wrong there.
    pub message: String,
}

/// Every violation of `schema` by `value`, in document order.
#[cfg(test)]
pub(crate) fn violations(value: &Json, schema: &Json) -> Vec<Violation> {
    violations_except(value, schema, &[])
}

/// As [`violations`], with the top-level fields named in `skip` left out of both the
/// value and the schema: a custom resource's `apiVersion`, `kind` and `metadata`
/// belong to the API server, whatever its schema declares.
pub(crate) fn violations_except(value: &Json, schema: &Json, skip: &[&str]) -> Vec<Violation> {
    let mut v = Validator {
        skip_top: skip,
        ..Validator::default()
    };
    v.node(value, schema, true);
    v.found
}

/// RFC 3339 `date-time`, as the API server's `strfmt` reads it.
const RFC3339: &str = r"^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$";

/// Where the validator is, as a stack of keys and indices: the dotted path string is
/// built only when a violation is reported, so a valid object costs no allocation.
#[derive(Clone, Copy)]
pub(crate) enum Step<'a> {
    Key(&'a str),
    Index(usize),
}

#[derive(Default)]
struct Validator<'v> {
    found: Vec<Violation>,
    path: Vec<Step<'v>>,
    /// Top-level fields that are not the schema's to check (see [`validate_except`]).
    skip_top: &'v [&'v str],
}

/// Compiled patterns, shared by every validation in the process (a render checks
/// hundreds of custom resources, and oneOf/anyOf branches check each value again).
/// Shared behind an `Arc` rather than cloned: a `regex::Regex` clone shares the
/// compiled program but starts an empty match cache, which its first match must build.
fn compiled(pattern: &str) -> Result<Arc<Regex>, String> {
    static CACHE: crate::memo::Memo<String, Result<Arc<Regex>, String>> = crate::memo::Memo::new(1024);
    CACHE.get_or(pattern.to_string(), || {
        Regex::new(pattern).map(Arc::new).map_err(|e| e.to_string())
    })
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

/// `steps` as a dotted path (`spec.routes[0].name`) under `prefix`.
pub(crate) fn dotted(prefix: &str, steps: &[Step<'_>]) -> String {
    let mut out = prefix.to_string();
    for step in steps {
        match step {
            Step::Key(k) if out.is_empty() => out.push_str(k),
            Step::Key(k) => {
                out.push('.');
                out.push_str(k);
            }
            Step::Index(i) => {
                out.push('[');
                out.push_str(&i.to_string());
                out.push(']');
            }
        }
    }
    out
}

impl<'v> Validator<'v> {
    fn report(&mut self, message: String) {
        self.found.push(Violation {
            path: dotted("", &self.path),
            message,
        });
    }

    /// Reports at a child of the current path (a missing required field, a duplicate).
    fn report_at(&mut self, step: Step<'v>, message: String) {
        self.path.push(step);
        self.report(message);
        self.path.pop();
    }

    /// A validator for a oneOf/anyOf/allOf/not branch, at the same path.
    fn branch(&self) -> Validator<'v> {
        Validator {
            found: Vec::new(),
            path: self.path.clone(),
            skip_top: &[],
        }
    }

    /// `structural` is false inside oneOf/anyOf/allOf/not: those branches only
    /// constrain values, they declare no fields, so they prune nothing.
    fn node(&mut self, value: &'v Json, schema: &'v Json, structural: bool) {
        let Some(s) = schema.as_object() else { return };
        if !self.type_matches(value, s) {
            return; // further checks would only repeat the type error
        }
        if let Some(allowed) = s.get("enum").and_then(Json::as_array) {
            if !allowed.contains(value) {
                let list: Vec<String> = allowed.iter().map(Json::to_string).collect();
                self.report(format!("{value} is not one of {}", list.join(", ")));
            }
        }
        match value {
            Json::String(text) => self.string(text, s),
            Json::Number(n) => self.number(n, s),
            Json::Array(items) => self.array(items, s, structural),
            Json::Object(fields) => self.object(fields, s, structural),
            Json::Bool(_) | Json::Null => {}
        }
        self.junctors(value, s);
    }

    fn type_matches(&mut self, value: &Json, s: &Map<String, Json>) -> bool {
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
            self.report(format!("expected {expected}, found {} {value}", type_name(value)));
        }
        ok
    }

    fn string(&mut self, text: &str, s: &Map<String, Json>) {
        // The server counts characters (runes), not bytes.
        let n = text.chars().count() as u64;
        if let Some(min) = s.get("minLength").and_then(Json::as_u64) {
            if n < min {
                self.report(format!("{text:?} is shorter than {min} characters"));
            }
        }
        if let Some(max) = s.get("maxLength").and_then(Json::as_u64) {
            if n > max {
                self.report(format!("{n} characters, longer than the maximum of {max}"));
            }
        }
        if let Some(pattern) = s.get("pattern").and_then(Json::as_str) {
            match compiled(pattern) {
                Ok(re) if re.is_match(text) => {}
                Ok(_) => self.report(format!("{text:?} does not match the pattern {pattern}")),
                Err(e) => self.report(format!("the schema's pattern {pattern} does not compile: {e}")),
            }
        }
        if s.get("format").and_then(Json::as_str) == Some("date-time")
            && !compiled(RFC3339).is_ok_and(|re| re.is_match(text))
        {
            self.report(format!("{text:?} is not an RFC 3339 date-time"));
        }
    }

    fn number(&mut self, n: &serde_json::Number, s: &Map<String, Json>) {
        let x = n.as_f64().unwrap_or(f64::NAN);
        if let Some(min) = s.get("minimum").and_then(Json::as_f64) {
            if x < min {
                self.report(format!("{n} is less than the minimum of {min}"));
            }
        }
        if let Some(max) = s.get("maximum").and_then(Json::as_f64) {
            if x > max {
                self.report(format!("{n} is greater than the maximum of {max}"));
            }
        }
        let fits = match s.get("format").and_then(Json::as_str) {
            Some("int32") => n.as_i64().is_some_and(|i| i32::try_from(i).is_ok()),
            Some("int64") => n.as_i64().is_some(),
            _ => true,
        };
        if !fits {
            let format = s.get("format").and_then(Json::as_str).unwrap_or_default();
            self.report(format!("{n} is out of the {format} range"));
        }
    }

    fn array(&mut self, items: &'v [Json], s: &'v Map<String, Json>, structural: bool) {
        let n = items.len() as u64;
        if let Some(min) = s.get("minItems").and_then(Json::as_u64) {
            if n < min {
                self.report(format!("{n} items, fewer than the minimum of {min}"));
            }
        }
        if let Some(max) = s.get("maxItems").and_then(Json::as_u64) {
            if n > max {
                self.report(format!("{n} items, more than the maximum of {max}"));
            }
        }
        self.unique_items(items, s);
        if let Some(item_schema) = s.get("items") {
            for (i, item) in items.iter().enumerate() {
                self.path.push(Step::Index(i));
                self.node(item, item_schema, structural);
                self.path.pop();
            }
        }
    }

    /// `x-kubernetes-list-type: map` lists are keyed by their map keys, `set` lists
    /// by the whole item; a duplicate is rejected by the server. Keys are compared by
    /// their JSON text in a hash set, so a long list costs linear time.
    fn unique_items(&mut self, items: &[Json], s: &Map<String, Json>) {
        let map_keys = match (
            s.get("x-kubernetes-list-type").and_then(Json::as_str),
            s.get("x-kubernetes-list-map-keys"),
        ) {
            (Some("map"), Some(Json::Array(keys))) => Some(keys),
            (Some("map" | "set"), _) => None,
            _ => return,
        };
        let key_of = |item: &Json| -> String {
            match map_keys {
                Some(keys) => Json::Array(
                    keys.iter()
                        .map(|k| k.as_str().and_then(|k| item.get(k)).cloned().unwrap_or(Json::Null))
                        .collect(),
                )
                .to_string(),
                None => item.to_string(),
            }
        };
        let mut seen = HashSet::with_capacity(items.len());
        for (i, item) in items.iter().enumerate() {
            let key = key_of(item);
            if seen.contains(&key) {
                self.report_at(Step::Index(i), format!("duplicate entry {key} in a keyed list"));
            } else {
                seen.insert(key);
            }
        }
    }

    fn object(&mut self, fields: &'v Map<String, Json>, s: &'v Map<String, Json>, structural: bool) {
        let top = self.path.is_empty();
        let skipped = |k: &str| top && self.skip_top.contains(&k);
        // An explicit null is pruned by the server, so it counts as absent.
        let present = |k: &str| fields.get(k).is_some_and(|v| !v.is_null());
        let props = s.get("properties").and_then(Json::as_object);
        let keep_unknown = flag(s, "x-kubernetes-preserve-unknown-fields") || !structural;
        for (key, value) in fields {
            if value.is_null() || skipped(key) {
                continue;
            }
            self.path.push(Step::Key(key));
            match (props.and_then(|p| p.get(key)), s.get("additionalProperties")) {
                (Some(prop), _) => self.node(value, prop, structural),
                (None, Some(extra @ Json::Object(_))) => self.node(value, extra, structural),
                (None, Some(Json::Bool(true))) => {}
                _ if keep_unknown => {}
                _ => self.report(
                    "unknown field: the CRD schema has no such field, the API server would drop it (check the spelling and nesting)"
                        .into(),
                ),
            }
            self.path.pop();
        }
        // After the fields: a misspelt required field (`nam` for `name`) is first reported
        // as the unknown field it is, then as the field it leaves missing.
        if let Some(required) = s.get("required").and_then(Json::as_array) {
            for name in required.iter().filter_map(Json::as_str) {
                if !present(name) && !skipped(name) {
                    self.report_at(Step::Key(name), "required field is missing".into());
                }
            }
        }
    }

    fn junctors(&mut self, value: &'v Json, s: &'v Map<String, Json>) {
        let passes = |this: &Self, schema: &'v Json| -> bool {
            let mut v = this.branch();
            v.node(value, schema, false);
            v.found.is_empty()
        };
        for (key, rule) in [("oneOf", "exactly one"), ("anyOf", "at least one")] {
            let Some(alternatives) = s.get(key).and_then(Json::as_array) else {
                continue;
            };
            let matching = alternatives.iter().filter(|a| passes(self, a)).count();
            let ok = if key == "oneOf" { matching == 1 } else { matching >= 1 };
            if !ok {
                let shown: Vec<String> = alternatives.iter().map(describe).collect();
                self.report(format!(
                    "{key}: {rule} of [{}] must hold, {matching} do",
                    shown.join("; ")
                ));
            }
        }
        if let Some(all) = s.get("allOf").and_then(Json::as_array) {
            for schema in all {
                let mut v = self.branch();
                v.node(value, schema, false);
                self.found.extend(v.found);
            }
        }
        if let Some(not) = s.get("not") {
            if passes(self, not) {
                self.report(format!("must not match {}", describe(not)));
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
