//! Secrets sealed for git in SOPS's own file format, so that `sops -d` and Flux's
//! kustomize-controller (which decrypts with sops's Go packages, by default without
//! checking the MAC) open what meshgen writes, without meshgen shelling out to a sops
//! binary. Only what a Secret needs is here: age X25519 recipients, YAML, and
//! `encrypted_regex: ^(data|stringData)$`, which encrypts the values under `data` and
//! `stringData` and leaves the rest readable, under the MAC.
//!
//! The format follows sops v3.13.2: values in [`cipher`], the MAC in [`mac`], the data
//! key's wrapping in [`keys`], and the `sops` metadata block here.

mod cipher;
mod keys;
mod mac;
#[cfg(test)]
mod tests;

use regex::Regex;
#[cfg(test)]
use serde_json::Map;
use serde_json::{json, Value};

use crate::error::{Error, Result};

/// The top-level key of sops's metadata.
const METADATA: &str = "sops";

/// Which keys' values are encrypted: a value is encrypted when any key on its path matches.
pub(crate) const ENCRYPTED_REGEX: &str = "^(data|stringData)$";

/// The sops release whose format this writes (`sops.version`). sops compares it with its
/// own version on `sops edit` and `updatekeys`, and reports files without one as unsealed.
const SOPS_VERSION: &str = "3.13.2";

/// Where the recipients come from, for error messages.
const RECIPIENTS_KEY: &str = "secrets.sops.ageRecipients";

/// Seals a Secret: `secret` is the plaintext Kubernetes Secret object (JSON value, key order as it will be written);
/// `recipients` are age X25519 recipients ("age1..."), `lastmodified` an RFC 3339 UTC time like "2026-12-07T10:57:10Z".
/// Returns the file text, YAML, that `sops -d` and Flux's kustomize-controller decrypt back to `secret`.
pub(crate) fn seal(secret: &Value, recipients: &[String], lastmodified: &str) -> Result<String> {
    let wrap_to = parse_recipients(recipients)?;
    check_lastmodified(lastmodified)?;
    let Value::Object(fields) = secret else {
        return Err(sops_error("a Secret to seal must be a mapping", BUG));
    };
    if fields.contains_key(METADATA) {
        return Err(sops_error(
            "the Secret has a top-level `sops` key, which sops reserves for its metadata",
            BUG,
        ));
    }
    let key = cipher::random().map_err(|e| sops_error(&e, RETRY))?;
    let rule = Regex::new(ENCRYPTED_REGEX).map_err(|e| sops_error(&e.to_string(), BUG))?;
    let mut sealed = secret.clone();
    let mut walk = Walk {
        key: &key,
        rule: &rule,
        mac: mac::Mac::new(false),
        sealing: true,
    };
    walk.value(&mut sealed, &mut Vec::new())?;
    let mac = cipher::encrypt(&key, walk.mac.hex().as_bytes(), "str", lastmodified).map_err(|e| sops_error(&e, BUG))?;
    let age = wrap_to
        .iter()
        .zip(recipients)
        .map(|(to, name)| {
            let enc = keys::wrap(&key, to).map_err(|e| sops_error(&e, BUG))?;
            Ok(json!({"enc": enc, "recipient": name}))
        })
        .collect::<Result<Vec<_>>>()?;
    // In the order sops writes them (sorted by name, stores/metadata.go), so that the block
    // reads as in any other sops file.
    let metadata = json!({
        "age": age,
        "encrypted_regex": ENCRYPTED_REGEX,
        "lastmodified": lastmodified,
        "mac": mac,
        "version": SOPS_VERSION,
    });
    if let Value::Object(map) = &mut sealed {
        map.insert(METADATA.into(), metadata);
    }
    let text = crate::yaml::to_canonical(&sealed);
    // sops recomputes the MAC from the file as it reads it: the file must read back as the
    // values hashed here, in the same order and with the same types.
    if crate::yaml::parse(&text).as_ref() != Ok(&sealed) {
        return Err(sops_error(
            "the sealed Secret does not read back as it was written",
            BUG,
        ));
    }
    Ok(text)
}

// Opening is for tests and the CI's sample: a render never decrypts.
#[cfg(test)]
/// Opens a sealed file with an age identity (for meshgen's own tests and tools): checks the MAC, returns the Secret.
/// `identity` is an `AGE-SECRET-KEY-1...` or the text of an age identity file.
pub(crate) fn open(text: &str, identity: &str) -> Result<Value> {
    let mut doc = crate::yaml::parse(text).map_err(|e| sops_error(&format!("not YAML: {e}"), NOT_SEALED))?;
    let Value::Object(fields) = &mut doc else {
        return Err(sops_error("not a mapping", NOT_SEALED));
    };
    let Some(Value::Object(meta)) = fields.shift_remove(METADATA) else {
        return Err(sops_error("no `sops` metadata", NOT_SEALED));
    };
    let meta = Metadata::read(&meta)?;
    let identities = keys::identities(identity).map_err(|e| sops_error(&e, IDENTITY))?;
    let key = meta
        .age
        .iter()
        .find_map(|enc| keys::unwrap(enc, &identities))
        .ok_or_else(|| sops_error("none of the file's age recipients is the identity given", IDENTITY))?
        .map_err(|e| sops_error(&e, NOT_SEALED))?;
    let mut walk = Walk {
        key: &key,
        rule: &meta.rule,
        mac: mac::Mac::new(meta.mac_only_encrypted),
        sealing: false,
    };
    walk.value(&mut doc, &mut Vec::new())?;
    let stored =
        cipher::decrypt(&key, &meta.mac, &meta.aad).map_err(|e| sops_error(&format!("`sops.mac` {e}"), CHANGED))?;
    if stored.bytes != walk.mac.hex().as_bytes() {
        return Err(sops_error(
            "MAC mismatch: the file was changed after it was sealed",
            CHANGED,
        ));
    }
    Ok(doc)
}

/// The recipients a sealed file is sealed to, read from its metadata (no key needed).
pub(crate) fn recipients(text: &str) -> Option<Vec<String>> {
    let doc = crate::yaml::parse(text).ok()?;
    doc.get(METADATA)?
        .get("age")?
        .as_array()?
        .iter()
        .map(|entry| Some(entry.get("recipient")?.as_str()?.to_string()))
        .collect()
}

#[cfg(test)]
/// What `open` needs from the `sops` block.
struct Metadata {
    /// Each recipient's wrapped data key.
    age: Vec<String>,
    /// The encrypted MAC, and the additional data it was encrypted under.
    mac: String,
    aad: String,
    rule: Regex,
    mac_only_encrypted: bool,
}

#[cfg(test)]
impl Metadata {
    fn read(meta: &Map<String, Value>) -> Result<Self> {
        let text = |key: &str| {
            meta.get(key)
                .and_then(Value::as_str)
                .ok_or_else(|| sops_error(&format!("`sops.{key}` is missing or not a string"), NOT_SEALED))
        };
        for unsupported in [
            "key_groups",
            "shamir_threshold",
            "unencrypted_suffix",
            "encrypted_suffix",
            "unencrypted_regex",
            "unencrypted_comment_regex",
            "encrypted_comment_regex",
        ] {
            if meta.contains_key(unsupported) {
                return Err(sops_error(
                    &format!("`sops.{unsupported}` is not supported"),
                    NOT_SEALED,
                ));
            }
        }
        let rule = Regex::new(text("encrypted_regex")?)
            .map_err(|e| sops_error(&format!("`sops.encrypted_regex`: {e}"), NOT_SEALED))?;
        let age = meta
            .get("age")
            .and_then(Value::as_array)
            .map(|entries| {
                entries
                    .iter()
                    .filter_map(|e| e.get("enc")?.as_str().map(String::from))
                    .collect()
            })
            .unwrap_or_default();
        Ok(Metadata {
            age,
            mac: text("mac")?.to_string(),
            aad: go_rfc3339(text("lastmodified")?)?,
            rule,
            mac_only_encrypted: meta.get("mac_only_encrypted").and_then(Value::as_bool).unwrap_or(false),
        })
    }
}

/// One pass over a document, sealing or opening its values and hashing them for the MAC,
/// in the order sops walks them: keys in file order, list items in order. A list index is
/// not part of a path (sops passes the list's own path to its items).
struct Walk<'a> {
    key: &'a cipher::DataKey,
    rule: &'a Regex,
    mac: mac::Mac,
    sealing: bool,
}

impl Walk<'_> {
    fn value(&mut self, value: &mut Value, path: &mut Vec<String>) -> Result<()> {
        match value {
            Value::Object(map) => {
                for (key, child) in map.iter_mut() {
                    path.push(key.clone());
                    self.value(child, path)?;
                    path.pop();
                }
            }
            Value::Array(items) => {
                for item in items {
                    self.value(item, path)?;
                }
            }
            // sops leaves a null as it is, outside the MAC.
            Value::Null => {}
            scalar => {
                let encrypted = path.iter().any(|key| self.rule.is_match(key));
                if self.sealing {
                    self.seal(scalar, path, encrypted)?;
                } else {
                    self.open(scalar, path, encrypted)?;
                }
            }
        }
        Ok(())
    }

    fn seal(&mut self, scalar: &mut Value, path: &[String], encrypted: bool) -> Result<()> {
        let kind = match scalar {
            Value::Bool(_) => "bool",
            Value::Number(n) if n.is_f64() => "float",
            Value::Number(n) if n.is_i64() => "int",
            // Go reads it as an unsigned integer, which sops cannot hash or encrypt.
            Value::Number(_) => {
                let at = path.join(".");
                return Err(sops_error(&format!("`{at}` is a number too large for sops"), BUG));
            }
            _ => "str",
        };
        let plain = mac::bytes(scalar).unwrap_or_default();
        self.mac.add(&plain, encrypted);
        // sops keeps an empty string as it is: there is nothing to hide.
        if encrypted && scalar.as_str() != Some("") {
            let sealed = cipher::encrypt(self.key, &plain, kind, &aad(path)).map_err(|e| sops_error(&e, BUG))?;
            *scalar = Value::String(sealed);
        }
        Ok(())
    }

    fn open(&mut self, scalar: &mut Value, path: &[String], encrypted: bool) -> Result<()> {
        if encrypted {
            let at = path.join(".");
            let text = scalar
                .as_str()
                .ok_or_else(|| sops_error(&format!("`{at}` should be encrypted but is not a string"), CHANGED))?;
            if !text.is_empty() {
                let plain = cipher::decrypt(self.key, text, &aad(path))
                    .map_err(|e| sops_error(&format!("`{at}` {e}"), CHANGED))?;
                *scalar = typed(plain).map_err(|e| sops_error(&format!("`{at}`: {e}"), NOT_SEALED))?;
            }
        }
        self.mac.add(&mac::bytes(scalar).unwrap_or_default(), encrypted);
        Ok(())
    }
}

/// The additional data of a value: its path of keys, each followed by `:`.
fn aad(path: &[String]) -> String {
    path.iter().map(|key| format!("{key}:")).collect()
}

/// A decrypted value as the scalar its `type` names, read as sops's Go code reads it.
fn typed(plain: cipher::Plain) -> std::result::Result<Value, String> {
    let text = String::from_utf8(plain.bytes).map_err(|_| "the decrypted value is not UTF-8".to_string())?;
    let bad = |what: &str| format!("`{text}` is not {what}");
    Ok(match plain.kind.as_str() {
        "str" | "bytes" => Value::String(text),
        "int" => Value::from(text.parse::<i64>().map_err(|_| bad("an int"))?),
        "float" => {
            let f = text.parse::<f64>().map_err(|_| bad("a float"))?;
            serde_json::Number::from_f64(f)
                .map(Value::Number)
                .ok_or_else(|| bad("a finite float"))?
        }
        "bool" => match text.as_str() {
            "1" | "t" | "T" | "true" | "TRUE" | "True" => Value::Bool(true),
            "0" | "f" | "F" | "false" | "FALSE" | "False" => Value::Bool(false),
            _ => return Err(bad("a bool")),
        },
        other => return Err(format!("values of type `{other}` are not supported")),
    })
}

/// Checks that `lastmodified` is what sops writes: RFC 3339, UTC, whole seconds. sops
/// encrypts the MAC under the time as Go re-formats it after parsing, so any other
/// spelling of the same time would make the MAC undecryptable.
fn check_lastmodified(lastmodified: &str) -> Result<()> {
    match go_rfc3339(lastmodified) {
        Ok(canonical) if canonical == lastmodified && lastmodified.ends_with('Z') => Ok(()),
        _ => Err(sops_error(
            &format!("lastmodified `{lastmodified}` is not an RFC 3339 UTC time in whole seconds"),
            "give a time like 2026-12-07T10:57:10Z",
        )),
    }
}

/// A time as Go's `time.Parse(time.RFC3339, ...).Format(time.RFC3339)` writes it back:
/// fractions of a second dropped, `Z` for UTC.
fn go_rfc3339(text: &str) -> Result<String> {
    use time::format_description::well_known::Rfc3339;
    let not_a_time = || {
        sops_error(
            &format!("`sops.lastmodified` `{text}` is not an RFC 3339 time"),
            NOT_SEALED,
        )
    };
    let time = time::OffsetDateTime::parse(text, &Rfc3339).map_err(|_| not_a_time())?;
    time.replace_nanosecond(0)
        .ok()
        .and_then(|t| t.format(&Rfc3339).ok())
        .ok_or_else(not_a_time)
}

/// Parses the recipients, naming the values key of a bad one.
#[allow(deprecated)] // X25519, on purpose: see keys.rs.
fn parse_recipients(recipients: &[String]) -> Result<Vec<age::x25519::Recipient>> {
    let values_error = |path: String, message: String| Error::Values {
        file: "values".into(),
        path,
        message,
        help: crate::api_rules::AGE_RECIPIENT_HELP.into(),
    };
    if recipients.is_empty() {
        return Err(values_error(
            RECIPIENTS_KEY.into(),
            "is empty: sealing needs a recipient".into(),
        ));
    }
    recipients
        .iter()
        .enumerate()
        .map(|(i, r)| {
            keys::recipient(r).ok_or_else(|| {
                values_error(
                    format!("{RECIPIENTS_KEY}[{i}]"),
                    format!("`{r}` is not an age recipient"),
                )
            })
        })
        .collect()
}

const BUG: &str = "this is a bug in meshgen; please report it with the Secret's kind of content (not its values)";
const RETRY: &str = "try again; if it persists, check the machine's random number source";
const NOT_SEALED: &str = "give a file that meshgen sealed (sops with age and encrypted_regex), unedited";
#[cfg(test)]
const IDENTITY: &str =
    "give the age identity (AGE-SECRET-KEY-1...) of one of the recipients listed under `sops.age` in the file";
const CHANGED: &str = "the file was edited or corrupted since it was sealed: render and seal it again";

fn sops_error(message: &str, help: &str) -> Error {
    Error::Sops {
        message: message.to_string(),
        help: help.to_string(),
    }
}
