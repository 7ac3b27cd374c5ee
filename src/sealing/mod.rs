//! Secrets sealed for git (`secrets.sops.ageRecipients`): each Secret of `secrets/` is
//! also written, encrypted with SOPS ([`crate::sops`]), as
//! `<bundle>/sealed/secret-<name>.yaml` in the committed tree, and listed by its
//! bundle's kustomization, so that the GitOps engine applies it with the bundle.
//!
//! Encryption is randomised, so sealing again would change every byte on every render.
//! Instead a sealed file carries, in the annotation [`ANNOTATION`], a digest of what it
//! seals: the plaintext Secret and the recipients. A render that holds the key
//! material computes that digest again and keeps the file as it is when they agree, or
//! seals it anew when they do not; a render without the key material (a clone without
//! `certs/*.key`) keeps every sealed file that the values still call for, untouched.
//! Why the digest gives nothing away is in ARCHITECTURE.md ("Sealed Secrets").
//!
//! Which sealed files exist depends on what the output directory already holds, so
//! they join the tree when the output is compared with, or written to, a directory
//! ([`crate::Output::generated_at`]); the render itself stays a pure function.

use std::collections::BTreeMap;

use camino::Utf8Path;
use serde_json::Value as Json;

use crate::digest::sha256_hex;
use crate::error::{Error, Result};

/// The annotation on a sealed Secret that holds the digest of what it seals.
pub const ANNOTATION: &str = "meshgen.io/sealed-sha256";

/// The folder of a bundle that holds its sealed Secrets.
pub(crate) const DIR: &str = "sealed";

/// The file, in a bundle's folder, that hands the sealed Secrets to KSOPS (Argo CD).
pub(crate) const KSOPS_GENERATOR: &str = "secret-generator.yaml";

/// What a render seals, once the output directory is known.
#[derive(Debug, Clone)]
pub(crate) struct Plan {
    /// The age recipients, as the values list them.
    pub recipients: Vec<String>,
    /// `sops.lastmodified` of the files sealed anew: the render's time, in seconds.
    pub lastmodified: String,
    /// Every Secret the values call for, in apply order.
    pub secrets: Vec<Candidate>,
}

/// One Secret to seal.
#[derive(Debug, Clone)]
pub(crate) struct Candidate {
    /// The sealed file's path below the output directory:
    /// `<bundle>/sealed/secret-<name>.yaml`.
    pub path: String,
    /// The plaintext Secret; `None` where its key material is not on this machine.
    pub plain: Option<Json>,
    /// What seals it where no render can: the remedy a warning gives.
    pub sealed_by: &'static str,
}

impl Candidate {
    /// The Secret `name` of `bundle`, whose plaintext file is
    /// `<bundle>/secret-<name>.yaml`, as [`crate::Manifest::file_name`] names it.
    pub(crate) fn new(bundle: &str, name: &str, plain: Option<Json>) -> Self {
        Self {
            path: format!("{bundle}/{DIR}/secret-{name}.yaml"),
            plain,
            sealed_by: "render where its key is",
        }
    }

    /// A Link's credentials Secret, which only `fleet credentials` can seal: it holds a
    /// token that no render ever has.
    pub(crate) fn credentials(bundle: &str, name: &str) -> Self {
        Self {
            sealed_by: "seal it with `cargo xtask fleet credentials` once the target is deployed",
            ..Self::new(bundle, name, None)
        }
    }
}

/// The sealed files of one output directory, and what this machine could not do there.
#[derive(Debug, Default)]
pub(crate) struct Sealed {
    /// Path below the output directory to file text.
    pub files: BTreeMap<String, String>,
    /// Each as `<path>: <why>`: a file the values call for that neither the directory
    /// nor this machine has, or a file kept as it is although it is sealed to other
    /// recipients.
    pub unsealed: Vec<String>,
}

/// The sealed files for `plan` in `out`: kept where `out` holds one that seals the same
/// plaintext to the same recipients (or where the plaintext is not on this machine),
/// sealed anew otherwise.
pub(crate) fn files(plan: &Plan, out: &Utf8Path) -> Result<Sealed> {
    let mut files = BTreeMap::new();
    let mut missing = Vec::new();
    for candidate in &plan.secrets {
        let existing = read_existing(out, &candidate.path)?;
        let text = match (&candidate.plain, existing) {
            (Some(plain), existing) => {
                let digest = digest(plain, &plan.recipients);
                match existing {
                    Some(text) if sealed_digest(&text).as_deref() == Some(digest.as_str()) => text,
                    _ => seal(plain, &plan.recipients, &plan.lastmodified)?,
                }
            }
            (None, Some(text)) => {
                let mut sealed_to = crate::sops::recipients(&text).unwrap_or_default();
                let mut wanted = plan.recipients.clone();
                sealed_to.sort_unstable();
                wanted.sort_unstable();
                if sealed_to != wanted {
                    missing.push(format!(
                        "{}: kept, but sealed to other recipients than secrets.sops.ageRecipients; this machine cannot seal it again: {}",
                        candidate.path, candidate.sealed_by
                    ));
                }
                text
            }
            (None, None) => {
                missing.push(format!(
                    "{}: not sealed: the values call for it, but this machine cannot seal it: {}",
                    candidate.path, candidate.sealed_by
                ));
                continue;
            }
        };
        check(&candidate.path, &text)?;
        files.insert(candidate.path.clone(), text);
    }
    Ok(Sealed {
        files,
        unsealed: missing,
    })
}

/// `sops.lastmodified` for a seal made at `now`: RFC 3339, in whole seconds, UTC.
pub(crate) fn lastmodified(now: crate::certs::time::OffsetDateTime) -> Result<String> {
    let second = now.replace_nanosecond(0).unwrap_or(now);
    (second.to_offset(crate::certs::time::UtcOffset::UTC))
        .format(&crate::certs::time::format_description::well_known::Rfc3339)
        .map_err(|e| Error::Sealed {
            file: "sops.lastmodified".into(),
            message: format!("the time {now} cannot be written in RFC 3339: {e}"),
            help: "seal with a clock between the years 0 and 9999".into(),
        })
}

/// Seals `plain` anew, with its digest annotation, as [`files`] would; for the Secrets
/// a render never holds (a Link's credentials), sealed by the command that makes them.
pub(crate) fn seal(plain: &Json, recipients: &[String], lastmodified: &str) -> Result<String> {
    let text = crate::sops::seal(&annotated(plain, &digest(plain, recipients)), recipients, lastmodified)?;
    Ok(text)
}

/// The digest a sealed file carries: SHA-256 over a version tag, the recipients (sorted,
/// so their order in the values does not matter) and the plaintext Secret as canonical
/// YAML. It changes exactly when a new seal is needed: other key material, other
/// certificates, other recipients, other metadata.
pub(crate) fn digest(plain: &Json, recipients: &[String]) -> String {
    let mut sorted: Vec<&str> = recipients.iter().map(String::as_str).collect();
    sorted.sort_unstable();
    let mut input = String::from("meshgen sealed secret v1\n");
    for r in sorted {
        input.push_str(r);
        input.push('\n');
    }
    input.push('\n');
    input.push_str(&crate::yaml::to_canonical(plain));
    sha256_hex(input.as_bytes())
}

/// `plain` with the digest annotation, which the seal covers with its MAC.
fn annotated(plain: &Json, digest: &str) -> Json {
    let mut body = plain.clone();
    if let Some(metadata) = body.get_mut("metadata").and_then(Json::as_object_mut) {
        let annotations = metadata
            .entry("annotations")
            .or_insert_with(|| Json::Object(Default::default()));
        if let Some(map) = annotations.as_object_mut() {
            map.insert(ANNOTATION.to_string(), Json::String(digest.to_string()));
        }
    }
    body
}

/// The digest annotation of a sealed file's text, if it has one.
pub(crate) fn sealed_digest(text: &str) -> Option<String> {
    let doc = crate::yaml::parse_stream(text).ok()?.into_iter().next()?;
    doc.pointer(&format!("/metadata/annotations/{}", ANNOTATION.replace('/', "~1")))
        .and_then(Json::as_str)
        .map(str::to_string)
}

/// An existing sealed file in `out`; `None` where there is none.
fn read_existing(out: &Utf8Path, path: &str) -> Result<Option<String>> {
    match std::fs::read_to_string(out.join(path)) {
        Ok(text) => Ok(Some(text)),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(Error::io(out.join(path), "cannot read the sealed Secret", e)),
    }
}

/// A sealed file, new or kept, must be a SOPS-sealed Secret whose values are all
/// encrypted: the key-material detector that guards every committed file runs over it
/// too, so a file that someone decrypted in place is never kept.
fn check(path: &str, text: &str) -> Result<()> {
    let fail = |message: &str| Error::Sealed {
        file: path.to_string(),
        message: message.to_string(),
        help: "delete the file and render on a machine that holds the key material, which seals it anew".into(),
    };
    if crate::key_material::holds_key_material(text) {
        return Err(fail("holds a private key in the clear"));
    }
    let doc = crate::yaml::parse_stream(text)
        .ok()
        .and_then(|docs| docs.into_iter().next())
        .ok_or_else(|| fail("is not a YAML document"))?;
    if doc.get("kind").and_then(Json::as_str) != Some("Secret") || doc.get("sops").is_none() {
        return Err(fail("is not a Secret sealed with SOPS"));
    }
    for field in ["data", "stringData"] {
        let Some(values) = doc.get(field).and_then(Json::as_object) else {
            continue;
        };
        if let Some((key, _)) = values
            .iter()
            .find(|(_, v)| !v.as_str().is_some_and(|s| s.starts_with("ENC[AES256_GCM,")))
        {
            return Err(fail(&format!("`{field}.{key}` is not encrypted")));
        }
    }
    Ok(())
}

/// Whether `path` (below an output directory) is a sealed Secret.
pub(crate) fn is_sealed_secret(path: &str) -> bool {
    path.rsplit('/').nth(1) == Some(DIR)
}

/// Whether `path` (below an output directory) is a file of the sealing: a sealed Secret
/// or a bundle's KSOPS generator. These are not objects of the render.
pub(crate) fn is_sealing_file(path: &str) -> bool {
    let mut parts = path.rsplit('/');
    let file = parts.next().unwrap_or_default();
    let parent = parts.next().unwrap_or_default();
    parent == DIR || file == KSOPS_GENERATOR
}

#[cfg(test)]
mod tests;
