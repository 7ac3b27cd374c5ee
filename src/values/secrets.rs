//! `secrets`: how the Secrets that hold key material reach the cluster. They always go
//! to the gitignored `secrets/`; with SOPS recipients they are also sealed for git.

use serde::{Deserialize, Serialize};

use super::Problems;

/// Where the Secrets with key material go besides `secrets/`.
#[derive(Debug, Clone, Default, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Secrets {
    /// Seal every Secret for git with SOPS.
    pub sops: Sops,
}

/// SOPS sealing: each Secret of `secrets/` is also written, encrypted in SOPS's format,
/// as a committed file that Flux (or Argo CD with KSOPS) decrypts when it applies it.
#[derive(Debug, Clone, Default, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Sops {
    /// The age recipients (public keys, `age1...`) the Secrets are sealed to. Empty (the
    /// default) seals nothing. In a fleet, give each cluster its own.
    pub age_recipients: Vec<String>,
}

impl Sops {
    /// Whether Secrets are sealed.
    pub fn enabled(&self) -> bool {
        !self.age_recipients.is_empty()
    }
}

impl Secrets {
    pub(crate) fn validate(&self, p: &mut Problems) {
        let mut seen = std::collections::BTreeSet::new();
        for (i, recipient) in self.sops.age_recipients.iter().enumerate() {
            let at = format!("secrets.sops.ageRecipients[{i}]");
            if let Err(help) = crate::api_rules::age_recipient(recipient) {
                p.add(&at, &format!("`{recipient}` is not an age recipient"), &help);
            } else if !seen.insert(recipient.as_str()) {
                p.add(
                    &at,
                    &format!("`{recipient}` is listed twice"),
                    "list each recipient once",
                );
            }
        }
    }
}
