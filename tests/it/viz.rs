//! The Linkerd viz bundle: what Prometheus off removes and changes, where the tap
//! certificates go, what follows the tracing and namespace settings.

use crate::common;

use std::collections::BTreeSet;

use base64ct::{Base64, Encoding};
use meshgen::{CertStore, Output as Trees};
use serde_json::Value;

/// The one place these tests get certificates from: the test-only store.
fn certs() -> CertStore {
    common::test_certs()
}

fn trees_with(overlay: &str, certs: &CertStore) -> Trees {
    meshgen::Renderer::new()
        .values_text("test-overlay.yaml", overlay)
        .certs(certs.clone())
        .render(common::now())
        .unwrap_or_else(|e| panic!("{e}"))
}

fn trees(overlay: &str) -> Trees {
    trees_with(overlay, &certs())
}

fn parse(text: &str) -> Value {
    crate::common::parse(text).unwrap_or_else(|e| panic!("{e}\n{text}"))
}

/// The generated files of the viz bundle, by path.
fn viz_files(trees: &Trees) -> BTreeSet<String> {
    trees
        .generated()
        .files
        .keys()
        .filter(|p| p.starts_with("linkerd-viz/"))
        .cloned()
        .collect()
}

fn object(trees: &Trees, path: &str) -> Value {
    parse(
        trees
            .generated()
            .files
            .get(path)
            .unwrap_or_else(|| panic!("{path} not rendered")),
    )
}

fn args(deployment: &Value) -> Vec<String> {
    deployment["spec"]["template"]["spec"]["containers"][0]["args"]
        .as_array()
        .expect("container args")
        .iter()
        .map(|a| a.as_str().expect("string arg").to_string())
        .collect()
}

const EXTERNAL: &str = "http://prometheus.monitoring.svc.cluster.local:9090";

#[test]
fn prometheus_off_drops_exactly_the_prometheus_objects_and_switches_the_url() {
    let on = trees("");
    let off = trees(&format!(
        "viz: {{prometheusUrl: '{EXTERNAL}', prometheus: {{enabled: false}}}}"
    ));
    let dropped: Vec<String> = viz_files(&on).difference(&viz_files(&off)).cloned().collect();
    assert_eq!(
        dropped,
        [
            "linkerd-viz/clusterrole-linkerd-linkerd-viz-prometheus.yaml",
            "linkerd-viz/clusterrolebinding-linkerd-linkerd-viz-prometheus.yaml",
            "linkerd-viz/configmap-prometheus-config.yaml",
            "linkerd-viz/deployment-prometheus.yaml",
            "linkerd-viz/service-prometheus.yaml",
            "linkerd-viz/serviceaccount-prometheus.yaml",
            "linkerd-viz/serviceprofile-prometheus.linkerd-viz.svc.cluster.local.yaml",
        ]
    );
    assert!(viz_files(&off).is_subset(&viz_files(&on)), "nothing is added");
    // As upstream, the policy for Prometheus's port stays.
    assert!(viz_files(&off).contains("linkerd-viz/server-prometheus-admin.yaml"));

    let url = |t: &Trees| {
        args(&object(t, "linkerd-viz/deployment-metrics-api.yaml"))
            .into_iter()
            .find(|a| a.starts_with("-prometheus-url="))
            .expect("a -prometheus-url")
    };
    assert_eq!(
        url(&on),
        "-prometheus-url=http://prometheus.linkerd-viz.svc.cluster.local:9090"
    );
    assert_eq!(url(&off), format!("-prometheus-url={EXTERNAL}"));

    let annotations =
        |t: &Trees| object(t, "linkerd-viz/namespace-linkerd-viz.yaml")["metadata"]["annotations"].clone();
    assert_eq!(annotations(&off)["viz.linkerd.io/external-prometheus"], EXTERNAL);
    assert!(annotations(&on).get("viz.linkerd.io/external-prometheus").is_none());
}

#[test]
fn an_external_prometheus_beside_the_bundled_one_only_repoints_the_metrics_api() {
    let both = trees(&format!("viz: {{prometheusUrl: '{EXTERNAL}'}}"));
    assert_eq!(viz_files(&both), viz_files(&trees("")));
    assert!(args(&object(&both, "linkerd-viz/deployment-metrics-api.yaml"))
        .contains(&format!("-prometheus-url={EXTERNAL}")));
}

#[test]
fn namespace_is_meshed_and_labelled_as_viz_install_does() {
    let ns = object(&trees(""), "linkerd-viz/namespace-linkerd-viz.yaml");
    let labels = &ns["metadata"]["labels"];
    assert_eq!(labels["linkerd.io/extension"], "viz");
    assert_eq!(labels["pod-security.kubernetes.io/enforce"], "privileged");
    assert_eq!(ns["metadata"]["annotations"]["linkerd.io/inject"], "enabled");
}

#[test]
fn the_dashboard_links_jaeger_only_with_tracing_on() {
    let jaeger = |t: &Trees| {
        args(&object(t, "linkerd-viz/deployment-web.yaml"))
            .into_iter()
            .find(|a| a.starts_with("-jaeger-addr="))
    };
    assert_eq!(
        jaeger(&trees("")).as_deref(),
        Some("-jaeger-addr=jaeger.linkerd-jaeger.svc.cluster.local:16686")
    );
    assert_eq!(jaeger(&trees("tracing: {enabled: false}")), None);
}

#[test]
fn tap_ca_bundles_come_from_the_cert_store() {
    let certs = certs();
    let out = trees_with("", &certs);
    let ca = |service: &str| {
        let pem = certs
            .get(&format!("webhooks/{service}-ca.crt"))
            .unwrap_or_else(|| panic!("{service} CA in certs/"));
        Base64::encode_string(pem.trim().as_bytes())
    };
    let api = object(&out, "linkerd-viz/apiservice-v1alpha1.tap.linkerd.io.yaml");
    assert_eq!(api["spec"]["caBundle"], ca("tap"));
    let hook = object(
        &out,
        "linkerd-viz/mutatingwebhookconfiguration-linkerd-tap-injector-webhook-config.yaml",
    );
    assert_eq!(hook["webhooks"][0]["clientConfig"]["caBundle"], ca("tap-injector"));
}

#[test]
fn tap_secrets_go_to_the_secrets_tree_only_where_the_keys_are() {
    let mut keyless = certs();
    keyless.remove("webhooks/tap.key");
    keyless.remove("webhooks/tap-injector.key");
    let without_keys = trees_with("", &keyless);
    let in_secrets = |t: &Trees| -> Vec<String> {
        t.secrets()
            .as_ref()
            .map(|s| {
                s.files
                    .keys()
                    .filter(|p| p.starts_with("linkerd-viz/"))
                    .cloned()
                    .collect()
            })
            .unwrap_or_default()
    };
    assert!(in_secrets(&without_keys).is_empty());
    let skipped: Vec<&str> = without_keys
        .skipped_secrets()
        .iter()
        .map(|s| s.secret.as_str())
        .collect();
    assert_eq!(skipped, ["linkerd-viz/tap-k8s-tls", "linkerd-viz/tap-injector-k8s-tls"]);

    let (_tmp, dir) = common::tempdir();
    let minted = common::init(&dir);
    let out = trees_with("", &minted);
    assert_eq!(
        in_secrets(&out),
        [
            "linkerd-viz/secret-tap-injector-k8s-tls.yaml",
            "linkerd-viz/secret-tap-k8s-tls.yaml"
        ]
    );
    let secret = parse(&out.secrets().expect("secrets").files["linkerd-viz/secret-tap-k8s-tls.yaml"]);
    assert_eq!(secret["type"], "kubernetes.io/tls");
    let key = Base64::decode_vec(secret["data"]["tls.key"].as_str().expect("tls.key")).expect("base64");
    assert_eq!(key, minted.get("webhooks/tap.key").expect("tap.key").trim().as_bytes());
    for (path, text) in out
        .generated()
        .files
        .iter()
        .filter(|(p, _)| p.starts_with("linkerd-viz/"))
    {
        assert!(!text.contains("PRIVATE KEY") && !text.contains("tls.key:"), "{path}");
    }
}

#[test]
fn renewing_the_webhooks_restarts_tap_and_the_injector_but_not_the_dashboard() {
    let (_tmp, dir) = common::tempdir();
    let mut store = common::init(&dir);
    let before = trees_with("", &store);
    store
        .renew_webhooks(common::start() + time::Duration::days(1), &mut common::fresh)
        .expect("renew");
    let after = trees_with("", &store);
    let checksum = |t: &Trees, name: &str| {
        object(t, &format!("linkerd-viz/deployment-{name}.yaml"))["spec"]["template"]["metadata"]["annotations"]
            ["checksum/config"]
            .clone()
    };
    assert_ne!(checksum(&before, "tap"), checksum(&after, "tap"));
    assert_ne!(checksum(&before, "tap-injector"), checksum(&after, "tap-injector"));
    assert_eq!(
        before.generated().files["linkerd-viz/deployment-web.yaml"],
        after.generated().files["linkerd-viz/deployment-web.yaml"]
    );
}

#[test]
fn high_availability_gives_tap_a_disruption_budget_and_spreads_the_controllers() {
    let ha = trees("viz: {highAvailability: true}");
    let pdbs: Vec<&String> = ha
        .generated()
        .files
        .keys()
        .filter(|p| p.starts_with("linkerd-viz/poddisruptionbudget-"))
        .collect();
    assert_eq!(pdbs, ["linkerd-viz/poddisruptionbudget-tap.yaml"]);
    for name in ["metrics-api", "tap", "tap-injector", "web"] {
        let d = object(&ha, &format!("linkerd-viz/deployment-{name}.yaml"));
        let terms = &d["spec"]["template"]["spec"]["affinity"]["podAntiAffinity"]
            ["requiredDuringSchedulingIgnoredDuringExecution"][0];
        assert_eq!(terms["labelSelector"]["matchExpressions"][0]["values"][0], name);
    }
    assert_eq!(object(&ha, "linkerd-viz/deployment-tap.yaml")["spec"]["replicas"], 3);
}
