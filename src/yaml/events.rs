//! A fast path for the YAML that meshgen's own templates render: the parser's events
//! are built into JSON values directly, without serde-saphyr's deserializer layer,
//! which took as long as the parser itself (its event queue, budgets, key
//! fingerprints and error context are there for hostile input, and template output
//! is ours).
//!
//! It is a fast path, never a second YAML dialect: a plain scalar is resolved here
//! only when its meaning cannot differ between readers (a word that is no boolean,
//! null or float spelling, a decimal integer, `true`, `false`, `null`), and
//! anything else (tags, anchors, aliases, floats, other spellings, duplicate keys,
//! a syntax error) makes [`parse_stream`] return `None`, so that the caller hands
//! the same text to serde-saphyr. The values are therefore serde-saphyr's by
//! construction; `tests` compares the two on every template of every configuration.

use std::borrow::Cow;

use granit_parser::{Event, Parser, ScalarStyle};
use serde_json::{Map, Number, Value};

/// The documents of `text`, null documents dropped, or `None` where serde-saphyr must decide.
pub(crate) fn parse_stream(text: &str) -> Option<Vec<Value>> {
    let mut events = Parser::new_from_str(text);
    let mut docs = Vec::new();
    loop {
        match next(&mut events)? {
            Event::StreamStart | Event::DocumentEnd => {}
            Event::StreamEnd => return Some(docs),
            // A `%YAML` directive could change how scalars resolve.
            Event::DocumentStart(_, None) => {
                let first = next(&mut events)?;
                let doc = node(&mut events, first)?;
                if !doc.is_null() {
                    docs.push(doc);
                }
            }
            _ => return None,
        }
    }
}

fn next<'a>(events: &mut Parser<'a, granit_parser::StrInput<'a>>) -> Option<Event<'a>> {
    match events.next_event()? {
        Ok((event, _span)) => Some(event),
        Err(_) => None,
    }
}

/// The value that starts with `first`.
fn node<'a>(events: &mut Parser<'a, granit_parser::StrInput<'a>>, first: Event<'a>) -> Option<Value> {
    match first {
        Event::Scalar(text, style, 0, None) => scalar(text, style),
        Event::SequenceStart(_, 0, None) => {
            let mut items = Vec::new();
            loop {
                match next(events)? {
                    Event::SequenceEnd => return Some(Value::Array(items)),
                    event => items.push(node(events, event)?),
                }
            }
        }
        Event::MappingStart(_, 0, None) => {
            let mut map = Map::new();
            loop {
                let key = match next(events)? {
                    Event::MappingEnd => return Some(Value::Object(map)),
                    Event::Scalar(text, style, 0, None) => key(text, style)?,
                    _ => return None,
                };
                let first = next(events)?;
                let value = node(events, first)?;
                // serde-saphyr refuses a duplicate key; let it say so.
                if map.insert(key, value).is_some() {
                    return None;
                }
            }
        }
        _ => None,
    }
}

/// A mapping key: quoted text, or plain text that reads as a string everywhere.
pub(super) fn key(text: Cow<'_, str>, style: ScalarStyle) -> Option<String> {
    match style {
        ScalarStyle::Plain if !is_plain_string(&text) => None,
        ScalarStyle::Plain | ScalarStyle::SingleQuoted | ScalarStyle::DoubleQuoted => Some(text.into_owned()),
        _ => None,
    }
}

pub(super) fn scalar(text: Cow<'_, str>, style: ScalarStyle) -> Option<Value> {
    if style != ScalarStyle::Plain {
        // Quoted and block scalars are strings, whatever they spell.
        return Some(Value::String(text.into_owned()));
    }
    match text.as_ref() {
        "" | "~" | "null" | "Null" | "NULL" => Some(Value::Null),
        "true" => Some(Value::Bool(true)),
        "false" => Some(Value::Bool(false)),
        t if is_decimal_integer(t) => integer(t),
        t if is_plain_string(t) => Some(Value::String(text.into_owned())),
        t => decimal(t),
    }
}

/// `0`, or an optional `-` and digits without a leading zero.
fn is_decimal_integer(t: &str) -> bool {
    let digits = t.strip_prefix('-').unwrap_or(t);
    !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit()) && (digits == "0" || !digits.starts_with('0'))
}

fn integer(t: &str) -> Option<Value> {
    if t.starts_with('-') {
        t.parse::<i64>().ok().map(|n| Value::Number(Number::from(n)))
    } else {
        t.parse::<u64>().ok().map(|n| Value::Number(Number::from(n)))
    }
}

/// Reads as a string to every YAML 1.1 or 1.2 reader, and to serde-saphyr (which
/// also tries Rust's float parser): a word that spells no boolean, null or number
/// (`abc`, but not `yes`, `Null` or `inf`), a flag (`-c`, `--log.level=info`, but
/// not `-inf`), a path (`/`), a name such as `_pod_name`, or text with a character
/// that no number spelling has (`25%`, `0.0.0.0/0`, `64Mi`). `$` is left out: serde-saphyr can interpolate it.
fn is_plain_string(t: &str) -> bool {
    const NOT_WORDS: &[&str] = &[
        "y", "n", "yes", "no", "on", "off", "true", "false", "null", "inf", "infinity", "nan",
    ];
    const NOT_FLAGS: &[&str] = &["inf", "infinity", "nan"];
    let is_in = |list: &[&str], w: &str| list.iter().any(|x| w.eq_ignore_ascii_case(x));
    // Letters in no number spelling: not hex digits, exponents or radix marks.
    let no_number_letter = |b: u8| b.is_ascii_alphabetic() && !b"abcdefABCDEFxXoObB".contains(&b);
    let number_byte = |b: u8| b.is_ascii_alphanumeric() || matches!(b, b'+' | b'-' | b'.' | b'_' | b':');
    match t.as_bytes() {
        _ if t.contains('$') => false,
        [b'a'..=b'z' | b'A'..=b'Z', ..] => !is_in(NOT_WORDS, t),
        [b'-', b'a'..=b'z' | b'A'..=b'Z' | b'-', ..] => !is_in(NOT_FLAGS, &t[1..]),
        [b'/' | b'_', ..] => true,
        // `.inf` and `-.nan` hold letters too, but never after a leading digit.
        [b'0'..=b'9', ..] if t.bytes().any(no_number_letter) => true,
        [b'0'..=b'9' | b'.' | b'+' | b'-', ..] => !t.bytes().all(number_byte),
        _ => false,
    }
}

/// `1.5`, `-0.25`: digits, a point, digits, as every reader takes for a float.
fn decimal(t: &str) -> Option<Value> {
    let (whole, fraction) = t.strip_prefix('-').unwrap_or(t).split_once('.')?;
    let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    let leading_zero = whole.len() > 1 && whole.starts_with('0');
    if !digits(whole) || !digits(fraction) || leading_zero {
        return None;
    }
    Number::from_f64(t.parse().ok()?).map(Value::Number)
}

#[cfg(test)]
pub(super) mod tests {
    use super::parse_stream;

    /// Scalar spellings that readers may take differently; the block reader's tests use them too.
    pub(in crate::yaml) const SCALARS: &[&str] = &[
        "a",
        "abc-def",
        "Yes",
        "yes",
        "NO",
        "on",
        "Off",
        "y",
        "N",
        "true",
        "True",
        "FALSE",
        "null",
        "Null",
        "~",
        "",
        "0",
        "-0",
        "007",
        "12",
        "-12",
        "+12",
        "0x1F",
        "0o17",
        "1e3",
        "1.5",
        ".inf",
        "-.Inf",
        ".nan",
        "nan",
        "NaN",
        "inf",
        "Infinity",
        "18446744073709551616",
        "-9223372036854775809",
        "${HOME}",
        "<<",
        "2026-12-03",
        "1_000",
        "a: b",
        "'q'",
        "\"q\"",
        "!!str 5",
        "&a x",
        "[1, 2]",
        "{a: 1}",
        "|\n  text\n",
        "-log-level=info",
        "-c",
        "--config=/etc/x.yaml",
        "-inf",
        "-Infinity",
        "-nan",
        "-.inf",
        "25%",
        "0.0.0.0/0",
        "/",
        "/a/b",
        "0.2",
        "-0.5",
        "1.50",
        "10.0",
        "00.5",
        "1.",
        ".5",
        "1:20",
        "-1:20",
        "1e5",
        "1.5e3",
        "a$b",
        "1$",
        "0b101",
        "x: y",
        "a #b",
        "1 2",
        "12 %",
        "+.5",
        "1,2",
        "64Mi",
        "100m",
        "1Gi",
        "0x1g",
        "1e5x",
        "_x",
        "1o7",
        "0O17",
        "1inf",
        "1nan",
        "+.inf",
        ".Inf",
        "-.NaN",
    ];

    /// Every spelling here either resolves as serde-saphyr resolves it, or is left to it.
    #[test]
    fn the_fast_path_agrees_with_serde_saphyr_or_steps_aside() {
        let mut fast = 0;
        for s in SCALARS {
            for text in [format!("key: {s}\n"), format!("- {s}\n"), format!("{s}: v\n")] {
                let slow: Result<Vec<serde_json::Value>, _> = serde_saphyr::from_multiple(&text);
                let slow = slow.map(|docs| docs.into_iter().filter(|d| !d.is_null()).collect::<Vec<_>>());
                if let Some(got) = parse_stream(&text) {
                    fast += 1;
                    assert_eq!(Ok(&got), slow.as_ref().map_err(|_| ()), "{text:?}");
                }
            }
        }
        // Enough of the table goes the fast way for the comparison to mean something.
        assert!(fast >= 30, "only {fast} went the fast way");
    }

    #[test]
    fn duplicate_keys_aliases_tags_and_directives_are_left_to_serde_saphyr() {
        for text in [
            "a: 1\na: 2\n",
            "a: &x 1\nb: *x\n",
            "a: !!int 1\n",
            "%YAML 1.1\n---\na: yes\n",
            "a: [1,\n",
            "? [a]\n: b\n",
        ] {
            assert_eq!(parse_stream(text), None, "{text:?}");
        }
        assert_eq!(parse_stream("a: 1\n---\n---\nb: x\n").map(|d| d.len()), Some(2));
    }
}
