//! `validity.yaml`: the names and validity windows the certificates of a [`CertStore`]
//! were minted with. It is committed next to the certificates, so that minting again from
//! the same (gitignored) keys and these dates gives byte-identical certificates.
//!
//! [`CertStore`]: super::CertStore

use std::collections::BTreeMap;

use serde::Deserialize;

use super::webhook::{check_dns_label, check_dns_name};
use super::{
    issuer_common_name, rfc3339, webhook_dns_name, MintError, Validity, DEFAULT_LINKERD_NAMESPACE,
    DEFAULT_TRUST_DOMAIN, LINKERD_WEBHOOK_SERVICES, VIZ_WEBHOOK_SERVICES,
};

/// Default namespace of the Linkerd viz extension.
pub const DEFAULT_VIZ_NAMESPACE: &str = "linkerd-viz";

/// The names certificates are minted for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoreSettings {
    trust_domain: String,
    linkerd_namespace: String,
    viz_namespace: String,
}

impl Default for StoreSettings {
    fn default() -> Self {
        Self {
            trust_domain: DEFAULT_TRUST_DOMAIN.to_owned(),
            linkerd_namespace: DEFAULT_LINKERD_NAMESPACE.to_owned(),
            viz_namespace: DEFAULT_VIZ_NAMESPACE.to_owned(),
        }
    }
}

impl StoreSettings {
    /// Checks the trust domain is a lowercase DNS name and the namespaces DNS labels.
    ///
    /// # Errors
    /// [`MintError::Name`] naming the unusable value.
    pub fn new(trust_domain: &str, linkerd_namespace: &str, viz_namespace: &str) -> Result<Self, MintError> {
        check_dns_name(trust_domain)?;
        check_dns_label(linkerd_namespace)?;
        check_dns_label(viz_namespace)?;
        Ok(Self {
            trust_domain: trust_domain.to_owned(),
            linkerd_namespace: linkerd_namespace.to_owned(),
            viz_namespace: viz_namespace.to_owned(),
        })
    }

    /// The trust domain, e.g. `cluster.local`.
    #[must_use]
    pub fn trust_domain(&self) -> &str {
        &self.trust_domain
    }

    /// The Linkerd control-plane namespace, e.g. `linkerd`.
    #[must_use]
    pub fn linkerd_namespace(&self) -> &str {
        &self.linkerd_namespace
    }

    /// The viz extension's namespace, e.g. `linkerd-viz`.
    #[must_use]
    pub fn viz_namespace(&self) -> &str {
        &self.viz_namespace
    }

    /// `identity.<linkerd namespace>.<trust domain>`.
    #[must_use]
    pub fn issuer_common_name(&self) -> String {
        issuer_common_name(&self.linkerd_namespace, &self.trust_domain)
    }

    /// The webhook services and their namespaces: Linkerd's three, then viz's two.
    #[must_use]
    pub fn webhooks(&self) -> Vec<(&'static str, &str)> {
        let linkerd = LINKERD_WEBHOOK_SERVICES
            .iter()
            .map(|s| (*s, self.linkerd_namespace.as_str()));
        let viz = VIZ_WEBHOOK_SERVICES.iter().map(|s| (*s, self.viz_namespace.as_str()));
        linkerd.chain(viz).collect()
    }

    /// The DNS name the API server dials for `service`: its namespace from
    /// [`Self::webhooks`], the Linkerd namespace for services not listed there.
    #[must_use]
    pub fn webhook_dns_name(&self, service: &str) -> String {
        let namespace = self
            .webhooks()
            .into_iter()
            .find(|(s, _)| *s == service)
            .map_or(self.linkerd_namespace.as_str(), |(_, ns)| ns);
        webhook_dns_name(service, namespace)
    }
}

/// The contents of `validity.yaml`: settings and, per certificate file minted here, its
/// validity window. Certificates that were imported have no entry.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ValidityRecord {
    /// The names the certificates were minted for.
    pub settings: StoreSettings,
    /// Validity window per certificate file, keyed by its path in the store (`ca.crt`).
    pub windows: BTreeMap<String, Validity>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct RecordFile {
    trust_domain: String,
    linkerd_namespace: String,
    viz_namespace: String,
    #[serde(default)]
    certificates: BTreeMap<String, WindowFile>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct WindowFile {
    not_before: String,
    not_after: String,
}

impl ValidityRecord {
    /// The file's text: fixed layout, keys sorted, times in RFC 3339 UTC.
    #[must_use]
    pub fn render(&self) -> String {
        let s = &self.settings;
        let mut out = String::from(
            "# Written by `cargo xtask certs`; commit it. The names and validity windows the\n\
             # certificates in this directory were minted with: minting again from the same keys\n\
             # (the gitignored *.key files) and these dates gives byte-identical certificates.\n",
        );
        out.push_str(&format!("trustDomain: \"{}\"\n", s.trust_domain));
        out.push_str(&format!("linkerdNamespace: \"{}\"\n", s.linkerd_namespace));
        out.push_str(&format!("vizNamespace: \"{}\"\n", s.viz_namespace));
        if self.windows.is_empty() {
            out.push_str("certificates: {}\n");
            return out;
        }
        out.push_str("certificates:\n");
        for (file, window) in &self.windows {
            out.push_str(&format!(
                "  \"{file}\":\n    notBefore: \"{}\"\n    notAfter: \"{}\"\n",
                rfc3339(window.not_before()),
                rfc3339(window.not_after())
            ));
        }
        out
    }

    /// Reads the file's text back.
    ///
    /// # Errors
    /// A message saying what is wrong (syntax, unknown key, bad name or time).
    pub fn parse(text: &str) -> Result<Self, String> {
        let file: RecordFile = serde_saphyr::from_str(text).map_err(|e| e.to_string())?;
        let settings = StoreSettings::new(&file.trust_domain, &file.linkerd_namespace, &file.viz_namespace)
            .map_err(|e| e.to_string())?;
        let mut windows = BTreeMap::new();
        for (cert, w) in file.certificates {
            let validity = Validity::from_rfc3339(&w.not_before, &w.not_after).map_err(|e| format!("`{cert}`: {e}"))?;
            windows.insert(cert, validity);
        }
        Ok(Self { settings, windows })
    }
}
