//! The certificate builder shared by the identity and webhook minting functions:
//! tbsCertificate layout, extensions, names, serial numbers and times.
//!
//! Written here on x509-cert's DER types rather than with its `CertificateBuilder`
//! (the `builder` feature), because minting must be a pure function of the keys, the
//! names and the dates: the same inputs give the same bytes, and the certificates
//! already minted (the committed test store among them) must come out identical when
//! minted again. The builder derives the key identifiers from SHA-1 (it adds the sha1
//! crate) where ours are truncated SHA-256, takes the serial number from the caller or
//! a random source, and fixes its own extension order through its profiles; matching
//! today's bytes would mean a custom profile as long as this file.

use const_oid::db::rfc5280::ID_KP_SERVER_AUTH;
use const_oid::db::{rfc4519, rfc5912};
use const_oid::AssociatedOid;
use der::asn1::{Any, BitString, Ia5String, OctetString};
use der::{Decode, Encode, Sequence, Tag};
use p256::ecdsa::{signature::Signer, Signature};
use sha2::{Digest, Sha256};
use time::OffsetDateTime;
use x509_cert::attr::AttributeTypeAndValue;
use x509_cert::ext::pkix::name::GeneralName;
use x509_cert::ext::pkix::{
    AuthorityKeyIdentifier, BasicConstraints, ExtendedKeyUsage, KeyUsage, KeyUsages, SubjectAltName,
    SubjectKeyIdentifier,
};
use x509_cert::ext::Extension;
use x509_cert::name::{Name, RdnSequence, RelativeDistinguishedName};
use x509_cert::serial_number::SerialNumber;
use x509_cert::spki::{AlgorithmIdentifierOwned, SubjectPublicKeyInfoOwned};
use x509_cert::time::{Time, Validity as X509Validity};
use x509_cert::Certificate;

use super::pem::encode;
use super::x509::Parsed;
use super::{CertPem, KeyPair, MintError, Validity};

/// tbsCertificate (RFC 5280 §4.1) as we emit it: always v3 with extensions.
#[derive(Sequence)]
struct Tbs {
    #[asn1(context_specific = "0", tag_mode = "EXPLICIT")]
    version: u8,
    serial: SerialNumber,
    signature: AlgorithmIdentifierOwned,
    issuer: Name,
    validity: X509Validity,
    subject: Name,
    spki: SubjectPublicKeyInfoOwned,
    #[asn1(context_specific = "3", tag_mode = "EXPLICIT")]
    extensions: Vec<Extension>,
}

#[derive(Sequence)]
struct SignedCert {
    tbs: Tbs,
    algorithm: AlgorithmIdentifierOwned,
    signature: BitString,
}

/// What kind of certificate to build.
pub(crate) enum Kind<'a> {
    /// CA certificate with the given path length.
    Ca(u8),
    /// TLS server certificate for one DNS name.
    Server(&'a str),
}

/// Who signs: `None` means self-signed by the subject key.
pub(crate) struct Issuing<'a> {
    pub name: Name,
    pub key: &'a KeyPair,
    pub key_id: Vec<u8>,
}

fn enc_err(what: &'static str) -> impl Fn(der::Error) -> MintError {
    move |e| MintError::Encoding {
        what,
        detail: e.to_string(),
    }
}

pub(crate) fn build(
    subject_cn: &str,
    subject_key: &KeyPair,
    validity: &Validity,
    kind: Kind<'_>,
    signer: Option<Issuing<'_>>,
) -> Result<Parsed, MintError> {
    let subject = cn_name(subject_cn)?;
    let spki_der = subject_key.spki_der()?;
    let spki = SubjectPublicKeyInfoOwned::from_der(&spki_der).map_err(enc_err("public key"))?;
    let key_id = key_identifier(&spki);
    let subject_der = subject.to_der().map_err(enc_err("subject name"))?;

    let mut exts = Vec::new();
    match kind {
        Kind::Ca(path_len) => {
            exts.push(ext(
                &BasicConstraints {
                    ca: true,
                    path_len_constraint: Some(path_len),
                },
                true,
            )?);
            exts.push(ext(&KeyUsage(KeyUsages::KeyCertSign | KeyUsages::CRLSign), true)?);
        }
        Kind::Server(dns) => {
            exts.push(ext(
                &BasicConstraints {
                    ca: false,
                    path_len_constraint: None,
                },
                true,
            )?);
            exts.push(ext(
                &KeyUsage(KeyUsages::DigitalSignature | KeyUsages::KeyEncipherment),
                true,
            )?);
            exts.push(ext(&ExtendedKeyUsage(vec![ID_KP_SERVER_AUTH]), false)?);
            let dns = Ia5String::new(dns).map_err(enc_err("DNS name"))?;
            exts.push(ext(&SubjectAltName(vec![GeneralName::DnsName(dns)]), false)?);
        }
    }
    let ski = OctetString::new(key_id.clone()).map_err(enc_err("key identifier"))?;
    exts.push(ext(&SubjectKeyIdentifier(ski), false)?);

    let (issuer, signing_key) = match signer {
        Some(s) => {
            let aki = AuthorityKeyIdentifier {
                key_identifier: Some(OctetString::new(s.key_id).map_err(enc_err("key identifier"))?),
                authority_cert_issuer: None,
                authority_cert_serial_number: None,
            };
            exts.push(ext(&aki, false)?);
            (s.name, s.key)
        }
        None => (subject.clone(), subject_key),
    };

    let algorithm = AlgorithmIdentifierOwned {
        oid: rfc5912::ECDSA_WITH_SHA_256,
        parameters: None,
    };
    let tbs = Tbs {
        version: 2,
        serial: serial_number(&spki_der, &subject_der, validity)?,
        signature: algorithm.clone(),
        issuer,
        validity: X509Validity::new(x509_time(validity.not_before())?, x509_time(validity.not_after())?),
        subject,
        spki,
        extensions: exts,
    };
    let tbs_der = tbs.to_der().map_err(enc_err("tbsCertificate"))?;
    // RFC 6979: the nonce is derived from the key and the message, so this is deterministic.
    let sig: Signature = signing_key
        .signing_key()
        .try_sign(&tbs_der)
        .map_err(|e| MintError::Signing(e.to_string()))?;
    let signature = BitString::from_bytes(sig.to_der().as_bytes()).map_err(enc_err("signature"))?;
    let der = SignedCert {
        tbs,
        algorithm,
        signature,
    }
    .to_der()
    .map_err(enc_err("certificate"))?;
    let cert = Certificate::from_der(&der).map_err(enc_err("certificate"))?;
    Ok(Parsed { cert, der })
}

fn ext<T: Encode + AssociatedOid>(value: &T, critical: bool) -> Result<Extension, MintError> {
    let bytes = value.to_der().map_err(enc_err("extension"))?;
    Ok(Extension {
        extn_id: T::OID,
        critical,
        extn_value: OctetString::new(bytes).map_err(enc_err("extension"))?,
    })
}

/// A name with a single UTF8String CN, as step writes it.
fn cn_name(cn: &str) -> Result<Name, MintError> {
    let bad = |detail: String| MintError::Name {
        name: cn.to_owned(),
        detail,
    };
    if cn.is_empty() || cn.chars().count() > 64 {
        return Err(bad("a common name must have 1 to 64 characters".to_owned()));
    }
    let value = Any::new(Tag::Utf8String, cn.as_bytes()).map_err(|e| bad(e.to_string()))?;
    let atv = AttributeTypeAndValue {
        oid: rfc4519::CN,
        value,
    };
    let rdn = RelativeDistinguishedName::try_from(vec![atv]).map_err(|e| bad(e.to_string()))?;
    let mut seq = RdnSequence::default();
    seq.push(rdn);
    let der = seq.to_der().map_err(|e| bad(e.to_string()))?;
    Name::from_der(&der).map_err(|e| bad(e.to_string()))
}

/// RFC 7093 §2 method 1: leftmost 160 bits of SHA-256 over the subjectPublicKey bits.
pub(crate) fn key_identifier(spki: &SubjectPublicKeyInfoOwned) -> Vec<u8> {
    let digest = Sha256::digest(spki.subject_public_key.raw_bytes());
    digest.iter().take(20).copied().collect()
}

/// 16 bytes of SHA-256 over (key, subject, dates); top bit cleared, never zero.
fn serial_number(spki_der: &[u8], subject_der: &[u8], validity: &Validity) -> Result<SerialNumber, MintError> {
    let mut h = Sha256::new();
    h.update(b"meshgen certs serial v1\0");
    for part in [spki_der, subject_der] {
        h.update(u64::try_from(part.len()).unwrap_or(u64::MAX).to_be_bytes());
        h.update(part);
    }
    h.update(validity.not_before().unix_timestamp().to_be_bytes());
    h.update(validity.not_after().unix_timestamp().to_be_bytes());
    let digest = h.finalize();
    let mut bytes: Vec<u8> = digest.iter().take(16).copied().collect();
    if let Some(first) = bytes.first_mut() {
        *first &= 0x7f;
    }
    if bytes.iter().all(|b| *b == 0) {
        if let Some(last) = bytes.last_mut() {
            *last = 1;
        }
    }
    SerialNumber::new(&bytes).map_err(enc_err("serial number"))
}

/// UTCTime through 2049, GeneralizedTime from 2050 (RFC 5280 §4.1.2.5).
fn x509_time(t: OffsetDateTime) -> Result<Time, MintError> {
    let secs = u64::try_from(t.unix_timestamp())
        .map_err(|_| MintError::Validity("times before 1970 are not supported".to_owned()))?;
    let dt = der::DateTime::from_unix_duration(std::time::Duration::from_secs(secs)).map_err(enc_err("validity"))?;
    if dt.year() < 2050 {
        Ok(Time::UtcTime(
            der::asn1::UtcTime::from_date_time(dt).map_err(enc_err("validity"))?,
        ))
    } else {
        Ok(Time::GeneralTime(der::asn1::GeneralizedTime::from_date_time(dt)))
    }
}

pub(crate) fn to_pem(p: &Parsed) -> Result<CertPem, MintError> {
    encode("CERTIFICATE", &p.der).map(CertPem)
}
