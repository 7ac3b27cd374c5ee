//! Reading parsed certificates: algorithms, names, constraints, times and signatures.

use const_oid::db::{rfc5912, rfc8410};
use const_oid::ObjectIdentifier;
use der::asn1::AnyRef;
use der::{Decode, Encode, SliceReader};
use p256::ecdsa::{signature::Verifier, Signature, VerifyingKey};
use time::OffsetDateTime;
use x509_cert::ext::pkix::{BasicConstraints, KeyUsage, KeyUsages};
use x509_cert::time::Time;
use x509_cert::Certificate;

use super::pem::parse_blocks;
use super::{CertError, PemSource, Role};

/// A certificate as read from PEM, with its original DER kept for byte-exact work.
pub(crate) struct Parsed {
    pub cert: Certificate,
    pub der: Vec<u8>,
}

/// Reads every `CERTIFICATE` block in `src`; at least one must be present.
pub(crate) fn parse_certs(src: PemSource<'_>, role: Role) -> Result<Vec<Parsed>, CertError> {
    let blocks = parse_blocks(src, role)?;
    let mut out = Vec::with_capacity(blocks.len());
    for (i, block) in blocks.into_iter().enumerate() {
        let malformed = |detail: String| CertError::MalformedPem {
            file: src.label.to_owned(),
            role,
            detail,
        };
        if block.label != "CERTIFICATE" {
            return Err(malformed(format!(
                "PEM block {} is a {} block, expected CERTIFICATE",
                i + 1,
                block.label
            )));
        }
        let cert = Certificate::from_der(&block.der)
            .map_err(|e| malformed(format!("PEM block {} is not a DER X.509 certificate ({e})", i + 1)))?;
        out.push(Parsed { cert, der: block.der });
    }
    Ok(out)
}

/// Human name of a public-key algorithm, e.g. `RSA`, `ECDSA P-384`.
pub(crate) fn key_algorithm_name(alg: ObjectIdentifier, curve: Option<ObjectIdentifier>) -> String {
    if alg == rfc5912::ID_EC_PUBLIC_KEY {
        let curve_name = match curve {
            Some(c) if c == rfc5912::SECP_256_R_1 => "P-256".to_owned(),
            Some(c) if c == rfc5912::SECP_384_R_1 => "P-384".to_owned(),
            Some(c) if c == rfc5912::SECP_521_R_1 => "P-521".to_owned(),
            Some(c) if c.to_string() == "1.3.132.0.10" => "secp256k1".to_owned(),
            Some(c) => format!("curve {c}"),
            None => "explicit curve parameters".to_owned(),
        };
        return format!("ECDSA {curve_name}");
    }
    if alg == rfc5912::RSA_ENCRYPTION {
        return "RSA".to_owned();
    }
    if alg == rfc5912::ID_RSASSA_PSS {
        return "RSA-PSS".to_owned();
    }
    if alg == rfc8410::ID_ED_25519 {
        return "Ed25519".to_owned();
    }
    if alg == rfc8410::ID_ED_448 {
        return "Ed448".to_owned();
    }
    if alg == rfc5912::ID_DSA {
        return "DSA".to_owned();
    }
    format!("an unknown key algorithm ({alg})")
}

/// Human name of a signature algorithm.
pub(crate) fn signature_algorithm_name(alg: ObjectIdentifier) -> String {
    let name = match alg.to_string().as_str() {
        "1.2.840.10045.4.1" => "ecdsa-with-SHA1",
        "1.2.840.10045.4.3.1" => "ecdsa-with-SHA224",
        "1.2.840.10045.4.3.2" => "ecdsa-with-SHA256",
        "1.2.840.10045.4.3.3" => "ecdsa-with-SHA384",
        "1.2.840.10045.4.3.4" => "ecdsa-with-SHA512",
        "1.2.840.113549.1.1.4" => "md5WithRSAEncryption",
        "1.2.840.113549.1.1.5" => "sha1WithRSAEncryption",
        "1.2.840.113549.1.1.10" => "RSASSA-PSS",
        "1.2.840.113549.1.1.11" => "sha256WithRSAEncryption",
        "1.2.840.113549.1.1.12" => "sha384WithRSAEncryption",
        "1.2.840.113549.1.1.13" => "sha512WithRSAEncryption",
        "1.3.101.112" => "Ed25519",
        "1.3.101.113" => "Ed448",
        other => return format!("an unknown algorithm ({other})"),
    };
    name.to_owned()
}

impl Parsed {
    pub(super) fn subject_cn(&self) -> Option<String> {
        cn_of(self.cert.tbs_certificate().subject())
    }

    /// `CN=...` of the subject, or the whole name when there is no CN.
    pub(super) fn subject_display(&self) -> String {
        self.subject_cn()
            .unwrap_or_else(|| self.cert.tbs_certificate().subject().to_string())
    }

    /// Checks the key is ECDSA P-256 and the signature ecdsa-with-SHA256.
    pub(super) fn check_algorithms(&self, file: &str, role: Role) -> Result<(), CertError> {
        let spki = self.cert.tbs_certificate().subject_public_key_info();
        let curve = spki
            .algorithm
            .parameters
            .as_ref()
            .and_then(|p| p.decode_as::<ObjectIdentifier>().ok());
        if spki.algorithm.oid != rfc5912::ID_EC_PUBLIC_KEY || curve != Some(rfc5912::SECP_256_R_1) {
            return Err(CertError::UnsupportedKeyAlgorithm {
                file: file.to_owned(),
                role,
                found: key_algorithm_name(spki.algorithm.oid, curve),
            });
        }
        let sig_alg = self.cert.signature_algorithm().oid;
        if sig_alg != rfc5912::ECDSA_WITH_SHA_256 || self.cert.tbs_certificate().signature().oid != sig_alg {
            return Err(CertError::UnsupportedSignatureAlgorithm {
                file: file.to_owned(),
                role,
                found: signature_algorithm_name(sig_alg),
            });
        }
        Ok(())
    }

    /// The P-256 public key; `None` when the SPKI is not a valid P-256 point.
    pub(super) fn p256_key(&self) -> Option<VerifyingKey> {
        let spki = self.cert.tbs_certificate().subject_public_key_info();
        VerifyingKey::from_sec1_bytes(spki.subject_public_key.as_bytes()?).ok()
    }

    pub(super) fn basic_constraints(&self) -> Option<BasicConstraints> {
        self.cert
            .tbs_certificate()
            .get_extension::<BasicConstraints>()
            .ok()
            .flatten()
            .map(|(_, bc)| bc)
    }

    pub(super) fn is_ca(&self) -> bool {
        self.basic_constraints().is_some_and(|bc| bc.ca)
    }

    /// `Some(false)` when keyUsage is present without keyCertSign.
    pub(super) fn key_usage_allows_cert_sign(&self) -> Option<bool> {
        self.cert
            .tbs_certificate()
            .get_extension::<KeyUsage>()
            .ok()
            .flatten()
            .map(|(_, ku)| ku.0.contains(KeyUsages::KeyCertSign))
    }

    /// DNS names in the subjectAltName extension.
    pub(super) fn dns_names(&self) -> Vec<String> {
        let san = self
            .cert
            .tbs_certificate()
            .get_extension::<x509_cert::ext::pkix::SubjectAltName>()
            .ok()
            .flatten();
        san.map(|(_, san)| san.0)
            .unwrap_or_default()
            .iter()
            .filter_map(|name| match name {
                x509_cert::ext::pkix::name::GeneralName::DnsName(dns) => Some(dns.to_string()),
                _ => None,
            })
            .collect()
    }

    pub(super) fn subject_key_id(&self) -> Option<Vec<u8>> {
        self.cert
            .tbs_certificate()
            .get_extension::<x509_cert::ext::pkix::SubjectKeyIdentifier>()
            .ok()
            .flatten()
            .map(|(_, ski)| ski.0.as_bytes().to_vec())
    }

    pub(super) fn not_before(&self) -> OffsetDateTime {
        to_offset(self.cert.tbs_certificate().validity().not_before)
    }

    pub(super) fn not_after(&self) -> OffsetDateTime {
        to_offset(self.cert.tbs_certificate().validity().not_after)
    }

    /// Whether `issuer` (its key) produced this certificate's signature. The answer is
    /// a pure function of the two certificates, and an ECDSA verification costs more than
    /// the rest of a render's certificate checks together, so each pair is verified once
    /// per process: a fleet renders many clusters under one anchor, a library caller or
    /// a benchmark renders the same store again and again.
    pub(super) fn signed_by(&self, issuer: &Parsed) -> bool {
        use sha2::{Digest, Sha256};
        static VERIFIED: crate::memo::Memo<[u8; 32], bool> = crate::memo::Memo::new(1024);
        let mut hasher = Sha256::new();
        hasher.update((self.der.len() as u64).to_be_bytes());
        hasher.update(&self.der);
        hasher.update(&issuer.der);
        VERIFIED.get_or(hasher.finalize().into(), || self.verify_signature(issuer))
    }

    fn verify_signature(&self, issuer: &Parsed) -> bool {
        let Some(key) = issuer.p256_key() else {
            return false;
        };
        let Some(tbs) = raw_tbs(&self.der) else {
            return false;
        };
        let Some(sig_bytes) = self.cert.signature().as_bytes() else {
            return false;
        };
        let Ok(sig) = Signature::from_der(sig_bytes) else {
            return false;
        };
        key.verify(&tbs, &sig).is_ok()
    }

    pub(super) fn subject_der(&self) -> Vec<u8> {
        self.cert.tbs_certificate().subject().to_der().unwrap_or_default()
    }

    pub(super) fn issuer_der(&self) -> Vec<u8> {
        self.cert.tbs_certificate().issuer().to_der().unwrap_or_default()
    }
}

fn cn_of(name: &x509_cert::name::Name) -> Option<String> {
    name.common_name().ok().flatten().map(String::from)
}

/// The tbsCertificate TLV exactly as it appears in `der`.
fn raw_tbs(der: &[u8]) -> Option<Vec<u8>> {
    let outer = AnyRef::from_der(der).ok()?;
    let mut reader = SliceReader::new(outer.value()).ok()?;
    let tbs = AnyRef::decode(&mut reader).ok()?;
    tbs.to_der().ok()
}

fn to_offset(t: Time) -> OffsetDateTime {
    let secs = i64::try_from(t.to_unix_duration().as_secs()).unwrap_or(i64::MAX);
    OffsetDateTime::from_unix_timestamp(secs).unwrap_or(OffsetDateTime::UNIX_EPOCH)
}
