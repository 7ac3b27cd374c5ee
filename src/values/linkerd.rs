//! Values of the Linkerd bundles (CRDs and control plane), pinned to edge-26.8.3.
//! Key names follow the upstream chart where one exists, so that a reader who knows
//! `linkerd install --set …` finds the same knob here.

use serde::{Deserialize, Serialize};

use super::Problems;
use super::PullPolicy;
use crate::api_rules;

#[derive(Debug, Clone, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
/// The Linkerd CRDs and control plane.
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
    /// When the kubelet pulls the Linkerd images.
    pub image_pull_policy: PullPolicy,
    /// What upstream's values-ha.yaml sets: 3 replicas, PodDisruptionBudgets, pod
    /// anti-affinity, resource requests and limits, webhooks that fail closed.
    pub high_availability: bool,
    /// Pod and service networks of the cluster; traffic to them is meshed.
    pub cluster_networks: Vec<String>,
    /// Log level of the controllers.
    pub controller_log_level: LogLevel,
    /// The linkerd-proxy sidecars.
    pub proxy: Proxy,
    /// The identity controller and its issuer.
    pub identity: Identity,
}

#[derive(Debug, Clone, Copy, Serialize, Deserialize, schemars::JsonSchema, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
/// A controller log level.
pub enum LogLevel {
    /// Everything, very verbose.
    Trace,
    /// Debugging detail.
    Debug,
    /// Normal operation.
    Info,
    /// Problems only.
    Warn,
    /// Errors only.
    Error,
}

#[derive(Debug, Clone, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
/// Settings of every linkerd-proxy, the control plane's and the injected ones.
pub struct Proxy {
    /// The proxy's log filter, e.g. `warn,linkerd=info`.
    pub log_level: String,
    /// Plain text or JSON log lines.
    pub log_format: LogFormat,
    /// What a pod without a Server or policy annotation admits.
    pub default_inbound_policy: InboundPolicy,
    /// Requests and limits of each proxy.
    pub resources: ProxyResources,
}

#[derive(Debug, Clone, Copy, Serialize, Deserialize, schemars::JsonSchema, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
/// The proxy's log format.
pub enum LogFormat {
    /// Plain text.
    Plain,
    /// One JSON object per line.
    Json,
}

#[derive(Debug, Clone, Copy, Serialize, Deserialize, schemars::JsonSchema, PartialEq, Eq)]
#[serde(rename_all = "kebab-case")]
/// What a meshed pod admits without a Server or policy annotation.
pub enum InboundPolicy {
    /// Every client, meshed or not.
    AllUnauthenticated,
    /// Meshed clients only.
    AllAuthenticated,
    /// Every client from the cluster networks.
    ClusterUnauthenticated,
    /// Meshed clients from the cluster networks.
    ClusterAuthenticated,
    /// Nothing.
    Deny,
    /// Everything, logging what deny would refuse.
    Audit,
}

impl InboundPolicy {
    /// The annotation's spelling, which is also the policy controller's.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::AllUnauthenticated => "all-unauthenticated",
            Self::AllAuthenticated => "all-authenticated",
            Self::ClusterUnauthenticated => "cluster-unauthenticated",
            Self::ClusterAuthenticated => "cluster-authenticated",
            Self::Deny => "deny",
            Self::Audit => "audit",
        }
    }
}

/// Requests and limits of the proxy sidecar; an empty string leaves one unset.
#[derive(Debug, Clone, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct ProxyResources {
    /// CPU request and limit.
    pub cpu: RequestLimit,
    /// Memory request and limit.
    pub memory: RequestLimit,
    /// Ephemeral storage request and limit.
    pub ephemeral_storage: RequestLimit,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
/// A request and a limit, as Kubernetes quantities; an empty string leaves one unset.
pub struct RequestLimit {
    /// What the scheduler reserves.
    pub request: String,
    /// What the container may use at most.
    pub limit: String,
}

#[derive(Debug, Clone, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
/// The identity controller.
pub struct Identity {
    /// Who manages the issuer's Secret.
    pub issuer: Issuer,
    /// Lifetime of the workload certificates the identity controller issues.
    pub issuance_lifetime: String,
    /// How far apart node clocks may drift, as a Go duration.
    pub clock_skew_allowance: String,
}

#[derive(Debug, Clone, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
/// The identity issuer.
pub struct Issuer {
    /// `linkerd.io/tls`: meshgen renders the issuer Secret from certs/.
    /// `kubernetes.io/tls`: an external issuer (cert-manager) manages that Secret.
    pub scheme: IssuerScheme,
}

#[derive(Debug, Clone, Copy, Serialize, Deserialize, schemars::JsonSchema, PartialEq, Eq)]
/// Who writes the `linkerd-identity-issuer` Secret.
pub enum IssuerScheme {
    #[serde(rename = "linkerd.io/tls")]
    /// meshgen, from `certs/` (into `secrets/`).
    LinkerdTls,
    #[serde(rename = "kubernetes.io/tls")]
    /// An external issuer, such as cert-manager.
    KubernetesTls,
}

impl ProxyResources {
    /// Every quantity that is set must parse and not be negative, and a limit must
    /// not be below its request; `path` is where these resources sit.
    pub(crate) fn validate(&self, p: &mut Problems, path: &str) {
        for (name, rl) in [
            ("cpu", &self.cpu),
            ("memory", &self.memory),
            ("ephemeralStorage", &self.ephemeral_storage),
        ] {
            for (kind, v) in [("request", &rl.request), ("limit", &rl.limit)] {
                if !v.is_empty() {
                    super::check_amount(p, &format!("{path}.{name}.{kind}"), v);
                }
            }
            if !rl.request.is_empty() && !rl.limit.is_empty() {
                super::check_limit(
                    p,
                    &format!("{path}.{name}.limit"),
                    &rl.request,
                    &rl.limit,
                    &format!("{path}.{name}.request"),
                );
            }
        }
    }
}

impl Linkerd {
    pub(crate) fn validate(&self, p: &mut Problems) {
        p.check("linkerd.namespace", api_rules::dns_label(&self.namespace));
        p.check("linkerd.trustDomain", api_rules::dns_subdomain(&self.trust_domain));
        p.check("linkerd.version", api_rules::image_tag(&self.version));
        p.check("linkerd.registry", api_rules::image_registry(&self.registry));
        p.check(
            "linkerd.registry",
            image_names_fit(&self.registry, &["controller", "proxy", "debug"]),
        );
        p.check(
            "linkerd.identity.issuanceLifetime",
            api_rules::duration(&self.identity.issuance_lifetime),
        );
        p.check(
            "linkerd.identity.clockSkewAllowance",
            api_rules::duration(&self.identity.clock_skew_allowance),
        );
        for (i, net) in self.cluster_networks.iter().enumerate() {
            p.check(&format!("linkerd.clusterNetworks[{i}]"), api_rules::cidr(net));
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

/// `<registry>/<name>` must stay within the 255 characters of an image name for
/// every image `names` the registry is put in front of.
pub(crate) fn image_names_fit(registry: &str, names: &[&str]) -> Result<(), String> {
    match names.iter().find(|n| api_rules::image_reference(&format!("{registry}/{n}")).is_err()) {
        None => Ok(()),
        Some(name) => Err(format!(
            "`{registry}/{name}` is longer than the 255 characters a registry accepts in an image name; use a shorter registry"
        )),
    }
}
