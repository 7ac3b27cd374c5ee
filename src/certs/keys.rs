//! P-256 private keys: generation, PKCS#8 / SEC1 import, PKCS#8 export.

use const_oid::db::rfc5912;
use der::Decode;
use p256::ecdsa::{SigningKey, VerifyingKey};
use p256::elliptic_curve::Generate;
use p256::pkcs8::{DecodePrivateKey, EncodePrivateKey, EncodePublicKey, PrivateKeyInfoRef};
use p256::SecretKey;

use super::pem::parse_blocks;
use super::x509::key_algorithm_name;
use super::{CertError, MintError, PemSource, Role};

/// An ECDSA P-256 private key.
#[derive(Clone)]
pub struct KeyPair {
    secret: SecretKey,
}

impl std::fmt::Debug for KeyPair {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("KeyPair { P-256, .. }")
    }
}

impl KeyPair {
    /// A fresh key from the operating system's random source.
    ///
    /// # Errors
    /// [`MintError::KeyGeneration`] if the OS random source fails.
    pub fn generate() -> Result<Self, MintError> {
        SecretKey::try_generate()
            .map(|secret| Self { secret })
            .map_err(|e| MintError::KeyGeneration(e.to_string()))
    }

    /// Reads a key from PEM: PKCS#8 (`PRIVATE KEY`) or SEC1 (`EC PRIVATE KEY`, as step and
    /// openssl write). `EC PARAMETERS` blocks are skipped. Non-P-256 keys are reported
    /// by algorithm.
    ///
    /// # Errors
    /// [`CertError`] naming `src.label` when the text is empty, malformed, encrypted,
    /// holds several keys, or holds a key of another algorithm.
    pub fn from_pem(src: PemSource<'_>, role: Role) -> Result<Self, CertError> {
        let file = src.label;
        let malformed = |detail: String| CertError::MalformedPem {
            file: file.to_owned(),
            role,
            detail,
        };
        let unsupported = |found: String| CertError::UnsupportedKeyAlgorithm {
            file: file.to_owned(),
            role,
            found,
        };
        let blocks = parse_blocks(src, role)?;
        let mut keys = blocks.iter().filter(|b| b.label != "EC PARAMETERS");
        let (Some(block), None) = (keys.next(), keys.next()) else {
            return Err(malformed("expected exactly one private key block".to_owned()));
        };
        let decode_failed =
            |e: &dyn std::fmt::Display| malformed(format!("the {} block does not decode ({e})", block.label));
        let secret = match block.label.as_str() {
            "PRIVATE KEY" => {
                let info = PrivateKeyInfoRef::from_der(&block.der).map_err(|e| decode_failed(&e))?;
                let curve = info.algorithm.parameters_oid().ok();
                if info.algorithm.oid != rfc5912::ID_EC_PUBLIC_KEY || curve != Some(rfc5912::SECP_256_R_1) {
                    return Err(unsupported(key_algorithm_name(info.algorithm.oid, curve)));
                }
                SecretKey::from_pkcs8_der(&block.der).map_err(|e| decode_failed(&e))?
            }
            "EC PRIVATE KEY" => {
                let ec = sec1::EcPrivateKey::from_der(&block.der).map_err(|e| decode_failed(&e))?;
                let curve = ec.parameters.and_then(|p| p.named_curve());
                if curve.is_some_and(|c| c != rfc5912::SECP_256_R_1) {
                    return Err(unsupported(key_algorithm_name(rfc5912::ID_EC_PUBLIC_KEY, curve)));
                }
                SecretKey::from_sec1_der(&block.der).map_err(|e| decode_failed(&e))?
            }
            "RSA PRIVATE KEY" => return Err(unsupported("RSA".to_owned())),
            "ENCRYPTED PRIVATE KEY" => {
                return Err(malformed(
                    "the key is encrypted; export it without a password".to_owned(),
                ))
            }
            other => return Err(malformed(format!("holds a {other} block, not a private key"))),
        };
        Ok(Self { secret })
    }

    /// The key as PKCS#8 PEM (`-----BEGIN PRIVATE KEY-----`, LF line endings).
    ///
    /// # Errors
    /// [`MintError::Encoding`] if encoding fails.
    pub fn to_pkcs8_pem(&self) -> Result<KeyPem, MintError> {
        self.secret
            .to_pkcs8_pem(der::pem::LineEnding::LF)
            .map(KeyPem)
            .map_err(|e| MintError::Encoding {
                what: "PKCS#8 private key",
                detail: e.to_string(),
            })
    }

    pub(crate) fn signing_key(&self) -> SigningKey {
        SigningKey::from(&self.secret)
    }

    pub(crate) fn verifying_key(&self) -> VerifyingKey {
        VerifyingKey::from(&self.signing_key())
    }

    /// DER SubjectPublicKeyInfo of the public half.
    pub(crate) fn spki_der(&self) -> Result<Vec<u8>, MintError> {
        self.secret
            .public_key()
            .to_public_key_der()
            .map(|d| d.as_bytes().to_vec())
            .map_err(|e| MintError::Encoding {
                what: "public key",
                detail: e.to_string(),
            })
    }
}

/// PEM text of a private key; wiped from memory on drop and redacted in `Debug`.
#[derive(Clone)]
pub struct KeyPem(der::zeroize::Zeroizing<String>);

impl KeyPem {
    /// Wraps key PEM text as read from a file (it is not checked here).
    pub(crate) fn from_text(text: String) -> Self {
        Self(der::zeroize::Zeroizing::new(text))
    }

    /// The PEM text.
    #[must_use]
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for KeyPem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("KeyPem(<redacted>)")
    }
}

impl PartialEq for KeyPem {
    fn eq(&self, other: &Self) -> bool {
        self.as_str() == other.as_str()
    }
}

impl Eq for KeyPem {}

/// The public half of the private key in `src`, as the certificate checks need it.
/// Loading a key costs a scalar multiplication (the decoder checks the embedded public
/// key against the secret) and deriving the public half another, and every render
/// checks every key against its certificate; so the answer is kept per process, keyed
/// by a digest of the PEM text. Only a public key is kept, never the secret; a key that
/// fails to load is not kept, and fails again on the next call.
///
/// # Errors
/// As [`KeyPair::from_pem`].
pub(crate) fn public_key_of(src: PemSource<'_>, role: Role) -> Result<VerifyingKey, CertError> {
    use sha2::{Digest, Sha256};
    static DERIVED: crate::memo::Memo<[u8; 32], VerifyingKey> = crate::memo::Memo::new(1024);
    DERIVED.get_or_try(Sha256::digest(src.text.as_bytes()).into(), || {
        Ok(KeyPair::from_pem(src, role)?.verifying_key())
    })
}
