//! Values of the Linkerd bundles (CRDs and control plane), pinned to edge-26.8.3.
//! Key names follow the upstream chart where one exists, so that a reader who knows
//! `linkerd install --set …` finds the same knob here.

use serde::{Deserialize, Serialize};

use super::check;
use super::dgraph::PullPolicy;
use super::Problems;

#[derive(Debug, Clone, Serialize, Deserialize)]
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
    pub tracing: Tracing,
}

#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum LogLevel {
    Trace,
    Debug,
    Info,
    Warn,
    Error,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Proxy {
    /// The proxy's log filter, e.g. `warn,linkerd=info`.
    pub log_level: String,
    pub log_format: LogFormat,
    /// What a pod without a Server or policy annotation admits.
    pub default_inbound_policy: InboundPolicy,
    pub resources: ProxyResources,
}

#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    Plain,
    Json,
}

#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq)]
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
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct ProxyResources {
    pub cpu: RequestLimit,
    pub memory: RequestLimit,
    pub ephemeral_storage: RequestLimit,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct RequestLimit {
    pub request: String,
    pub limit: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Identity {
    pub issuer: Issuer,
    /// Lifetime of the workload certificates the identity controller issues.
    pub issuance_lifetime: String,
    pub clock_skew_allowance: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Issuer {
    /// `linkerd.io/tls`: meshgen renders the issuer Secret from certs/.
    /// `kubernetes.io/tls`: an external issuer (cert-manager) manages that Secret.
    pub scheme: IssuerScheme,
}

#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq)]
pub enum IssuerScheme {
    #[serde(rename = "linkerd.io/tls")]
    LinkerdTls,
    #[serde(rename = "kubernetes.io/tls")]
    KubernetesTls,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Tracing {
    /// Proxies and controllers export spans to the collector.
    pub enabled: bool,
    /// OpenTelemetry collector address (host:port).
    pub collector: String,
    /// The collector's mesh identity, so that proxies talk to it over mTLS.
    pub collector_service_account: String,
    pub collector_namespace: String,
}

impl Linkerd {
    pub(crate) fn validate(&self, p: &mut Problems) {
        p.check("linkerd.namespace", check::dns_label(&self.namespace));
        p.check("linkerd.trustDomain", check::dns_subdomain(&self.trust_domain));
        p.check("linkerd.version", image_tag(&self.version));
        p.check("linkerd.registry", registry(&self.registry));
        p.check(
            "linkerd.identity.issuanceLifetime",
            duration(&self.identity.issuance_lifetime),
        );
        p.check(
            "linkerd.identity.clockSkewAllowance",
            duration(&self.identity.clock_skew_allowance),
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
        let r = &self.proxy.resources;
        for (name, rl) in [
            ("cpu", &r.cpu),
            ("memory", &r.memory),
            ("ephemeralStorage", &r.ephemeral_storage),
        ] {
            for (kind, v) in [("request", &rl.request), ("limit", &rl.limit)] {
                if !v.is_empty() {
                    p.check(&format!("linkerd.proxy.resources.{name}.{kind}"), check::quantity(v));
                }
            }
        }
        if self.tracing.enabled {
            p.check("linkerd.tracing.collector", host_port(&self.tracing.collector));
            p.check(
                "linkerd.tracing.collectorNamespace",
                check::dns_label(&self.tracing.collector_namespace),
            );
            p.check(
                "linkerd.tracing.collectorServiceAccount",
                check::dns_subdomain(&self.tracing.collector_service_account),
            );
        }
    }
}

/// An image tag, as the OCI distribution spec allows it.
fn image_tag(s: &str) -> Result<(), String> {
    let ok = (1..=128).contains(&s.len())
        && s.starts_with(|c: char| c.is_ascii_alphanumeric() || c == '_')
        && s.chars().all(|c| c.is_ascii_alphanumeric() || "_.-".contains(c));
    match ok {
        true => Ok(()),
        false => Err("use an image tag such as edge-26.8.3: letters, digits, '_', '.' and '-'".into()),
    }
}

/// A registry host (with an optional port) and path, without a tag or a trailing '/'.
fn registry(s: &str) -> Result<(), String> {
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

/// A Go duration such as `24h0m0s`, `20s` or `1h30m`, as the controllers parse it.
pub(super) fn duration(s: &str) -> Result<(), String> {
    let help = || {
        Err(format!(
            "`{s}` is not a duration; write a number and unit such as 20s, 90m or 24h0m0s"
        ))
    };
    let mut rest = s;
    if rest.is_empty() {
        return help();
    }
    while !rest.is_empty() {
        let digits = rest
            .find(|c: char| !(c.is_ascii_digit() || c == '.'))
            .unwrap_or(rest.len());
        if digits == 0 {
            return help();
        }
        rest = &rest[digits..];
        let Some(unit) = ["ns", "us", "µs", "ms", "s", "m", "h"]
            .into_iter()
            .filter(|u| rest.starts_with(u))
            .max_by_key(|u| u.len())
        else {
            return help();
        };
        rest = &rest[unit.len()..];
    }
    Ok(())
}

/// `host:port`, the form of an OpenTelemetry collector address.
fn host_port(s: &str) -> Result<(), String> {
    let help = || {
        Err(format!(
            "`{s}` is not host:port; write e.g. collector.linkerd-jaeger.svc.cluster.local:4317"
        ))
    };
    let Some((host, port)) = s.rsplit_once(':') else {
        return help();
    };
    match (check::dns_subdomain(host), port.parse::<u16>()) {
        (Ok(()), Ok(p)) if p > 0 && !host.is_empty() => Ok(()),
        _ => help(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn image_tags() {
        assert!(image_tag("edge-26.8.3").is_ok());
        assert!(image_tag("stable-2.14.10").is_ok());
        for bad in ["", "-x", "a:b", "a/b", &"x".repeat(129)] {
            assert!(image_tag(bad).is_err(), "{bad}");
        }
    }

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

    #[test]
    fn durations() {
        for ok in ["24h0m0s", "20s", "1h30m", "1.5h", "100ms", "10µs"] {
            assert!(duration(ok).is_ok(), "{ok}");
        }
        for bad in ["", "20", "s", "1d", "1h 30m", "-1s"] {
            assert!(duration(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn host_ports() {
        assert!(host_port("collector.linkerd-jaeger.svc.cluster.local:4317").is_ok());
        for bad in [
            "collector",
            "collector:",
            ":4317",
            "collector:0",
            "collector:99999",
            "Col:1",
        ] {
            assert!(host_port(bad).is_err(), "{bad}");
        }
    }
}
