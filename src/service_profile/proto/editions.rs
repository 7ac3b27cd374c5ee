//! Protobuf editions files (`edition = "2023";` or `"2024";`), read for their routes.
//!
//! Hand-written because protox-parse 0.10 (its latest release), meshgen's syntax-only
//! parser, knows proto2 and proto3 only: an `edition` statement is a syntax error there
//! (editions support is its open issue #31). Another parser would change how every proto2
//! and proto3 file is read, which the cases in tests/inputs/proto/ pin. Upstream's parser,
//! `github.com/emicklei/proto`, takes `edition = "…";` as one more statement, which the
//! walk of `pkg/profiles/proto.go` over `package` and `rpc` skips, so an editions file
//! gives the routes of its proto3 twin; protoc reads editions since v27 (2024 since v32).
//!
//! So the file is handed to protox-parse as proto3: `syntax = "proto3";` comes first
//! ([`PROLOGUE`], whose length every place reported by the parser loses again), and the
//! syntax that editions add to proto3 is blanked with spaces, newlines kept, so every
//! other byte keeps its offset:
//! - the `edition` statement itself, once its value is checked (2023 or 2024);
//! - reserved names written as identifiers (`reserved foo, bar;`), as editions write
//!   them, after checking the list;
//! - from edition 2024, `import option` (an import for options only: `option`) and the
//!   symbol visibility words `export` and `local` before `message` and `enum`.
//!
//! Explicit default values (`[default = 5]`) are the one place proto3 and editions differ
//! in what protox-parse checks after parsing: if its only complaints are "default values
//! are not allowed in proto3", the file is read again with each such option renamed in
//! place (same length), so its other checks of defaults (none on a repeated field, the
//! value fits the type) still apply. The rest of an editions file (fields without labels,
//! `repeated`, `features.*` options anywhere, `extensions`, services, rpcs and their
//! options) is proto3 syntax already.
//!
//! What protoc rejects in editions and a proto3 parse would let through is rejected
//! here, each with its place: the labels `optional` and `required`, reserved names
//! written as strings, `export`/`local`/`import option` before edition 2024 and
//! `import weak` from it. Groups are rejected by the proto3 parse; the message is reworded.

use std::ops::Range;

use miette::Diagnostic;
use prost_types::FileDescriptorProto;
use protox_parse::ParseError;

/// What protox-parse reads before the file.
const PROLOGUE: &str = "syntax = \"proto3\";";

/// The editions read, as protoc 32 reads them.
const EDITIONS: [&str; 2] = ["2023", "2024"];

/// protox-parse's message for an explicit default in proto3, which editions allow.
const PROTO3_DEFAULT: &str = "default values are not allowed in proto3";

/// An error at a byte offset of the file.
#[derive(Debug, PartialEq, Eq)]
pub(super) struct Located {
    pub(super) offset: usize,
    pub(super) message: String,
}

/// `None` for a file that does not start with an `edition` statement (comments may come
/// first); otherwise its descriptor, read as said above, or its first error.
pub(super) fn parse(file: &str, source: &str) -> Option<Result<FileDescriptorProto, Located>> {
    let tokens = tokens(source);
    match tokens.first() {
        Some(first) if first.text == "edition" => Some(parse_editions(file, source, &tokens)),
        _ => None,
    }
}

fn parse_editions(file: &str, source: &str, tokens: &[Token<'_>]) -> Result<FileDescriptorProto, Located> {
    let (edition, statement) = edition_statement(source, tokens)?;
    let mut scan = Scan {
        source,
        tokens,
        edition,
        blanks: Vec::new(),
    };
    scan.blank(0, statement);
    let problem = scan.run(statement + 1).err();

    let mut text = Vec::with_capacity(PROLOGUE.len() + source.len());
    text.extend_from_slice(PROLOGUE.as_bytes());
    text.extend_from_slice(source.as_bytes());
    for range in &scan.blanks {
        for byte in &mut text[PROLOGUE.len() + range.start..PROLOGUE.len() + range.end] {
            if !matches!(byte, b'\n' | b'\r') {
                *byte = b' ';
            }
        }
    }

    let parsed = parse_shadow(file, text, source.len());
    match (parsed, problem) {
        (Err(error), Some(problem)) if error.offset < problem.offset => Err(error),
        (_, Some(problem)) => Err(problem),
        (parsed, None) => parsed,
    }
}

/// protox-parse on the proto3 text (the prologue, then the file with blanks), its errors
/// placed in the file.
fn parse_shadow(file: &str, mut text: Vec<u8>, source_len: usize) -> Result<FileDescriptorProto, Located> {
    for _ in 0..2 {
        // Only ASCII spaces and ASCII names replaced whole characters or names.
        let shadow = String::from_utf8(text.clone()).map_err(|_| Located {
            offset: 0,
            message: "the file could not be read as editions".into(),
        })?;
        let err = match protox_parse::parse(file, &shadow) {
            Ok(descriptor) => return Ok(descriptor),
            Err(err) => err,
        };
        let errors = diagnostics(&err, shadow.len());
        let defaults: Vec<usize> = errors
            .iter()
            .filter(|(_, message)| message == PROTO3_DEFAULT)
            .map(|(offset, _)| *offset)
            .collect();
        let renamable = defaults.iter().all(|&at| shadow.get(at..at + 7) == Some("default"));
        if defaults.len() < errors.len() || !renamable {
            let first = errors
                .iter()
                .find(|(_, message)| message != PROTO3_DEFAULT)
                .or(errors.first());
            let (offset, message) = first.cloned().unwrap_or((shadow.len(), err.to_string()));
            return Err(Located {
                offset: offset.saturating_sub(PROLOGUE.len()).min(source_len),
                message: reworded(message),
            });
        }
        // `default` as `DEFAULT`: an option protox-parse keeps without checking it.
        for at in defaults {
            text[at..at + 7].copy_from_slice(b"DEFAULT");
        }
    }
    Err(Located {
        offset: 0,
        message: "the file could not be read as editions".into(),
    })
}

/// Each error of protox-parse's answer, first the one it puts first: its place (that of
/// the last label, else the end of the text) and its message with its help.
fn diagnostics(err: &ParseError, end: usize) -> Vec<(usize, String)> {
    let primary = err.span().map(|s| s.start);
    let related = err.related().into_iter().flatten().map(|d| (None, d));
    std::iter::once((primary, err as &dyn Diagnostic))
        .chain(related)
        .map(|(span, d)| {
            let offset = span
                .or_else(|| d.labels().and_then(Iterator::last).map(|l| l.offset()))
                .unwrap_or(end);
            let mut message = d.to_string();
            if let Some(help) = d.help() {
                message.push_str(&format!(" ({help})"));
            }
            (offset, message)
        })
        .collect()
}

/// protox-parse's proto3 wording, for what editions reject too.
fn reworded(message: String) -> String {
    if message.starts_with("groups are not allowed in proto3") {
        "groups are not allowed in editions (a message field with [features.message_encoding = DELIMITED] \
         is encoded as a group)"
            .into()
    } else {
        message
    }
}

/// The edition statement, `edition = "2023";`: the edition and the index of its `;`.
fn edition_statement(source: &str, tokens: &[Token<'_>]) -> Result<(&'static str, usize), Located> {
    expect(source, tokens, 1, "'='", |t| t.text == "=")?;
    let value = expect(source, tokens, 2, "a string", |t| t.kind == Kind::Str)?;
    let Some(content) = string_value(value.text) else {
        return Err(Located {
            offset: value.start,
            message: "unterminated string".into(),
        });
    };
    let edition = EDITIONS.into_iter().find(|e| *e == content).ok_or_else(|| Located {
        offset: value.start,
        message: format!(
            "unknown edition {} (the editions read are \"2023\" and \"2024\")",
            value.text
        ),
    })?;
    expect(source, tokens, 3, "';'", |t| t.text == ";")?;
    Ok((edition, 3))
}

/// The content of a complete string token.
fn string_value(token: &str) -> Option<&str> {
    let quote = token.get(..1)?;
    token.strip_prefix(quote)?.strip_suffix(quote)
}

/// The token at `index`, if `ok`; otherwise protox-parse's kind of error there.
fn expect<'t, 'a>(
    source: &str,
    tokens: &'t [Token<'a>],
    index: usize,
    expected: &str,
    ok: impl Fn(&Token<'a>) -> bool,
) -> Result<&'t Token<'a>, Located> {
    match tokens.get(index) {
        Some(token) if ok(token) => Ok(token),
        _ => Err(unexpected(source, tokens, index, expected)),
    }
}

/// `expected …, but found …` at token `index`, or at the end of the file.
fn unexpected(source: &str, tokens: &[Token<'_>], index: usize, expected: &str) -> Located {
    match tokens.get(index) {
        Some(token) => Located {
            offset: token.start,
            message: format!("expected {expected}, but found '{}'", token.text),
        },
        None => Located {
            offset: source.len(),
            message: format!("expected {expected}, but reached end of file"),
        },
    }
}

/// The kind of block a `{` opens, as far as the scan needs it.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Block {
    File,
    Message,
    Enum,
    Extend,
    Other,
}

/// A walk over the statements of the file after the edition statement, collecting the
/// byte ranges to blank and stopping at the first editions error.
struct Scan<'s, 'a> {
    source: &'a str,
    tokens: &'s [Token<'a>],
    edition: &'static str,
    blanks: Vec<Range<usize>>,
}

impl<'a> Scan<'_, 'a> {
    fn run(&mut self, mut i: usize) -> Result<(), Located> {
        let mut blocks = vec![Block::File];
        // The block a `{` of the current statement opens.
        let mut opens = Block::Other;
        let mut statement_start = true;
        // The depth of `{` in an option's value (text format), where nothing is read.
        let mut aggregate = 0usize;
        while let Some(token) = self.tokens.get(i) {
            if aggregate > 0 {
                match token.text {
                    "{" => aggregate += 1,
                    "}" => aggregate -= 1,
                    _ => {}
                }
                i += 1;
                continue;
            }
            if statement_start {
                statement_start = false;
                let block = blocks.last().copied().unwrap_or(Block::Other);
                let (next, kind) = self.statement(i, block)?;
                if next > i {
                    // The statement was read whole (and blanked).
                    i = next;
                    statement_start = true;
                    continue;
                }
                opens = kind;
            }
            match token.text {
                ";" => statement_start = true,
                "{" if i > 0 && matches!(self.tokens[i - 1].text, "=" | ":") => aggregate = 1,
                "{" => {
                    blocks.push(opens);
                    opens = Block::Other;
                    statement_start = true;
                }
                "}" => {
                    if blocks.len() > 1 {
                        blocks.pop();
                    }
                    statement_start = true;
                }
                _ => {}
            }
            i += 1;
        }
        Ok(())
    }

    /// The statement starting at token `i` in `block`: the index after it if it was read
    /// whole here (else `i`), and the block its `{` would open.
    fn statement(&mut self, i: usize, block: Block) -> Result<(usize, Block), Located> {
        let tokens = self.tokens;
        let token = &tokens[i];
        let text_at = |k: usize| tokens.get(k).map_or("", |t| t.text);
        let in_2024 = self.edition == "2024";
        let mut keyword = token.text;
        match (block, token.text) {
            (Block::File | Block::Message, "export" | "local")
                if matches!(text_at(i + 1), "message" | "enum")
                    && tokens.get(i + 2).is_some_and(|t| t.kind == Kind::Ident)
                    && text_at(i + 3) == "{" =>
            {
                if !in_2024 {
                    return Err(self.error(i, format!("'{}' needs edition 2024 (symbol visibility)", token.text)));
                }
                self.blank(i, i);
                keyword = text_at(i + 1);
            }
            (Block::File, "import") if text_at(i + 1) == "option" => {
                if !in_2024 {
                    return Err(self.error(i + 1, "'import option' needs edition 2024".into()));
                }
                self.blank(i + 1, i + 1);
            }
            (Block::File, "import") if in_2024 && text_at(i + 1) == "weak" => {
                return Err(self.error(
                    i + 1,
                    "'import weak' is not allowed in edition 2024 (protoc 32 removed weak imports)".into(),
                ));
            }
            (Block::Message | Block::Enum, "reserved") => {
                if let Some(next) = self.reserved_names(i)? {
                    return Ok((next, Block::Other));
                }
            }
            (Block::Message | Block::Extend, "optional") => {
                return Err(self.error(
                    i,
                    "label 'optional' is not allowed in editions (a singular field has presence unless \
                     [features.field_presence = IMPLICIT] says otherwise)"
                        .into(),
                ));
            }
            (Block::Message | Block::Extend, "required") => {
                return Err(self.error(
                    i,
                    "label 'required' is not allowed in editions (use [features.field_presence = LEGACY_REQUIRED])"
                        .into(),
                ));
            }
            _ => {}
        }
        let opens = match keyword {
            "message" => Block::Message,
            "enum" => Block::Enum,
            "extend" => Block::Extend,
            _ => Block::Other,
        };
        Ok((i, opens))
    }

    /// `reserved` at token `i` followed by names: editions write them as identifiers
    /// (`reserved foo, bar;`), which proto3 does not read, so the checked statement is
    /// blanked. `None` for reserved numbers, left to protox-parse.
    fn reserved_names(&mut self, i: usize) -> Result<Option<usize>, Located> {
        match self.tokens.get(i + 1) {
            Some(t) if t.kind == Kind::Str => {
                return Err(self.error(
                    i + 1,
                    "reserved names must be identifiers in editions, not strings (write reserved foo;)".into(),
                ));
            }
            Some(t) if t.kind == Kind::Ident => {}
            _ => return Ok(None),
        }
        let mut k = i + 1;
        loop {
            // Token k is a name.
            match self.tokens.get(k + 1).map(|t| t.text) {
                Some(",") if self.tokens.get(k + 2).is_some_and(|t| t.kind == Kind::Ident) => k += 2,
                Some(";") => {
                    self.blank(i, k + 1);
                    return Ok(Some(k + 2));
                }
                Some(",") => {
                    self.blank(i, k + 1);
                    return Err(self.expected(k + 2, "an identifier"));
                }
                _ => {
                    self.blank(i, k);
                    return Err(self.expected(k + 1, "',' or ';'"));
                }
            }
        }
    }

    /// Tokens `first..=last` and what lies between them, to blank.
    fn blank(&mut self, first: usize, last: usize) {
        self.blanks.push(self.tokens[first].start..self.tokens[last].end());
    }

    fn error(&self, i: usize, message: String) -> Located {
        Located {
            offset: self.tokens[i].start,
            message,
        }
    }

    fn expected(&self, i: usize, expected: &str) -> Located {
        unexpected(self.source, self.tokens, i, expected)
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    Ident,
    Str,
    /// A number or a punctuation character.
    Other,
}

/// A token of the file: comments and white space are not tokens.
#[derive(Debug)]
struct Token<'a> {
    kind: Kind,
    text: &'a str,
    start: usize,
}

impl Token<'_> {
    fn end(&self) -> usize {
        self.start + self.text.len()
    }
}

/// The tokens of `source`, enough to find statements: identifiers, strings (quotes
/// included; an unfinished one ends at its line's end), numbers and single punctuation
/// characters. Comments (`//`, `/* */`, and `#`, which protox-parse reports) are skipped.
fn tokens(source: &str) -> Vec<Token<'_>> {
    let bytes = source.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while let Some(&b) = bytes.get(i) {
        let rest = &bytes[i..];
        let (kind, len) = if b.is_ascii_whitespace() {
            i += 1;
            continue;
        } else if rest.starts_with(b"//") || b == b'#' {
            i += rest.iter().position(|&c| c == b'\n').unwrap_or(rest.len());
            continue;
        } else if rest.starts_with(b"/*") {
            i += rest[2..]
                .windows(2)
                .position(|w| w == b"*/")
                .map_or(rest.len(), |p| p + 4);
            continue;
        } else if b == b'"' || b == b'\'' {
            let mut j = 1;
            while let Some(&c) = rest.get(j) {
                match c {
                    b'\\' => j += 2,
                    b'\n' => break,
                    _ if c == b => {
                        j += 1;
                        break;
                    }
                    _ => j += 1,
                }
            }
            (Kind::Str, j.min(rest.len()))
        } else if b.is_ascii_alphabetic() || b == b'_' {
            let len = rest.iter().position(|c| !(c.is_ascii_alphanumeric() || *c == b'_'));
            (Kind::Ident, len.unwrap_or(rest.len()))
        } else if b.is_ascii_digit() || (b == b'.' && rest.get(1).is_some_and(u8::is_ascii_digit)) {
            let len = rest
                .iter()
                .position(|c| !(c.is_ascii_alphanumeric() || *c == b'_' || *c == b'.'));
            (Kind::Other, len.unwrap_or(rest.len()))
        } else {
            let width = source[i..].chars().next().map_or(1, char::len_utf8);
            (Kind::Other, width)
        };
        // A string cut inside a character (a `\` before it) ends at the next boundary.
        let mut end = i + len;
        while !source.is_char_boundary(end) {
            end += 1;
        }
        out.push(Token {
            kind,
            text: &source[i..end],
            start: i,
        });
        i = end;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn error(source: &str) -> Located {
        match parse("t.proto", source) {
            Some(Err(located)) => located,
            Some(Ok(_)) => panic!("accepted: {source}"),
            None => panic!("not an editions file: {source}"),
        }
    }

    fn accepted(source: &str) -> FileDescriptorProto {
        match parse("t.proto", source) {
            Some(Ok(descriptor)) => descriptor,
            Some(Err(located)) => panic!("{source}: {located:?}"),
            None => panic!("not an editions file: {source}"),
        }
    }

    #[test]
    fn only_a_leading_edition_statement_makes_an_editions_file() {
        assert!(parse("t.proto", "syntax = \"proto3\";").is_none());
        assert!(parse("t.proto", "").is_none());
        assert!(parse("t.proto", "/* c */ // d\n edition = \"2023\";").is_some());
        let late = "syntax = \"proto3\";\nedition = \"2023\";";
        assert!(parse("t.proto", late).is_none());
    }

    #[test]
    fn the_edition_statement_is_checked() {
        let unknown = error("edition = \"2025\";");
        assert_eq!(unknown.offset, 10);
        assert!(unknown.message.starts_with("unknown edition \"2025\""), "{unknown:?}");
        assert_eq!(error("edition = 2023;").message, "expected a string, but found '2023'");
        assert_eq!(error("edition \"2023\";").offset, 8);
        assert_eq!(
            error("edition = '2024'").message,
            "expected ';', but reached end of file"
        );
        assert_eq!(error("edition = \"2023").offset, 10);
        assert_eq!(error("edition = \"2023\";\nedition = \"2023\";").offset, 18);
        accepted("edition = '2024';");
    }

    /// The offset of the first `needle` in `source`.
    fn at(source: &str, needle: &str) -> usize {
        source.find(needle).unwrap_or_else(|| panic!("{needle} in {source}"))
    }

    #[test]
    fn defaults_are_read_and_still_checked() {
        let file = accepted("edition = \"2023\";\nmessage M { int32 a = 1 [default = 5, json_name = \"b\"]; }");
        assert_eq!(file.message_type[0].field.len(), 1);
        let source =
            "edition = \"2023\";\nmessage M { int32 a = 1 [default = 5]; repeated int32 b = 2 [default = 5]; }";
        let repeated = error(source);
        assert_eq!(repeated.message, "repeated fields may not have default values");
        assert_eq!(repeated.offset, source.rfind("default").unwrap_or_default());
        let wrong_type = error("edition = \"2023\";\nmessage M { int32 a = 1 [default = \"x\"]; }");
        assert!(wrong_type.message.starts_with("expected value to be"), "{wrong_type:?}");
    }

    #[test]
    fn reserved_names_are_identifiers() {
        let file = accepted("edition = \"2023\";\nmessage M { reserved foo, bar; reserved 2 to 4; int32 a = 1; }");
        assert_eq!(file.message_type[0].reserved_range.len(), 1);
        assert!(file.message_type[0].reserved_name.is_empty());
        accepted("edition = \"2023\";\nenum E { reserved OLD; E_UNSPECIFIED = 0; }");
        let source = "edition = \"2023\";\nmessage M { reserved \"foo\"; }";
        assert_eq!(error(source).offset, at(source, "\"foo"));
        let source = "edition = \"2023\";\nmessage M { reserved foo bar; }";
        assert_eq!(error(source).offset, at(source, "bar"));
        let source = "edition = \"2023\";\nmessage M { reserved foo, 3; }";
        let comma = error(source);
        assert_eq!(comma.offset, at(source, "3;"));
        assert_eq!(comma.message, "expected an identifier, but found '3'");
        let source = "edition = \"2023\";\nmessage M { reserved foo";
        assert_eq!(error(source).offset, source.len());
        // Not in a message or an enum: protox-parse reports the statement.
        assert!(error("edition = \"2023\";\nservice S { reserved foo; }")
            .message
            .starts_with("expected"));
    }

    #[test]
    fn labels_other_than_repeated_are_refused() {
        let source = "edition = \"2023\";\nmessage M {\n  optional int32 a = 1;\n}";
        let optional = error(source);
        assert_eq!(optional.offset, at(source, "optional"));
        assert!(optional.message.starts_with("label 'optional'"));
        let required = error("edition = \"2023\";\nextend M { required int32 a = 1; }");
        assert!(required.message.starts_with("label 'required'"));
        let group = error("edition = \"2023\";\nmessage M { repeated group G = 1 {} }");
        assert!(
            group.message.starts_with("groups are not allowed in editions"),
            "{group:?}"
        );
        accepted("edition = \"2023\";\nmessage M { repeated int32 optional = 1; oneof o { int32 required = 2; } }");
    }

    #[test]
    fn an_earlier_syntax_error_comes_first() {
        let source = "edition = \"2023\";\nmessage A { int32 a = 1 }\nmessage M { optional int32 a = 1; }";
        assert_eq!(error(source).offset, at(source, "}"));
        let source = "edition = \"2023\";\nmessage M { optional int32 a = 1; }\nmessage A { int32 a = 1 }";
        assert_eq!(error(source).offset, at(source, "optional"));
    }

    #[test]
    fn edition_2024_adds_visibility_and_option_imports() {
        let source = "edition = \"2024\";\nimport option \"x.proto\";\nexport message A { local enum E { E0 = 0; } }\n\
                      local enum F { F0 = 0; }\nmessage B { export message C {} }";
        let file = accepted(source);
        assert_eq!(file.dependency, ["x.proto"]);
        assert_eq!(file.message_type.len(), 2);
        let in_2023 = source.replace("2024", "2023");
        assert_eq!(error(&in_2023).message, "'import option' needs edition 2024");
        let without_import = in_2023.replace("import option", "import       ");
        let visibility = error(&without_import);
        assert_eq!(visibility.offset, at(&without_import, "export"));
        assert_eq!(visibility.message, "'export' needs edition 2024 (symbol visibility)");
        let source = "edition = \"2024\";\nimport weak \"x.proto\";";
        assert_eq!(error(source).offset, at(source, "weak"));
        accepted("edition = \"2023\";\nimport weak \"x.proto\";");
        // Visibility is for messages and enums only.
        assert!(error("edition = \"2024\";\nexport service S {}")
            .message
            .starts_with("expected"));
    }

    #[test]
    fn option_values_are_not_statements() {
        let source = "edition = \"2023\";\nmessage M {\n  option (x) = { reserved: 1 optional { a: \"}\" } };\n  \
                      int32 a = 1 [(y) = { required: true }];\n}\nservice S { rpc R (M) returns (M); }";
        let file = accepted(source);
        assert_eq!(file.service[0].method[0].name(), "R");
    }

    #[test]
    fn tokens_survive_any_text() {
        let text = "edition = \"2023\"; /* é */ message é { string s = 1 [default = \"\\é\"]; } 'x\\";
        for end in (0..=text.len()).filter(|&e| text.is_char_boundary(e)) {
            let _ = parse("t.proto", &text[..end]);
        }
        let kinds: Vec<_> = tokens("a 'b\\").iter().map(|t| (t.kind, t.text)).collect();
        assert_eq!(kinds, [(Kind::Ident, "a"), (Kind::Str, "'b\\")]);
    }
}
