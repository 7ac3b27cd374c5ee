//! The detector of private keys that guards every committed file: PEM, PGP key blocks,
//! and base64 DER bodies, at any alignment. Secrets are routed to `secrets/` before it
//! ever runs, and sealed Secrets must pass it too, so it is the last line, not the first.

/// A private key in any form meshgen could leak it: PEM (`... PRIVATE KEY-----`, a PGP
/// `PRIVATE KEY BLOCK`), the same base64-encoded at any alignment (as in a Secret's
/// `data`), or a bare base64 DER body without its BEGIN/END lines. This is a defence
/// in depth: Secrets are routed to `secrets/` before this ever runs.
pub(crate) fn holds_key_material(text: &str) -> bool {
    // "PRIVATE KEY-" and "PRIVATE KEY BLOCK" in base64, at each of the three byte
    // alignments, trimmed of the characters that depend on neighbouring bytes.
    const MARKERS: &[&str] = &[
        "PRIVATE KEY-----",
        "PRIVATE KEY BLOCK",
        "UFJJVkFURSBLRVkt",
        "BSSVZBVEUgS0VZLS",
        "QUklWQVRFIEtFWS0t",
        "UFJJVkFURSBLRVkgQkxPQ0",
        "SSVZBVEUgS0VZIEJMT0NL",
        "QUklWQVRFIEtFWSBCTE9DS",
    ];
    // One pass for all markers (the regex crate searches an alternation of literals
    // with Aho-Corasick) rather than one `contains` per marker: every file goes through here.
    static ANY_MARKER: std::sync::LazyLock<regex::bytes::Regex> = std::sync::LazyLock::new(|| {
        let alternation: Vec<String> = MARKERS.iter().map(|m| regex::escape(m)).collect();
        regex::bytes::Regex::new(&alternation.join("|")).expect("escaped literals form a valid regex")
    });
    ANY_MARKER.is_match(text.as_bytes()) || base64_runs(text.as_bytes()).any(starts_like_private_key)
}

/// Maximal runs of base64 characters long enough to hold a DER key header.
fn base64_runs(text: &[u8]) -> impl Iterator<Item = &[u8]> {
    text.split(|&b| !(b.is_ascii_alphanumeric() || matches!(b, b'+' | b'/' | b'=')))
        .filter(|run| run.len() >= 16)
}

/// Whether a base64 run decodes to the start of a DER private key: a SEQUENCE whose
/// first element is a small version INTEGER (0 or 1), followed by what PKCS#8
/// (an AlgorithmIdentifier SEQUENCE), SEC1 (the key OCTET STRING) or PKCS#1 (the
/// modulus INTEGER) put there. Certificates, the other DER meshgen handles, start with
/// a SEQUENCE inside the SEQUENCE, so they never match. Hand-written rather than a
/// full `pkcs8`/`sec1` parse: a body may be cut at a line break, and the header is
/// enough to refuse it.
fn starts_like_private_key(run: &[u8]) -> bool {
    use base64ct::{Base64Unpadded, Encoding};
    let mut head = &run[..run.len().min(32) / 4 * 4];
    while let [rest @ .., b'='] = head {
        head = rest;
    }
    let mut buf = [0u8; 24];
    let Ok(der) = Base64Unpadded::decode(head, &mut buf) else {
        return false;
    };
    let Some((&0x30, rest)) = der.split_first() else {
        return false;
    };
    // Skip the SEQUENCE's length: short form, or long form with 1 or 2 length bytes.
    let rest = match rest.first() {
        Some(&n) if n < 0x80 => &rest[1..],
        Some(0x81) => rest.get(2..).unwrap_or_default(),
        Some(0x82) => rest.get(3..).unwrap_or_default(),
        _ => return false,
    };
    matches!(rest, [0x02, 0x01, 0x00 | 0x01, 0x30 | 0x04 | 0x02, ..])
}

#[cfg(test)]
mod tests {
    use super::holds_key_material;

    /// PEM keys and PGP key blocks, plain and base64-encoded at each byte alignment.
    #[test]
    fn finds_keys_plain_and_base64_at_any_alignment() {
        for (key, public) in [
            ("-----BEGIN PRIVATE KEY-----", "-----BEGIN CERTIFICATE-----"),
            (
                "-----BEGIN PGP PRIVATE KEY BLOCK-----\n",
                "-----BEGIN PGP PUBLIC KEY BLOCK-----",
            ),
        ] {
            assert!(holds_key_material(key), "{key}");
            for prefix in ["", "x", "xy"] {
                let encoded =
                    <base64ct::Base64 as base64ct::Encoding>::encode_string(format!("{prefix}{key}").as_bytes());
                assert!(holds_key_material(&encoded), "{prefix:?}: {encoded}");
            }
            assert!(!holds_key_material(public), "{public}");
        }
        assert!(holds_key_material("-----BEGIN EC PRIVATE KEY-----"));
    }

    /// A key's base64 body without BEGIN/END lines, in each DER form meshgen could
    /// meet: PKCS#8 and SEC1 EC keys (P-256, P-384) and a PKCS#8 RSA key.
    #[test]
    fn finds_bare_base64_key_bodies() {
        let key = crate::certs::KeyPair::generate().expect("key");
        let pem = key.to_pkcs8_pem().expect("pem");
        let body: String = pem.as_str().lines().filter(|l| !l.starts_with("-----")).collect();
        assert!(holds_key_material(&format!("data: {body}")), "PKCS#8 P-256");
        let wrapped = pem
            .as_str()
            .lines()
            .filter(|l| !l.starts_with("-----"))
            .collect::<Vec<_>>();
        assert!(
            holds_key_material(&format!("key: |\n  {}\n", wrapped.join("\n  "))),
            "wrapped"
        );
        for (what, body) in [
            (
                "SEC1 P-256",
                "MHcCAQEEIBm3dXc1nJ2hS8Z0VmBqL9dZqS0dWm8XGqGq9nC1xkQCoAoGCCqGSM49",
            ),
            (
                "SEC1 P-384",
                "MIGkAgEBBDBm3dXc1nJ2hS8Z0VmBqL9dZqS0dWm8XGqGq9nC1xkQCoAoGCCqGSM49",
            ),
            ("PKCS#8 RSA", "MIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQC7"),
            (
                "PKCS#1 RSA",
                "MIIEpAIBAAKCAQEAu1SU1LfVLPHCozMxH2Mo4lgOEePzNm0tRgeLezV6ffAt0gun",
            ),
        ] {
            assert!(holds_key_material(body), "{what}");
        }
    }

    /// Certificates and ordinary base64 (a caBundle holds base64 PEM) are not keys.
    #[test]
    fn certificates_are_not_keys() {
        let store = crate::CertStore::load(camino::Utf8Path::new(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/fixtures/store"
        )))
        .expect("test store");
        let cert = store.get("ca.crt").expect("ca.crt");
        let body: String = cert.lines().filter(|l| !l.starts_with("-----")).collect();
        assert!(!holds_key_material(&body), "a certificate's DER body");
        let bundle = <base64ct::Base64 as base64ct::Encoding>::encode_string(cert.as_bytes());
        assert!(!holds_key_material(&bundle), "a caBundle");
        assert!(!holds_key_material("c2hhMjU2OmFiY2RlZjAxMjM0NTY3ODk="));
    }
}
