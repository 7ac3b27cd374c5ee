//! Values of the Linkerd viz extension (dashboard, metrics API, tap, Prometheus),
//! pinned to the Linkerd release of `linkerd.version`. Key names follow upstream's
//! `linkerd-viz` chart where it has one, so `linkerd viz install --set …` knobs are
//! found under the same names here.

use serde::{Deserialize, Serialize};

use super::linkerd::{image_names_fit, ProxyResources};
use super::Problems;
use super::PullPolicy;
use crate::api_rules;
use crate::api_rules::image_tag;

/// Requests and limits of one viz container; an empty string leaves one unset.
pub type Resources = ProxyResources;

#[derive(Debug, Clone, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
/// The Linkerd viz extension: dashboard, metrics API, tap and Prometheus.
pub struct Viz {
    /// Namespace of the extension; the tap certificates in certs/ name it.
    pub namespace: String,
    /// Registry prefix of the viz images (metrics-api, tap, web), replacing
    /// `cr.l5d.io/linkerd`; `None` uses `linkerd.registry`.
    pub default_registry: Option<String>,
    /// When the kubelet pulls the viz images.
    pub default_image_pull_policy: PullPolicy,
    /// What upstream's viz values-ha.yaml sets: 3 tap replicas with a disruption
    /// budget, pod anti-affinity, one-at-a-time rollouts, requests and limits.
    pub high_availability: bool,
    /// An external Prometheus for the metrics API; when set it wins over the
    /// bundled one, and the namespace records it for `linkerd viz check`.
    pub prometheus_url: String,
    /// The bundled Prometheus.
    pub prometheus: Prometheus,
    #[serde(rename = "metricsAPI")]
    /// The metrics API.
    pub metrics_api: Component,
    /// Tap, an aggregated API.
    pub tap: Component,
    /// The tap injector, a mutating webhook.
    pub tap_injector: Component,
    /// The dashboard (web).
    pub dashboard: Component,
}

#[derive(Debug, Clone, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
/// Settings of one viz component.
pub struct Component {
    /// Requests and limits of its container.
    pub resources: Resources,
}

#[derive(Debug, Clone, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
/// The bundled Prometheus that scrapes the proxies.
pub struct Prometheus {
    /// Render the bundled Prometheus (its RBAC, config, Service, Deployment and
    /// ServiceProfile). Off needs `prometheusUrl`.
    pub enabled: bool,
    /// The Prometheus image.
    pub image: PrometheusImage,
    /// Requests and limits of its container.
    pub resources: Resources,
}

/// `<registry>/<name>:<tag>`; Prometheus is not a Linkerd image, so `defaultRegistry`
/// does not apply to it.
#[derive(Debug, Clone, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct PrometheusImage {
    /// Registry and path, such as `prom`.
    pub registry: String,
    /// Image name, such as `prometheus`.
    pub name: String,
    /// The image tag.
    pub tag: String,
}

impl Viz {
    /// `taken` lists the namespaces other bundles own, as (dotted key, namespace).
    pub(crate) fn validate(&self, p: &mut Problems, taken: &[(&str, &str)]) {
        p.check("viz.namespace", api_rules::dns_label(&self.namespace));
        for (key, ns) in taken {
            if *ns == self.namespace {
                p.add(
                    "viz.namespace",
                    &format!("is `{ns}`, which `{key}` already uses"),
                    "give the viz extension a namespace of its own, such as linkerd-viz",
                );
            }
        }
        if let Some(r) = &self.default_registry {
            p.check("viz.defaultRegistry", api_rules::image_registry(r));
            p.check(
                "viz.defaultRegistry",
                image_names_fit(r, &["metrics-api", "tap", "web"]),
            );
        }
        if !self.prometheus_url.is_empty() {
            p.check("viz.prometheusUrl", http_url(&self.prometheus_url));
        } else if !self.prometheus.enabled {
            // Named after the key that turned Prometheus off, so the file that did it is blamed.
            p.add(
                "viz.prometheus.enabled",
                "is false, but viz.prometheusUrl is empty",
                "the metrics API needs a Prometheus: set viz.prometheusUrl to yours, such as http://prometheus.monitoring.svc.cluster.local:9090, or set viz.prometheus.enabled: true",
            );
        }
        let image = &self.prometheus.image;
        p.check(
            "viz.prometheus.image.registry",
            api_rules::image_registry(&image.registry),
        );
        p.check("viz.prometheus.image.name", api_rules::image_path(&image.name));
        if api_rules::image_registry(&image.registry).is_ok() && api_rules::image_path(&image.name).is_ok() {
            p.check(
                "viz.prometheus.image.name",
                image_names_fit(&image.registry, &[&image.name]),
            );
        }
        p.check("viz.prometheus.image.tag", image_tag(&image.tag));
        for (key, resources) in [
            ("viz.prometheus.resources", &self.prometheus.resources),
            ("viz.metricsAPI.resources", &self.metrics_api.resources),
            ("viz.tap.resources", &self.tap.resources),
            ("viz.tapInjector.resources", &self.tap_injector.resources),
            ("viz.dashboard.resources", &self.dashboard.resources),
        ] {
            resources.validate(p, key);
        }
    }
}

/// An `http://` or `https://` address with a host: the metrics API sends its
/// queries there, and a bare host name would be read as a path.
fn http_url(s: &str) -> Result<(), String> {
    let rest = s.strip_prefix("http://").or_else(|| s.strip_prefix("https://"));
    let host = rest.map(|r| r.split(['/', '?', '#']).next().unwrap_or(""));
    let ok = host.is_some_and(|h| !h.is_empty() && !h.starts_with(':'))
        && !s.chars().any(|c| c.is_whitespace() || c.is_control());
    match ok {
        true => Ok(()),
        false => Err(format!(
            "`{s}` is not an http(s) address; write e.g. http://prometheus.monitoring.svc.cluster.local:9090"
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn http_urls() {
        for ok in [
            "http://prometheus.monitoring.svc.cluster.local:9090",
            "https://prom.example.com",
            "http://10.0.0.1:9090/prefix",
        ] {
            assert!(http_url(ok).is_ok(), "{ok}");
        }
        for bad in [
            "external-prom.com",
            "http://",
            "ftp://x",
            "http://:9090",
            "http://a b",
            "",
        ] {
            assert!(http_url(bad).is_err(), "{bad}");
        }
    }
}
