//! The MAC sops keeps over a file's values (`Tree.Encrypt` / `Tree.Decrypt` in sops.go,
//! v3.13.2). It is what stops an edit of the readable part (an annotation, the Secret's
//! name) or a reordering or removal of encrypted values from going unnoticed: SHA-512 over
//! the plaintext bytes of every scalar, in the order the file lists them, encrypted or not
//! (unless `mac_only_encrypted`), written as upper-case hex. Keys are not hashed; nulls and
//! comments are skipped. sops recomputes it while reading the file, so the order here must
//! be the order the file is written in.

use serde_json::Value;
use sha2::{Digest, Sha512};

/// The bytes sops hashes (and encrypts) for a scalar, as its `ToBytes`: strings as they
/// are, booleans as Python spelled them (`True`/`False`), numbers in Go's shortest decimal
/// form (`strconv.FormatFloat(f, 'f', -1, 64)`, which Rust's `Display` also writes).
/// `None` for what is not a scalar, and for null, which sops leaves out.
pub(crate) fn bytes(value: &Value) -> Option<Vec<u8>> {
    match value {
        Value::String(s) => Some(s.as_bytes().to_vec()),
        Value::Bool(b) => Some(if *b { b"True".to_vec() } else { b"False".to_vec() }),
        Value::Number(n) => Some(match (n.as_i64(), n.as_f64()) {
            (Some(i), _) => i.to_string().into_bytes(),
            (None, Some(f)) if n.is_f64() => f.to_string().into_bytes(),
            _ => n.to_string().into_bytes(),
        }),
        Value::Null | Value::Array(_) | Value::Object(_) => None,
    }
}

/// sops's `MACOnlyEncryptedInitialization`: with `mac_only_encrypted`, the hash starts with
/// the SHA-256 of `sops`, so that such a MAC never equals one over all values.
const ONLY_ENCRYPTED_PREFIX: [u8; 32] = [
    0x8a, 0x3f, 0xd2, 0xad, 0x54, 0xce, 0x66, 0x52, 0x7b, 0x10, 0x34, 0xf3, 0xd1, 0x47, 0xbe, 0x0b, 0x0b, 0x97, 0x5b,
    0x3b, 0xf4, 0x4f, 0x72, 0xc6, 0xfd, 0xad, 0xec, 0x81, 0x76, 0xf2, 0x7d, 0x69,
];

/// The running MAC of one file.
pub(crate) struct Mac {
    hash: Sha512,
    only_encrypted: bool,
}

impl Mac {
    pub(crate) fn new(only_encrypted: bool) -> Self {
        let mut hash = Sha512::new();
        if only_encrypted {
            hash.update(ONLY_ENCRYPTED_PREFIX);
        }
        Mac { hash, only_encrypted }
    }

    /// Adds one value's plaintext bytes, if this MAC covers it.
    pub(crate) fn add(&mut self, plaintext: &[u8], encrypted: bool) {
        if encrypted || !self.only_encrypted {
            self.hash.update(plaintext);
        }
    }

    /// The MAC as sops stores it before encrypting it: upper-case hex.
    pub(crate) fn hex(self) -> String {
        base16ct::upper::encode_string(&self.hash.finalize())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn scalars_are_hashed_as_sops_writes_them() {
        let cases = [
            (json!("a b"), "a b"),
            (json!(true), "True"),
            (json!(false), "False"),
            (json!(-42), "-42"),
            (json!(1.5), "1.5"),
            (json!(1.0), "1"),
            (json!(1e21), "1000000000000000000000"),
            (json!(0.000001), "0.000001"),
        ];
        for (value, expected) in cases {
            assert_eq!(bytes(&value).as_deref(), Some(expected.as_bytes()), "{value}");
        }
        assert_eq!(bytes(&json!(null)), None);
        assert_eq!(bytes(&json!({})), None);
    }

    #[test]
    fn the_prefix_is_the_sha256_of_sops() {
        assert_eq!(
            <sha2::Sha256 as Digest>::digest(b"sops").as_slice(),
            ONLY_ENCRYPTED_PREFIX
        );
    }

    #[test]
    fn the_mac_is_upper_case_sha512_hex_of_the_concatenation() {
        let mut mac = Mac::new(false);
        mac.add(b"ab", true);
        mac.add(b"c", false);
        let expected = base16ct::upper::encode_string(&Sha512::digest(b"abc"));
        assert_eq!(mac.hex(), expected);
        let mut only = Mac::new(true);
        only.add(b"ab", true);
        only.add(b"c", false);
        assert_ne!(only.hex(), expected);
    }
}
