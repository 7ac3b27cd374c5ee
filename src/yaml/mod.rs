//! Canonical YAML: the one way meshgen writes a Kubernetes object.
//!
//! The emitter is hand-written rather than delegated to a serializer so that the
//! bytes are fully specified here: 2-space indentation, sequences indented under
//! their key, keys in the order the template wrote them, and a quoting rule that
//! is safe for both YAML 1.1 readers (kubectl, PyYAML) and YAML 1.2 readers.
//! A string is written plain only when no reader could take it for anything but
//! that string; everything else is double-quoted or, if it spans lines, written
//! as a literal block.

use serde_json::{Map, Value};

pub(crate) mod block;

/// Parses one YAML document into a JSON value, keeping key order.
/// Duplicate keys are an error (serde-saphyr's default policy).
pub(crate) fn parse(text: &str) -> Result<Value, String> {
    serde_saphyr::from_str::<Value>(text).map_err(|e| describe(&e, None).message)
}

/// Why a named YAML document could not be read, and what to do about it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct SyntaxError {
    /// What is wrong and where, with an excerpt of the lines concerned.
    pub message: String,
    /// What to do about it.
    pub help: String,
}

/// [`parse`], for a document that error messages call `name` (a values file, say):
/// the excerpt under the message is headed by that name rather than the parser's
/// `<input>`, so the reader knows which file the line numbers are in.
pub(crate) fn parse_named(text: &str, name: &str) -> Result<Value, SyntaxError> {
    serde_saphyr::from_str::<Value>(text).map_err(|e| describe(&e, Some(name)))
}

/// Peels the wrappers (source excerpt, alias) off a parser error.
fn original(mut err: &serde_saphyr::Error) -> &serde_saphyr::Error {
    while let serde_saphyr::Error::AliasError { error, .. } | serde_saphyr::Error::WithSnippet { error, .. } = err {
        err = error;
    }
    err
}

/// The parser's own words, except where they speak to a programmer (which option to
/// set) rather than to the author of the YAML.
struct Plain<'a> {
    name: &'a str,
}

impl serde_saphyr::MessageFormatter for Plain<'_> {
    fn format_message<'a>(&self, err: &'a serde_saphyr::Error) -> std::borrow::Cow<'a, str> {
        match err {
            serde_saphyr::Error::DuplicateMappingKey { key: Some(key), .. } => {
                format!("`{key}` is set twice in {}", self.name).into()
            }
            serde_saphyr::Error::DuplicateMappingKey { key: None, .. } => {
                format!("a key is set twice in {}", self.name).into()
            }
            other => serde_saphyr::UserMessageFormatter.format_message(other),
        }
    }
}

/// A breached parser budget, in the words of someone who wrote a values file.
fn budget_message(name: &str, breach: &serde_saphyr::budget::BudgetBreach) -> String {
    use serde_saphyr::budget::BudgetBreach as B;
    let limit = match breach {
        B::Nodes { nodes } => format!(" (more than {} nodes once its aliases are expanded)", nodes - 1),
        B::Events { events } => format!(" (more than {} parser events)", events - 1),
        B::Aliases { aliases } => format!(" (more than {} aliases)", aliases - 1),
        B::Anchors { anchors } => format!(" (more than {} anchors)", anchors - 1),
        B::Depth { depth } => format!(" (more than {} levels of nesting)", depth - 1),
        _ => String::new(),
    };
    format!("{name} is too large or too deeply aliased{limit}")
}

/// Renders a parser error for a person: the plain message with its line and column
/// and, when the text is named, an excerpt headed by that name. A budget breach is
/// about the whole document, so it gets neither.
fn describe(err: &serde_saphyr::Error, name: Option<&str>) -> SyntaxError {
    let shown = name.unwrap_or("the document");
    match original(err) {
        serde_saphyr::Error::Budget { breach, .. } => SyntaxError {
            message: budget_message(shown, breach),
            help: format!(
                "values files are small and need no deep chains of anchors and aliases; write the values out in {shown}"
            ),
        },
        inner => {
            let formatter = Plain { name: shown };
            let mut options = serde_saphyr::RenderOptions::new(&formatter);
            options.source_name = name;
            options.snippets = match name {
                Some(_) => serde_saphyr::SnippetMode::Auto,
                None => serde_saphyr::SnippetMode::Off,
            };
            let help = match inner {
                serde_saphyr::Error::DuplicateMappingKey { .. } => {
                    format!("keep one of the two in {shown}: a later overlay, not a repeated key, is how to override a value")
                }
                _ => format!("fix the YAML syntax of {shown} at the place shown"),
            };
            SyntaxError {
                message: err.render_with_options(options),
                help,
            }
        }
    }
}

/// Parses a stream of YAML documents (separated by `---`); empty documents are dropped.
/// Template output is read by the block reader (`src/yaml/block.rs`) where it can prove
/// it reads as serde-saphyr does; serde-saphyr reads the rest, and describes every error.
pub(crate) fn parse_stream(text: &str) -> Result<Vec<Value>, String> {
    if let Some(docs) = block::parse_stream(text) {
        return Ok(docs);
    }
    let docs: Vec<Value> = serde_saphyr::from_multiple(text).map_err(|e| describe(&e, None).message)?;
    Ok(docs.into_iter().filter(|d| !d.is_null()).collect())
}

/// Writes `value` as canonical block YAML, ending with a newline.
pub(crate) fn to_canonical(value: &Value) -> String {
    let mut out = String::new();
    match value {
        Value::Object(map) if !map.is_empty() => write_map(&mut out, map, 0),
        Value::Array(items) if !items.is_empty() => write_seq(&mut out, items, 0),
        scalar => {
            write_inline_or_block(&mut out, scalar, 0);
            out.push('\n');
        }
    }
    out
}

fn indent(out: &mut String, n: usize) {
    out.extend(std::iter::repeat_n(' ', n));
}

fn write_map(out: &mut String, map: &Map<String, Value>, level: usize) {
    for (key, value) in map {
        indent(out, level);
        write_scalar_string(out, key);
        out.push(':');
        write_child(out, value, level);
    }
}

fn write_seq(out: &mut String, items: &[Value], level: usize) {
    for item in items {
        indent(out, level);
        out.push('-');
        match item {
            Value::Object(map) if !map.is_empty() => {
                // The first key shares the line with the dash; the rest align under it.
                let mut nested = String::new();
                write_map(&mut nested, map, level + 2);
                out.push(' ');
                out.push_str(&nested[level + 2..]);
            }
            Value::Array(inner) if !inner.is_empty() => {
                let mut nested = String::new();
                write_seq(&mut nested, inner, level + 2);
                out.push(' ');
                out.push_str(&nested[level + 2..]);
            }
            scalar => {
                out.push(' ');
                write_inline_or_block(out, scalar, level + 2);
                out.push('\n');
            }
        }
    }
}

/// Writes what follows `key:`: a nested block on the next lines, or a scalar on this line.
fn write_child(out: &mut String, value: &Value, level: usize) {
    match value {
        Value::Object(map) if !map.is_empty() => {
            out.push('\n');
            write_map(out, map, level + 2);
        }
        Value::Array(items) if !items.is_empty() => {
            out.push('\n');
            write_seq(out, items, level + 2);
        }
        scalar => {
            out.push(' ');
            write_inline_or_block(out, scalar, level + 2);
            out.push('\n');
        }
    }
}

/// Writes a scalar (or an empty collection) inline; a multi-line string becomes a
/// literal block whose content is indented to `content_level`.
fn write_inline_or_block(out: &mut String, value: &Value, content_level: usize) {
    match value {
        Value::Null => out.push_str("null"),
        Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Value::Number(n) => out.push_str(&n.to_string()),
        Value::String(s) if literal_block_ok(s) => write_literal_block(out, s, content_level),
        Value::String(s) => write_scalar_string(out, s),
        Value::Array(_) => out.push_str("[]"),
        Value::Object(_) => out.push_str("{}"),
    }
}

fn write_scalar_string(out: &mut String, s: &str) {
    if plain_ok(s) {
        out.push_str(s);
    } else {
        write_double_quoted(out, s);
    }
}

/// Words that some YAML reader resolves to a bool, a null or a special key.
/// Compared case-insensitively, which also covers YAML 1.1's `Yes`/`ON` spellings.
const RESERVED_WORDS: &[&str] = &[
    "y", "n", "yes", "no", "true", "false", "on", "off", "null", "~", "=", "<<",
];

/// True when `s` can be written without quotes and every YAML 1.1 or 1.2 reader
/// reads it back as exactly this string. Deliberately conservative: anything that
/// starts like a number, a timestamp or an indicator is quoted.
pub(crate) fn plain_ok(s: &str) -> bool {
    let Some(first) = s.chars().next() else {
        return false;
    };
    if !(first.is_ascii_alphabetic() || first == '/' || first == '_') {
        return false;
    }
    if RESERVED_WORDS.iter().any(|w| w.eq_ignore_ascii_case(s)) {
        return false;
    }
    let allowed = |c: char| c.is_ascii_alphanumeric() || "-._/:=@+()$ ".contains(c);
    s.chars().all(allowed) && !s.ends_with([' ', ':']) && !s.contains(": ") && !s.contains(" #")
}

/// Characters that YAML treats as line breaks or that a reader may strip or reject.
fn needs_escape(c: char) -> bool {
    c.is_control() || matches!(c, '\u{2028}' | '\u{2029}' | '\u{feff}')
}

fn write_double_quoted(out: &mut String, s: &str) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            '\r' => out.push_str("\\r"),
            c if needs_escape(c) => out.push_str(&format!("\\u{:04X}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
}

/// A literal block keeps a multi-line string readable (scripts, embedded configs).
/// It is used only where it round-trips exactly; otherwise the string is quoted.
fn literal_block_ok(s: &str) -> bool {
    let Some(first_line) = s.lines().next() else {
        return false;
    };
    s.contains('\n')
        && !first_line.is_empty()
        && !first_line.starts_with(' ')
        && !s.chars().any(|c| c != '\n' && c != '\t' && needs_escape(c))
        && s.split('\n').all(|l| !l.trim().is_empty() || l.is_empty())
}

fn write_literal_block(out: &mut String, s: &str, content_level: usize) {
    // Chomping indicator: `|` keeps one final newline, `|-` none, `|+` all of them.
    let body = s.trim_end_matches('\n');
    let trailing = s.len() - body.len();
    out.push_str(match trailing {
        0 => "|-",
        1 => "|",
        _ => "|+",
    });
    for line in body.split('\n') {
        out.push('\n');
        if !line.is_empty() {
            indent(out, content_level);
            out.push_str(line);
        }
    }
    // `|+` keeps the extra newlines as empty lines after the content.
    for _ in 1..trailing {
        out.push('\n');
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn round_trip(v: &Value) -> Value {
        parse(&to_canonical(v)).expect("canonical YAML parses")
    }

    #[test]
    fn yaml_11_lookalikes_are_quoted() {
        for s in [
            "on",
            "Off",
            "YES",
            "n",
            "y",
            "null",
            "~",
            "1e3",
            "10:30",
            "0x1F",
            "012",
            ".inf",
            "-",
            "2001-12-14",
            "=",
            "<<",
        ] {
            let text = to_canonical(&json!({ "k": s }));
            assert_eq!(text, format!("k: \"{s}\"\n"), "{s} must be quoted");
        }
    }

    #[test]
    fn ordinary_strings_stay_plain() {
        let text = to_canonical(&json!({"image": "docker.io/dgraph/dgraph:v25.4.0", "path": "/health"}));
        assert_eq!(text, "image: docker.io/dgraph/dgraph:v25.4.0\npath: /health\n");
    }

    #[test]
    fn nested_structures_use_two_space_indentation() {
        let v = json!({"a": {"b": [1, {"c": "d", "e": []}, [2, 3]]}, "f": {}});
        let text = to_canonical(&v);
        assert_eq!(
            text,
            "a:\n  b:\n    - 1\n    - c: d\n      e: []\n    - - 2\n      - 3\nf: {}\n"
        );
        assert_eq!(round_trip(&v), v);
    }

    #[test]
    fn multi_line_strings_round_trip() {
        for s in [
            "a\nb\n",
            "a\nb",
            "a\n\nb\n\n\n",
            " lead\nx",
            "x\n  \ny",
            "a\r\nb",
            "\nx",
            "tab\tx\ny\n",
        ] {
            let v = json!({ "list": [s], "key": s });
            assert_eq!(round_trip(&v), v, "{s:?}");
        }
    }

    /// Empty documents are dropped whichever reader reads the stream: the block reader
    /// (the first text) or serde-saphyr (an anchor sends the second to it).
    #[test]
    fn empty_documents_are_dropped() {
        assert_eq!(
            parse_stream("a: 1\n---\n---\n# only a comment\n---\nb: x\n"),
            Ok(vec![json!({"a": 1}), json!({"b": "x"})])
        );
        assert_eq!(block::parse_stream("a: &x 1\n---\n---\nb: x\n"), None);
        assert_eq!(
            parse_stream("a: &x 1\n---\n---\nb: x\n"),
            Ok(vec![json!({"a": 1}), json!({"b": "x"})])
        );
    }

    #[test]
    fn line_separators_are_escaped() {
        let v = json!({ "k": "a\u{2028}b\u{85}c\u{feff}" });
        let text = to_canonical(&v);
        assert!(text.is_ascii(), "{text}");
        assert_eq!(round_trip(&v), v);
    }
}
