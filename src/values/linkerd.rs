//! Values of the Linkerd bundles (CRDs and control plane), pinned to edge-26.8.3.
//! Key names follow the upstream chart where one exists, so that a reader who knows
//! `linkerd install --set …` finds the same knob here.

use serde::{Deserialize, Serialize};

use super::check;
use super::dgraph::PullPolicy;
use super::Problems;

#[derive(Debug, Clone, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Linkerd {
    /// Namespace of the control plane.
    pub namespace: String,
    /// The Linkerd release; also the tag of every Linkerd image.
    pub version: String,
    /// Trust domain of mesh identities (`<sa>.<ns>.serviceaccount.identity.<ns>.<trustDomain>`).
    pub trust_domain: String,
    /// Image registry prefix, with `linkerd install --registry` semantics: it replaces
    /// `cr.l5d.io/linkerd` in every Linkerd image name.
    pub registry: String,
    pub image_pull_policy: PullPolicy,
    /// What upstream's values-ha.yaml sets: 3 replicas, PodDisruptionBudgets, pod
    /// anti-affinity, resource requests and limits, webhooks that fail closed.
    pub high_availability: bool,
    /// Pod and service networks of the cluster; traffic to them is meshed.
    pub cluster_networks: Vec<String>,
    pub controller_log_level: LogLevel,
    pub proxy: Proxy,
    pub identity: Identity,
}

#[derive(Debug, Clone, Copy, Serialize, Deserialize, schemars::JsonSchema, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum LogLevel {
    Trace,
    Debug,
    Info,
    Warn,
    Error,
}

#[derive(Debug, Clone, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Proxy {
    /// The proxy's log filter, e.g. `warn,linkerd=info`.
    pub log_level: String,
    pub log_format: LogFormat,
    /// What a pod without a Server or policy annotation admits.
    pub default_inbound_policy: InboundPolicy,
    pub resources: ProxyResources,
}

#[derive(Debug, Clone, Copy, Serialize, Deserialize, schemars::JsonSchema, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    Plain,
    Json,
}

#[derive(Debug, Clone, Copy, Serialize, Deserialize, schemars::JsonSchema, PartialEq, Eq)]
#[serde(rename_all = "kebab-case")]
pub enum InboundPolicy {
    AllUnauthenticated,
    AllAuthenticated,
    ClusterUnauthenticated,
    ClusterAuthenticated,
    Deny,
    Audit,
}

/// Requests and limits of the proxy sidecar; an empty string leaves one unset.
#[derive(Debug, Clone, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct ProxyResources {
    pub cpu: RequestLimit,
    pub memory: RequestLimit,
    pub ephemeral_storage: RequestLimit,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct RequestLimit {
    pub request: String,
    pub limit: String,
}

#[derive(Debug, Clone, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Identity {
    pub issuer: Issuer,
    /// Lifetime of the workload certificates the identity controller issues.
    pub issuance_lifetime: String,
    pub clock_skew_allowance: String,
}

#[derive(Debug, Clone, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Issuer {
    /// `linkerd.io/tls`: meshgen renders the issuer Secret from certs/.
    /// `kubernetes.io/tls`: an external issuer (cert-manager) manages that Secret.
    pub scheme: IssuerScheme,
}

#[derive(Debug, Clone, Copy, Serialize, Deserialize, schemars::JsonSchema, PartialEq, Eq)]
pub enum IssuerScheme {
    #[serde(rename = "linkerd.io/tls")]
    LinkerdTls,
    #[serde(rename = "kubernetes.io/tls")]
    KubernetesTls,
}

impl ProxyResources {
    /// Every quantity that is set must parse; `path` is where these resources sit.
    pub(crate) fn validate(&self, p: &mut Problems, path: &str) {
        for (name, rl) in [
            ("cpu", &self.cpu),
            ("memory", &self.memory),
            ("ephemeralStorage", &self.ephemeral_storage),
        ] {
            for (kind, v) in [("request", &rl.request), ("limit", &rl.limit)] {
                if !v.is_empty() {
                    p.check(&format!("{path}.{name}.{kind}"), check::quantity(v));
                }
            }
        }
    }
}

impl Linkerd {
    pub(crate) fn validate(&self, p: &mut Problems) {
        p.check("linkerd.namespace", check::dns_label(&self.namespace));
        p.check("linkerd.trustDomain", check::dns_subdomain(&self.trust_domain));
        p.check("linkerd.version", check::image_tag(&self.version));
        p.check("linkerd.registry", registry(&self.registry));
        p.check(
            "linkerd.identity.issuanceLifetime",
            check::duration(&self.identity.issuance_lifetime),
        );
        p.check(
            "linkerd.identity.clockSkewAllowance",
            check::duration(&self.identity.clock_skew_allowance),
        );
        for (i, net) in self.cluster_networks.iter().enumerate() {
            p.check(&format!("linkerd.clusterNetworks[{i}]"), check::cidr(net));
        }
        if self.cluster_networks.is_empty() {
            p.add(
                "linkerd.clusterNetworks",
                "is empty",
                "list the cluster's pod and service CIDRs",
            );
        }
        p.non_empty("linkerd.proxy.logLevel", &self.proxy.log_level);
        self.proxy.resources.validate(p, "linkerd.proxy.resources");
    }
}

/// A registry host (with an optional port) and path, without a tag or a trailing '/'.
pub(crate) fn registry(s: &str) -> Result<(), String> {
    let host = s.split('/').next().unwrap_or("");
    let ok = !host.is_empty()
        && !s.ends_with('/')
        && !s.contains("//")
        && s.chars().all(|c| c.is_ascii_alphanumeric() || "-._:/".contains(c))
        && !s.split('/').skip(1).any(|part| part.contains(':'));
    match ok {
        true => Ok(()),
        false => {
            Err("write a registry and path without a tag or trailing '/', such as myregistry.azurecr.io/linkerd".into())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn registries() {
        for ok in [
            "cr.l5d.io/linkerd",
            "myregistry.azurecr.io/linkerd",
            "localhost:5000/l5d",
            "ghcr.io",
        ] {
            assert!(registry(ok).is_ok(), "{ok}");
        }
        for bad in [
            "",
            "cr.l5d.io/linkerd/",
            "/linkerd",
            "cr.l5d.io/linkerd:edge",
            "a b/c",
            "a//b",
        ] {
            assert!(registry(bad).is_err(), "{bad}");
        }
    }
}
