//! The reader of template output: a line-based reader of the block YAML that
//! meshgen's templates write, tried before serde-saphyr (see [`super::parse_stream`]).
//!
//! It is kept because it saves at least 20% of the whole-process time of a release
//! `cargo xtask render --check` against serde-saphyr alone. Measured on 2026-12-07 on
//! the 2-core development machine (AMD EPYC, Linux 6.18, shared with other builds),
//! wall time, 201 interleaved runs of each binary: serde-saphyr alone median 30.8 ms
//! (min 20.8 ms), with this reader 23.4 ms (min 17.3 ms), a saving of 24%. Twelve
//! other rounds (41 to 201 runs, pinned to one core or not) gave 21% to 24%, but for
//! one at 18% under heavy load: close to the bar, so measure again before making it
//! slower.
//!
//! Template output is regular (2-space block collections, one-line scalars, `tojson`
//! flow objects, `|` blocks), so a reader of that subset, line by line, does in a
//! fraction of the time what serde-saphyr's parser and deserializer do.
//!
//! It is never a second YAML dialect. It returns `None`, and the caller hands the text
//! to serde-saphyr, on anything outside the subset or where YAML readers could differ:
//! tabs, carriage returns, anchors, aliases, tags, directives, complex keys, folded or
//! indented block scalars, multi-line plain or quoted scalars, flow collections over
//! several lines, duplicate keys, and plain scalars whose meaning is not fixed (see
//! [`plain_scalar`]). `tests` and the render tests compare it with serde-saphyr.

use serde_json::{Map, Number, Value};

/// The documents of `text`, null documents dropped, or `None` where serde-saphyr must decide.
pub(crate) fn parse_stream(text: &str) -> Option<Vec<Value>> {
    if has_tab_cr_or_directive(text) {
        return None;
    }
    let mut docs = Vec::new();
    let mut raw: Vec<&str> = Vec::new();
    for line in text.split('\n') {
        if line.starts_with("---") || line.starts_with("...") {
            if line != "---" {
                return None;
            }
            push_document(&mut docs, &raw)?;
            raw.clear();
        } else {
            raw.push(line);
        }
    }
    push_document(&mut docs, &raw)?;
    Some(docs)
}

/// `%` may appear inside scalars; only a directive line (`%` in the first column) counts.
fn has_tab_cr_or_directive(text: &str) -> bool {
    text.contains(['\t', '\r']) || text.starts_with('%') || text.contains("\n%")
}

fn push_document(docs: &mut Vec<Value>, raw: &[&str]) -> Option<()> {
    let mut lines = Lines {
        raw,
        pos: 0,
        virt: None,
    };
    let Some((indent, _)) = lines.peek() else {
        return Some(()); // an empty document reads as null, and nulls are dropped
    };
    let doc = node(&mut lines, indent)?;
    if lines.peek().is_some() {
        return None;
    }
    docs.push(doc);
    Some(())
}

/// The lines of one document and a cursor. After `- `, the rest of the line is a
/// virtual line of its own, indented to where that rest starts, as YAML reads it.
struct Lines<'a> {
    raw: &'a [&'a str],
    pos: usize,
    virt: Option<(usize, &'a str)>,
}

impl<'a> Lines<'a> {
    /// The current significant line as (indent, content); blank and comment lines are skipped.
    fn peek(&mut self) -> Option<(usize, &'a str)> {
        if self.virt.is_some() {
            return self.virt;
        }
        while let Some(line) = self.raw.get(self.pos) {
            let content = line.trim_start_matches(' ');
            if !(content.is_empty() || content.starts_with('#')) {
                return Some((line.len() - content.len(), content));
            }
            self.pos += 1;
        }
        None
    }

    /// Moves past the current line (the rest of a virtual line goes with it).
    fn advance(&mut self) {
        self.virt = None;
        self.pos += 1;
    }
}

/// The collection whose first line is the current one, at `indent`.
fn node(lines: &mut Lines<'_>, indent: usize) -> Option<Value> {
    let (_, content) = lines.peek()?;
    if is_item(content) {
        sequence(lines, indent)
    } else {
        mapping(lines, indent)
    }
}

fn is_item(content: &str) -> bool {
    content == "-" || content.starts_with("- ")
}

fn mapping(lines: &mut Lines<'_>, indent: usize) -> Option<Value> {
    let mut map = Map::new();
    while let Some((at, content)) = lines.peek() {
        if at < indent {
            break;
        }
        if at > indent || is_item(content) {
            return None;
        }
        let (k, rest) = split_key(content)?;
        lines.advance();
        let value = value_after_key(lines, indent, rest)?;
        // serde-saphyr refuses a duplicate key; let it say so.
        if map.insert(k, value).is_some() {
            return None;
        }
    }
    Some(Value::Object(map))
}

fn sequence(lines: &mut Lines<'_>, indent: usize) -> Option<Value> {
    let mut items = Vec::new();
    while let Some((at, content)) = lines.peek() {
        if at < indent || !is_item(content) {
            break;
        }
        if at > indent {
            return None;
        }
        let rest = content[1..].trim_start_matches(' ');
        let rest_indent = at + (content.len() - rest.len());
        let item = if rest.is_empty() || rest.starts_with('#') {
            lines.advance();
            nested_or_null(lines, indent)?
        } else if is_item(rest) || (!starts_inline(rest) && split_key(rest).is_some()) {
            lines.virt = Some((rest_indent, rest));
            node(lines, rest_indent)?
        } else {
            lines.advance();
            inline(lines, indent, rest)?
        };
        items.push(item);
    }
    Some(Value::Array(items))
}

/// What follows `key:` on its line (`rest`), in a mapping at `indent`.
fn value_after_key(lines: &mut Lines<'_>, indent: usize, rest: &str) -> Option<Value> {
    if !(rest.is_empty() || rest.starts_with('#')) {
        return inline(lines, indent, rest);
    }
    match lines.peek() {
        // A sequence may sit at its key's own indent.
        Some((at, content)) if at == indent && is_item(content) => sequence(lines, indent),
        _ => nested_or_null(lines, indent),
    }
}

/// The collection on the following lines, indented deeper than `indent`, or null.
fn nested_or_null(lines: &mut Lines<'_>, indent: usize) -> Option<Value> {
    match lines.peek() {
        Some((at, _)) if at > indent => node(lines, at),
        _ => Some(Value::Null),
    }
}

/// A value that starts and (but for a literal block) ends on the line just consumed,
/// as an entry of a collection at `indent`.
fn inline(lines: &mut Lines<'_>, indent: usize, rest: &str) -> Option<Value> {
    let value = match rest.as_bytes()[0] {
        b'|' => return literal_block(lines, indent, rest),
        b'[' | b'{' => {
            let (value, after) = flow(rest)?;
            end_of_line(after)?;
            value
        }
        b'"' | b'\'' => {
            let (text, after) = quoted(rest)?;
            end_of_line(after)?;
            Value::String(text)
        }
        _ => plain_block_scalar(rest)?,
    };
    // A deeper line after a scalar would continue it (or be an error): not ours to read.
    match lines.peek() {
        Some((at, _)) if at > indent => None,
        _ => Some(value),
    }
}

/// Whether `rest` opens a flow collection or a quoted scalar rather than a key.
fn starts_inline(rest: &str) -> bool {
    match rest.as_bytes()[0] {
        b'[' | b'{' | b'|' => true,
        b'"' | b'\'' => quoted(rest).is_some_and(|(_, after)| !after.starts_with(':')),
        _ => false,
    }
}

/// Only blanks or a comment may follow a value on its line.
fn end_of_line(after: &str) -> Option<()> {
    let trimmed = after.trim_start_matches(' ');
    (trimmed.is_empty() || (trimmed.starts_with('#') && trimmed.len() < after.len())).then_some(())
}

/// `key: rest` → the key and what follows the colon, or `None` if the line is no such entry.
fn split_key(content: &str) -> Option<(String, &str)> {
    let (k, after) = match content.as_bytes()[0] {
        b'"' | b'\'' => {
            let (text, after) = quoted(content)?;
            (text, after.strip_prefix(':')?)
        }
        first if is_indicator(first) => return None,
        _ => {
            let colon = find_value_colon(content)?;
            let text = &content[..colon];
            if text.ends_with(' ') || text.contains(" #") {
                return None;
            }
            (plain_key(text)?, &content[colon + 1..])
        }
    };
    if !(after.is_empty() || after.starts_with(' ')) {
        return None;
    }
    Some((k, after.trim_start_matches(' ')))
}

/// The first `:` followed by a blank or the end of the line.
fn find_value_colon(content: &str) -> Option<usize> {
    let bytes = content.as_bytes();
    (0..bytes.len()).find(|&i| bytes[i] == b':' && bytes.get(i + 1).is_none_or(|&b| b == b' '))
}

/// Characters that give a plain scalar's first position another meaning.
fn is_indicator(b: u8) -> bool {
    b"-?:,[]{}#&*!|>'\"%@`".contains(&b)
}

/// A plain scalar after `key: ` or `- `: up to a comment, on this line only.
fn plain_block_scalar(rest: &str) -> Option<Value> {
    let first = rest.as_bytes()[0];
    let second = rest.as_bytes().get(1).copied();
    // `-x` is a plain scalar (a flag); `- x` would be a sequence, `:x` and `?x` are left out.
    if is_indicator(first) && !(first == b'-' && second.is_some_and(|b| b != b' ')) {
        return None;
    }
    let text = match rest.find(" #") {
        Some(at) => &rest[..at],
        None => rest,
    }
    .trim_end_matches(' ');
    if text.contains(": ") || text.ends_with(':') {
        return None;
    }
    plain_scalar(text)
}

/// `|` or `|-` and the lines indented under it, in a collection at `indent`.
fn literal_block(lines: &mut Lines<'_>, indent: usize, header: &str) -> Option<Value> {
    let keep_last_newline = match header.trim_end_matches(' ') {
        "|" => true,
        "|-" => false,
        _ => return None,
    };
    // The first line sets the block's indent; a leading blank line would need more rules.
    let first = *lines.raw.get(lines.pos)?;
    let block_indent = first.len() - first.trim_start_matches(' ').len();
    if first.trim_start_matches(' ').is_empty() || block_indent <= indent {
        return None;
    }
    let mut text = String::new();
    let mut pending_blank = 0;
    while let Some(&line) = lines.raw.get(lines.pos) {
        let content = line.trim_start_matches(' ');
        if content.is_empty() {
            if line.len() > block_indent {
                return None; // blanks beyond the indent are content: not ours to judge
            }
            pending_blank += 1;
        } else if line.len() - content.len() < block_indent {
            break;
        } else {
            if !text.is_empty() {
                text.push('\n');
            }
            text.extend(std::iter::repeat_n('\n', pending_blank));
            pending_blank = 0;
            text.push_str(&line[block_indent..]);
        }
        lines.pos += 1;
    }
    if keep_last_newline && !text.is_empty() {
        text.push('\n');
    }
    Some(Value::String(text))
}

/// A single- or double-quoted scalar that closes on this line, and what follows it.
fn quoted(s: &str) -> Option<(String, &str)> {
    if let Some(body) = s.strip_prefix('\'') {
        let mut out = String::new();
        let mut rest = body;
        loop {
            let at = rest.find('\'')?;
            out.push_str(&rest[..at]);
            rest = &rest[at + 1..];
            match rest.strip_prefix('\'') {
                Some(after) => {
                    out.push('\'');
                    rest = after;
                }
                None => return Some((out, rest)),
            }
        }
    }
    let body = s.strip_prefix('"')?;
    let mut out = String::new();
    let mut chars = body.char_indices();
    while let Some((i, c)) = chars.next() {
        match c {
            '"' => return Some((out, &body[i + 1..])),
            '\\' => {
                let (_, e) = chars.next()?;
                out.push(match e {
                    '\\' => '\\',
                    '"' => '"',
                    '/' => '/',
                    'n' => '\n',
                    't' => '\t',
                    'r' => '\r',
                    'b' => '\u{8}',
                    'f' => '\u{c}',
                    'u' => {
                        let hex: String = (0..4).map(|_| chars.next().map(|(_, h)| h)).collect::<Option<_>>()?;
                        // A surrogate pair would need two escapes read as one: left to serde-saphyr.
                        char::from_u32(u32::from_str_radix(&hex, 16).ok()?)?
                    }
                    _ => return None,
                });
            }
            c => out.push(c),
        }
    }
    None
}

/// A flow collection or scalar that closes on this line, and what follows it.
fn flow(s: &str) -> Option<(Value, &str)> {
    let s = s.trim_start_matches(' ');
    match s.as_bytes().first()? {
        b'[' => {
            let mut items = Vec::new();
            let after = flow_entries(&s[1..], ']', |rest| {
                let (item, after) = flow(rest)?;
                items.push(item);
                Some(after)
            })?;
            Some((Value::Array(items), after))
        }
        b'{' => {
            let mut map = Map::new();
            let after = flow_entries(&s[1..], '}', |rest| {
                let (k, after) = flow_key(rest)?;
                let (value, after) = flow(after)?;
                // serde-saphyr refuses a duplicate key; let it say so.
                map.insert(k, value).is_none().then_some(after)
            })?;
            Some((Value::Object(map), after))
        }
        b'"' | b'\'' => {
            let (text, after) = quoted(s)?;
            (!after.trim_start_matches(' ').starts_with(':')).then_some((Value::String(text), after))
        }
        &first => {
            if is_indicator(first) && !(first == b'-' && s.as_bytes().get(1).is_some_and(u8::is_ascii_alphanumeric)) {
                return None;
            }
            let end = s.find([',', '[', ']', '{', '}', ':', '#']).unwrap_or(s.len());
            let text = s[..end].trim_end_matches(' ');
            if text.is_empty() || s[end..].starts_with([':', '#', '[', '{']) {
                return None;
            }
            Some((plain_scalar(text)?, &s[end..]))
        }
    }
}

/// The entries of a flow collection, `s` starting after its opening bracket and ending
/// at `close`: `entry` reads one entry and returns what follows it. Returns what
/// follows the closing bracket; an empty entry or a trailing comma is left to serde-saphyr.
fn flow_entries<'s>(s: &'s str, close: char, mut entry: impl FnMut(&'s str) -> Option<&'s str>) -> Option<&'s str> {
    let mut rest = s.trim_start_matches(' ');
    if let Some(after) = rest.strip_prefix(close) {
        return Some(after);
    }
    loop {
        let after = entry(rest)?.trim_start_matches(' ');
        if let Some(after) = after.strip_prefix(close) {
            return Some(after);
        }
        rest = after.strip_prefix(',')?.trim_start_matches(' ');
        if rest.starts_with(close) {
            return None;
        }
    }
}

/// A flow mapping's key and what follows its `:`: `"key":` (as JSON writes it) or `key: `.
fn flow_key(s: &str) -> Option<(String, &str)> {
    match s.as_bytes().first()? {
        b'"' | b'\'' => {
            let (text, after) = quoted(s)?;
            Some((text, after.trim_start_matches(' ').strip_prefix(':')?))
        }
        &first if is_indicator(first) => None,
        _ => {
            let colon = s.find(": ")?;
            let text = &s[..colon];
            if text.contains([',', '[', ']', '{', '}', '#']) || text.ends_with(' ') {
                return None;
            }
            Some((plain_key(text)?, &s[colon + 1..]))
        }
    }
}

/// A plain mapping key: text that reads as a string to every reader.
fn plain_key(text: &str) -> Option<String> {
    is_plain_string(text).then(|| text.to_owned())
}

/// A plain scalar, resolved here only when its meaning cannot differ between readers
/// (a word that is no boolean, null or float spelling, a decimal integer, `true`,
/// `false`, `null`, a simple decimal); anything else is left to serde-saphyr.
/// Quoted and block scalars are strings, whatever they spell, and never come here.
fn plain_scalar(text: &str) -> Option<Value> {
    match text {
        "" | "~" | "null" | "Null" | "NULL" => Some(Value::Null),
        "true" => Some(Value::Bool(true)),
        "false" => Some(Value::Bool(false)),
        t if is_decimal_integer(t) => integer(t),
        t if is_plain_string(t) => Some(Value::String(t.to_owned())),
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
mod tests {
    use super::parse_stream;

    /// Scalar spellings that readers may take differently.
    const SCALARS: &[&str] = &[
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

    fn saphyr(text: &str) -> Option<Vec<serde_json::Value>> {
        let docs: Vec<serde_json::Value> = serde_saphyr::from_multiple(text).ok()?;
        Some(docs.into_iter().filter(|d| !d.is_null()).collect())
    }

    /// Each text either reads as serde-saphyr reads it or is left to serde-saphyr;
    /// the ones marked `true` must be read here, so the subset covers what templates write.
    #[test]
    fn reads_as_serde_saphyr_does_or_steps_aside() {
        let cases: &[(&str, bool)] = &[
            ("a: 1\nb: x\n", true),
            ("a:\n  b:\n    c: d\n  e: f\ng: h\n", true),
            ("a:\n- x\n- w\nb: z\n", true),
            ("a:\n  - x\n  - w\n", true),
            ("- a: 1\n  b: 2\n- c: 3\n", true),
            ("- - a\n  - b\n- c\n", true),
            ("-   a: 1\n    b: 2\n", true),
            ("- a:\n  - x\n  b: w\n", true),
            ("-\n  a: 1\n- \n- # c\n  b: 2\n", true),
            ("a:\nb: ~\n", true),
            ("a: # comment\n  b: c # more\n# top\n", true),
            ("a: |\n  line 1\n\n  line 3\n\nb: 1\n", true),
            ("a: |-\n  x\n   y\nb: 1\n", true),
            ("- |\n  x\n- w\n", true),
            ("a: |\n  #not a comment\n  ---x\n", true),
            ("a: \"x\\\"y\\\\z\\n\\u003c/\"\n", true),
            ("a: 'it''s'\n", true),
            ("\"q\": 1\n'r': 2\n", true),
            ("a: {\"k\":\"v\",\"n\":{\"m\":[1,true,null]}}\n", true),
            ("a: [list, get, watch]\nb: [\"\"]\nc: {}\nd: []\n", true),
            ("a: {b: 1, c: x}\n", true),
            ("a: -c\nb: --x=1\nc: a#b\nd: 25%\n", true),
            ("a: 1\n---\nb: 2\n---\n# only a comment\n---\n", true),
            ("---\na: 1\n", true),
            ("a: b\n  c\n", false),
            ("a:\n  b\n", false),
            ("a: \"x\n  y\"\n", false),
            ("a: [1,\n  2]\n", false),
            ("a: &x 1\nb: *x\n", false),
            ("a: !!str 1\n", false),
            ("a: >\n  x\n", false),
            ("a: |2\n   x\n", false),
            ("a: |\n\n  x\n", false),
            ("a: |\n  x\n   \n  y\n", false),
            ("? a\n: b\n", false),
            ("a: 1\na: 2\n", false),
            ("a: {b: 1, b: 2}\n", false),
            ("a: [1, 2,]\n", false),
            ("a: [a: b]\n", false),
            ("%YAML 1.2\n---\na: 1\n", false),
            ("--- a: 1\n", false),
            ("a: 1\n...\n", false),
            ("a:\tb\n", false),
            ("a: 1\r\n", false),
            ("scalar\n", false),
            ("a: b: c\n", false),
            ("a: x:\n", false),
            ("- a\nb: c\n", false),
            ("a: 1\n - b\n", false),
            ("a:\n  - x\n  b: y\n", false),
            ("a: 0x1F\n", false),
            ("a: yes\n", false),
            ("a: \"\\x41\"\n", false),
            ("a: \"\\ud83d\\ude00\"\n", false),
            ("a: {\"k\": 1}x\n", false),
            ("<<: {a: 1}\n", false),
            ("a :b\n", false),
            ("a:b: 1\n", true),
            ("a: 'x' # c\nb: \"y\"   # d\n", true),
            ("a: 'x'y\n", false),
            ("a: [b, [c, {d: e}], \"f\"]\n", true),
            ("a: [-c, -x]\n", true),
            ("a: [- c]\n", false),
        ];
        for &(text, must_read) in cases {
            match parse_stream(text) {
                Some(got) => assert_eq!(Some(got), saphyr(text), "{text:?} reads otherwise"),
                None => assert!(!must_read, "{text:?} stepped aside"),
            }
        }
    }

    /// Each spelling of the table, as a value, an item, a key and a flow item, either
    /// resolves as serde-saphyr resolves it or is left to it.
    #[test]
    fn scalars_resolve_as_serde_saphyr_resolves_them() {
        let mut read = 0;
        for s in SCALARS {
            for text in [
                format!("key: {s}\n"),
                format!("- {s}\n"),
                format!("{s}: v\n"),
                format!("k: [{s}]\n"),
            ] {
                if let Some(got) = parse_stream(&text) {
                    read += 1;
                    assert_eq!(Some(got), saphyr(&text), "{text:?}");
                }
            }
        }
        assert!(read >= 100, "only {read} were read here");
    }
}
