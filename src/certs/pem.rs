//! A small, lenient PEM reader (any line width, CRLF, text around blocks) and a strict
//! writer (64 columns, LF), so output bytes never depend on the input's formatting.

use base64ct::{Base64, Encoding};

use super::{CertError, MintError, PemSource, Role};

/// One decoded PEM block.
pub(crate) struct PemBlock {
    pub label: String,
    pub der: Vec<u8>,
}

/// Splits `src` into its PEM blocks. Text outside blocks is ignored (as openssl does).
pub(crate) fn parse_blocks(src: PemSource<'_>, role: Role) -> Result<Vec<PemBlock>, CertError> {
    let malformed = |detail: String| CertError::MalformedPem {
        file: src.label.to_owned(),
        role,
        detail,
    };
    let mut blocks = Vec::new();
    let mut open: Option<(String, String)> = None;
    for (idx, raw) in src.text.lines().enumerate() {
        let line = raw.trim();
        let lineno = idx + 1;
        if let Some(label) = boundary(line, "BEGIN") {
            if let Some((prev, _)) = &open {
                return Err(malformed(format!(
                    "line {lineno}: BEGIN {label} inside an unterminated {prev} block"
                )));
            }
            open = Some((label.to_owned(), String::new()));
        } else if let Some(label) = boundary(line, "END") {
            let Some((begun, body)) = open.take() else {
                return Err(malformed(format!("line {lineno}: END {label} without a BEGIN")));
            };
            if begun != label {
                return Err(malformed(format!(
                    "line {lineno}: block opened as {begun} but closed as {label}"
                )));
            }
            let der = Base64::decode_vec(&body)
                .map_err(|_| malformed(format!("the {label} block ending on line {lineno} is not valid base64")))?;
            blocks.push(PemBlock { label: begun, der });
        } else if let Some((label, body)) = open.as_mut() {
            if line.contains(':') {
                return Err(malformed(format!(
                    "the {label} block has headers (line {lineno}); encrypted PEM is not supported, export it without a password"
                )));
            }
            body.push_str(line);
        }
    }
    if let Some((label, _)) = open {
        return Err(malformed(format!("the {label} block has no END line")));
    }
    if blocks.is_empty() {
        if src.text.trim().is_empty() {
            return Err(CertError::EmptyPem {
                file: src.label.to_owned(),
                role,
            });
        }
        return Err(malformed(
            "no `-----BEGIN ...-----` line found; this is not PEM".to_owned(),
        ));
    }
    Ok(blocks)
}

fn boundary<'a>(line: &'a str, kind: &str) -> Option<&'a str> {
    line.strip_prefix("-----")?
        .strip_suffix("-----")?
        .strip_prefix(kind)?
        .strip_prefix(' ')
        .map(str::trim)
}

/// Encodes DER as PEM with 64-column lines and LF endings.
pub(crate) fn encode(label: &'static str, der: &[u8]) -> Result<String, MintError> {
    der::pem::encode_string(label, der::pem::LineEnding::LF, der).map_err(|e| MintError::Encoding {
        what: label,
        detail: e.to_string(),
    })
}
