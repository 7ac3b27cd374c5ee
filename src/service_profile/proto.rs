//! The routes of a `.proto` file, read the way upstream's `pkg/profiles/proto.go`
//! (edge-26.8.3) reads them, with the syntax-only parser of `protox-parse`. Editions
//! files, which protox-parse 0.10 does not read, go through [`editions`].

mod editions;

use miette::Diagnostic;
use prost_types::{MethodDescriptorProto, UninterpretedOption};
use protox_parse::ParseError;

use super::Route;
use crate::error::{Error, Result};

/// One route per rpc of every service, services and rpcs in file order, streaming
/// or not. `file` names the source in errors; imports are recorded, never read.
pub(crate) fn grpc_routes(file: &str, source: &str) -> Result<Vec<Route>> {
    let descriptor = match editions::parse(file, source) {
        Some(parsed) => parsed.map_err(|e| proto_error(file, source, e.offset, e.message))?,
        None => protox_parse::parse(file, source).map_err(|e| syntax_error(file, source, &e))?,
    };
    let package = descriptor.package.as_deref().filter(|p| !p.is_empty());
    let routes = descriptor
        .service
        .iter()
        .flat_map(|service| {
            service
                .method
                .iter()
                .map(move |rpc| Route::grpc(package, service.name(), rpc.name(), is_retryable(rpc)))
        })
        .collect();
    Ok(routes)
}

/// Upstream's rule: the rpc's first `idempotency_level` option decides, written
/// plain or in parentheses, as an identifier or a string. Service options are not
/// read, nor an enum number (`= 2`), as upstream compares the option's text.
fn is_retryable(rpc: &MethodDescriptorProto) -> bool {
    let options = rpc.options.iter().flat_map(|o| &o.uninterpreted_option);
    let first = options.into_iter().find(|o| is_idempotency_level(o));
    first.is_some_and(|option| {
        let text = option
            .identifier_value
            .as_deref()
            .map(str::as_bytes)
            .or(option.string_value.as_deref());
        matches!(text, Some(b"IDEMPOTENT" | b"NO_SIDE_EFFECTS"))
    })
}

/// `idempotency_level` or `(idempotency_level)`: upstream trims the parentheses off
/// the whole option name, so only a one-part name matches.
fn is_idempotency_level(option: &UninterpretedOption) -> bool {
    matches!(option.name.as_slice(), [part] if part.name_part == "idempotency_level")
}

/// The parser's first error, placed by line and column (both from 1, the column in
/// characters). An error without a place (end of file) points past the last character.
fn syntax_error(file: &str, source: &str, err: &ParseError) -> Error {
    let offset = err
        .span()
        .map(|s| s.start)
        .or_else(|| err.labels().and_then(Iterator::last).map(|l| l.offset()))
        .unwrap_or(source.len());
    let mut message = err.to_string();
    if let Some(help) = err.help() {
        message.push_str(&format!(" ({help})"));
    }
    proto_error(file, source, offset, message)
}

/// An error at byte `offset` of `source`.
fn proto_error(file: &str, source: &str, offset: usize, message: String) -> Error {
    let (line, column) = line_column(source, offset);
    Error::Proto {
        file: file.to_string(),
        line,
        column,
        message,
    }
}

fn line_column(source: &str, offset: usize) -> (usize, usize) {
    let before = source.get(..offset).unwrap_or(source);
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    let line = before.matches('\n').count() + 1;
    (line, before[line_start..].chars().count() + 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn retryable(body: &str) -> bool {
        let source = format!("syntax = \"proto3\";\nservice S {{ rpc M (A) returns (B) {{ {body} }} }}\n");
        let routes = grpc_routes("t.proto", &source).unwrap_or_else(|e| panic!("{e}"));
        routes[0].is_retryable
    }

    #[test]
    fn the_first_idempotency_option_decides() {
        assert!(retryable("option idempotency_level = IDEMPOTENT;"));
        assert!(retryable("option (idempotency_level) = \"NO_SIDE_EFFECTS\";"));
        assert!(!retryable("option idempotency_level = \"UNKNOWN\";"));
        assert!(!retryable("option idempotency_level = 2;"));
        assert!(!retryable(
            "option idempotency_level = IDEMPOTENCY_UNKNOWN; option idempotency_level = IDEMPOTENT;"
        ));
        assert!(retryable(
            "option deprecated = true; option idempotency_level = IDEMPOTENT;"
        ));
        assert!(!retryable("option (x).idempotency_level = IDEMPOTENT;"));
        assert!(!retryable(""));
    }

    #[test]
    fn places_are_lines_and_columns_from_one() {
        assert_eq!(line_column("ab\ncdé\nf", 0), (1, 1));
        assert_eq!(line_column("ab\ncdé\nf", 3), (2, 1));
        assert_eq!(line_column("ab\ncdé\nf", 8), (3, 1));
        assert_eq!(line_column("ab\ncdé\nf", 9), (3, 2));
    }

    #[test]
    fn an_unfinished_file_points_at_its_end() {
        let err = grpc_routes("t.proto", "syntax = \"proto3\";\nservice S {\n").expect_err("unfinished");
        match err {
            Error::Proto { line, column, .. } => assert_eq!((line, column), (3, 1)),
            other => panic!("{other}"),
        }
    }
}
