//! `cargo xtask fleet credentials`: the two `cluster-credentials-<target>` Secrets a
//! Link's controller and the source's destination controller read. They hold a
//! kubeconfig with the target's remote-access ServiceAccount token, which exists
//! only in the live target, so a render can never hold them; this builds them from
//! the token, the target's API server and CA, and both clusters' values, as
//! `linkerd multicluster link-gen` does against a live target. A pure function of
//! its inputs: the same inputs give the same bytes.

use base64ct::{Base64, Encoding};
use serde_json::json;

use super::Fleet;
use crate::error::{Error, Result};
use crate::manifest::Manifest;
use crate::renderer::Renderer;

/// The Secret type the service mirror reads a target's kubeconfig from.
const SECRET_TYPE: &str = "mirror.linkerd.io/remote-kubeconfig";

/// What only the live target knows.
#[derive(Debug, Clone)]
pub struct TargetAccess<'a> {
    /// The target's API server, as the source cluster reaches it (`https://…`).
    pub server: &'a str,
    /// The PEM CA certificate(s) the API server's certificate chains to.
    pub ca_pem: &'a str,
    /// The remote-access ServiceAccount's token, from the target's token Secret.
    pub token: &'a str,
}

impl Fleet {
    /// The two Secrets of [`Self::credentials`] sealed for git, where cluster `from`
    /// seals its Secrets (`secrets.sops`): each with the path it takes under
    /// `generated/clusters/<from>/` (`<bundle>/sealed/secret-<name>.yaml`), where the
    /// next render keeps it and lists it in its bundle; `None` where `from` seals
    /// nothing. Sealed at `now`, which only dates the seal.
    pub fn sealed_credentials(
        &self,
        base: &Renderer,
        from: &str,
        secrets: &[(String, Manifest)],
        now: crate::certs::time::OffsetDateTime,
    ) -> Result<Option<Vec<(String, String)>>> {
        let values = self.values(base, from)?;
        if !values.secrets.sops.enabled() {
            return Ok(None);
        }
        let lastmodified = crate::sealing::lastmodified(now)?;
        let recipients = &values.secrets.sops.age_recipients;
        let mut sealed = Vec::new();
        for (_, m) in secrets {
            let bundle = match m.namespace.as_deref() {
                Some(ns) if ns == values.linkerd.namespace => "linkerd",
                _ => crate::bundles::multicluster::BUNDLE,
            };
            let path = crate::sealing::Candidate::new(bundle, &m.name, None).path;
            sealed.push((path, crate::sealing::seal(&m.body, recipients, &lastmodified)?));
        }
        Ok(Some(sealed))
    }

    /// The two Secrets for cluster `from`'s Link to `to`, checked: the first in
    /// `from`'s multicluster namespace (for `controller-<to>`), the second in its
    /// Linkerd namespace, labelled and annotated for the destination controller.
    /// Each comes with the path it takes under `secrets/clusters/<from>/`.
    pub fn credentials(
        &self,
        base: &Renderer,
        from: &str,
        to: &str,
        access: &TargetAccess<'_>,
    ) -> Result<Vec<(String, Manifest)>> {
        let source_cluster = self.cluster(from)?;
        self.cluster(to)?;
        let c = self.index(from);
        if !source_cluster.links.iter().any(|l| l.to == to) {
            return Err(self.error(
                &format!("clusters[{c}].links"),
                &format!("`{from}` has no Link to `{to}`"),
                &format!("add `{{to: {to}}}` to {from}'s links, or pass the cluster that links to {to} as --from"),
            ));
        }
        let (source, target) = (self.values(base, from)?, self.values(base, to)?);
        let bad = |what: &str, message: String| {
            Error::Values {
            file: "fleet credentials".into(),
            path: what.into(),
            message,
            help: "give the target's API server URL, its CA file and the remote-access token (see the README's \"Fleets\")".into(),
        }
        };
        if !access.server.starts_with("https://") || access.server.chars().any(char::is_whitespace) {
            return Err(bad("--server", format!("`{}` is not an https:// URL", access.server)));
        }
        let ca = access.ca_pem.trim();
        if !ca.starts_with("-----BEGIN CERTIFICATE-----") || !ca.ends_with("-----END CERTIFICATE-----") {
            return Err(bad("--ca-file", "does not hold a PEM certificate".into()));
        }
        let token = access.token.trim();
        if token.is_empty() || token.chars().any(char::is_whitespace) {
            return Err(bad("--token-file", "does not hold one token".into()));
        }
        let user = &target.multicluster.remote_mirror_service_account_name;
        let kubeconfig = crate::yaml::to_canonical(&json!({
            "apiVersion": "v1",
            "kind": "Config",
            "clusters": [{"name": to, "cluster": {
                "server": access.server,
                "certificate-authority-data": Base64::encode_string(format!("{ca}\n").as_bytes()),
            }}],
            "contexts": [{"name": to, "context": {"cluster": to, "user": user}}],
            "current-context": to,
            "users": [{"name": user, "user": {"token": token}}],
        }));
        let data = Base64::encode_string(kubeconfig.as_bytes());
        let name = crate::bundles::multicluster::credentials_secret_name(to);
        let for_controller = json!({
            "apiVersion": "v1",
            "kind": "Secret",
            "metadata": {"name": name, "namespace": source.multicluster.namespace},
            "type": SECRET_TYPE,
            "data": {"kubeconfig": data},
        });
        let for_destination = json!({
            "apiVersion": "v1",
            "kind": "Secret",
            "metadata": {
                "name": name,
                "namespace": source.linkerd.namespace,
                "labels": {"multicluster.linkerd.io/cluster-name": to},
                "annotations": {
                    "multicluster.linkerd.io/trust-domain": target.linkerd.trust_domain,
                    "multicluster.linkerd.io/cluster-domain": target.cluster_domain,
                },
            },
            "type": SECRET_TYPE,
            "data": {"kubeconfig": data},
        });
        [for_controller, for_destination]
            .into_iter()
            .map(|body| {
                let m = Manifest::from_json("credentials", "fleet credentials", body)?;
                crate::validate::object(&m)?;
                let ns = m.namespace.clone().unwrap_or_default();
                Ok((format!("credentials/{ns}-{name}.yaml"), m))
            })
            .collect()
    }
}
