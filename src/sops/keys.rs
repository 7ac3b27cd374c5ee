//! The data key, wrapped for each age recipient as sops's `age/keysource.go` (v3.13.2)
//! does: the 32 raw bytes encrypted to one X25519 recipient as an ASCII-armored age file,
//! one such file per recipient (`sops.age[].enc`), so any one identity recovers the key.
//!
//! age 0.13 deprecates X25519 in favour of its post-quantum hybrid recipients (`age1pq1`).
//! Sealing stays with X25519 because the recipients in values are X25519 keys and the sops
//! versions that Flux ships decrypt X25519; hence the `allow(deprecated)` below.

#![allow(deprecated)]

#[cfg(test)]
use age::x25519::Identity;
use age::x25519::Recipient;

use super::cipher::DataKey;
#[cfg(test)]
use super::cipher::KEY_LEN;

/// Reads an age X25519 recipient as `age-keygen -y` prints it: `age1`, lower case, and a
/// Bech32 checksum that catches a mistyped character.
pub(crate) fn recipient(text: &str) -> Option<Recipient> {
    text.strip_prefix("age1")?;
    text.parse().ok()
}

/// Wraps the data key for one recipient.
pub(crate) fn wrap(key: &DataKey, to: &Recipient) -> Result<String, String> {
    age::encrypt_and_armor(to, key).map_err(|e| format!("age could not encrypt the data key: {e}"))
}

#[cfg(test)]
/// Reads age identities: one bare `AGE-SECRET-KEY-1...`, or the text of an identity file
/// (`age-keygen`'s output: comment lines and one key per line).
pub(crate) fn identities(text: &str) -> Result<Vec<Identity>, String> {
    let keys: Vec<&str> = text
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .collect();
    if keys.is_empty() {
        return Err("no age identity (AGE-SECRET-KEY-1...) given".into());
    }
    keys.iter()
        .map(|k| {
            k.parse()
                .map_err(|e| format!("not an age X25519 identity (AGE-SECRET-KEY-1...): {e}"))
        })
        .collect()
}

#[cfg(test)]
/// Unwraps one `enc` with the first identity that opens it.
pub(crate) fn unwrap(armored: &str, identities: &[Identity]) -> Option<Result<DataKey, String>> {
    identities.iter().find_map(|identity| {
        let bytes = age::decrypt(identity, armored.as_bytes()).ok()?;
        Some(
            DataKey::try_from(bytes.as_slice())
                .map_err(|_| format!("the data key has {} bytes, not {KEY_LEN}", bytes.len())),
        )
    })
}
