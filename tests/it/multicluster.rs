//! The Linkerd multicluster bundle: off by default, what each configuration
//! renders (object counts per upstream golden), the per-Link controllers and the
//! Link CRD in the CRD bundle.

use crate::common;

use std::collections::BTreeSet;

use serde_json::Value;

const BUNDLE: &str = "linkerd-multicluster/";
const LINK_CRD: &str = "linkerd-crds/customresourcedefinition-links.multicluster.linkerd.io.yaml";

/// The objects of the multicluster bundle (kustomization aside), by path.
fn bundle_files(output: &meshgen::Output) -> BTreeSet<String> {
    output
        .generated()
        .files
        .keys()
        .filter(|p| p.starts_with(BUNDLE) && !p.ends_with("kustomization.yaml"))
        .cloned()
        .collect()
}

fn object(output: &meshgen::Output, path: &str) -> Value {
    let text = (output.generated().files.get(path)).unwrap_or_else(|| panic!("{path} not rendered"));
    crate::common::parse(text).unwrap_or_else(|e| panic!("{path}: {e}"))
}

#[test]
fn off_by_default_with_no_link_crd() {
    let output = common::output("");
    assert!(bundle_files(&output).is_empty());
    assert!(!output.generated().files.contains_key(LINK_CRD));
    assert!(!output
        .objects()
        .any(|m| m.kind == "Link" || m.name.contains("multicluster")));
}

/// install_default.golden: 26 objects, the Link CRD among them.
#[test]
fn enabled_renders_the_26_objects_of_linkerd_multicluster_install() {
    let output = common::output("multicluster: {enabled: true}");
    assert_eq!(bundle_files(&output).len(), 25, "{:#?}", bundle_files(&output));
    let crd = object(&output, LINK_CRD);
    assert_eq!(crd["metadata"]["labels"]["linkerd.io/extension"], "multicluster");
    let versions: Vec<(&str, bool)> = (crd["spec"]["versions"].as_array().expect("versions").iter())
        .map(|v| (v["name"].as_str().unwrap_or("?"), v["storage"] == Value::Bool(true)))
        .collect();
    assert_eq!(versions, [("v1alpha1", false), ("v1alpha2", false), ("v1alpha3", true)]);
}

#[test]
fn the_remote_access_token_is_committed_not_a_private_secret() {
    let output = common::output("multicluster: {enabled: true}");
    let path = "linkerd-multicluster/secret-linkerd-service-mirror-remote-access-default-token.yaml";
    assert!(
        output.generated().files.contains_key(path),
        "a token request holds no key"
    );
    assert!(!output.secret_objects().any(|m| m.name.contains("remote-access")));
    let none = common::output("multicluster: {enabled: true, remoteMirrorServiceAccount: false}");
    assert_eq!(
        bundle_files(&none).len(),
        21,
        "ClusterRole, ServiceAccount, Secret, binding"
    );
}

#[test]
fn gateway_off_drops_its_seven_objects() {
    let on = bundle_files(&common::output("multicluster: {enabled: true}"));
    let off = bundle_files(&common::output(
        "multicluster: {enabled: true, gateway: {enabled: false}}",
    ));
    let dropped: Vec<&String> = on.difference(&off).collect();
    assert_eq!(dropped.len(), 7, "{dropped:#?}");
    assert!(off.is_subset(&on));
    assert!(dropped
        .iter()
        .all(|p| p.contains("linkerd-gateway") || p.contains("any-meshed") || p.contains("source-cluster")));
}

/// install_ha.golden, less the PodSecurityPolicy Role and RoleBinding that its test
/// adds with enablePSP: 28 objects, so 27 in the bundle.
#[test]
fn ha_adds_budgets_and_spreads_the_gateway() {
    let output = common::output("multicluster: {enabled: true, ha: true}");
    let files = bundle_files(&output);
    assert_eq!(files.len(), 27, "{files:#?}");
    let gateway = object(&output, "linkerd-multicluster/deployment-linkerd-gateway.yaml");
    assert_eq!(gateway["spec"]["replicas"], 3);
    assert_eq!(gateway["spec"]["strategy"]["rollingUpdate"]["maxUnavailable"], 1);
    let affinity = &gateway["spec"]["template"]["spec"]["affinity"]["podAntiAffinity"];
    assert!(affinity["requiredDuringSchedulingIgnoredDuringExecution"].is_array());
    for pdb in ["linkerd-gateway", "linkerd-local-service-mirror"] {
        assert!(files.contains(&format!("linkerd-multicluster/poddisruptionbudget-{pdb}.yaml")));
    }
}

#[test]
fn each_controller_renders_its_deployment_probe_and_rbac() {
    let output = common::output(
        "multicluster:\n  enabled: true\n  controllers:\n  - east\n  - {link: {ref: {name: west}}, gateway: {enabled: false}}\n",
    );
    let files = bundle_files(&output);
    // east: Deployment, probe Service, ServiceAccount, ClusterRoleBinding, Role, RoleBinding; west without the probe.
    assert_eq!(files.len(), 25 + 6 + 5, "{files:#?}");
    assert!(files.contains("linkerd-multicluster/service-probe-east.yaml"));
    assert!(!files.contains("linkerd-multicluster/service-probe-west.yaml"));
    let role = object(
        &output,
        "linkerd-multicluster/role-controller-read-remote-creds-east.yaml",
    );
    let secrets: Vec<&Value> = (role["rules"].as_array().expect("rules").iter())
        .filter(|r| r["resources"][0] == "secrets")
        .collect();
    assert_eq!(secrets.len(), 1);
    assert_eq!(
        secrets[0]["resourceNames"],
        serde_json::json!(["cluster-credentials-east"])
    );
    let deployment = object(&output, "linkerd-multicluster/deployment-controller-west.yaml");
    let args = &deployment["spec"]["template"]["spec"]["containers"][0]["args"];
    assert_eq!(args[args.as_array().map_or(0, Vec::len) - 1], "west");
    let binding = object(
        &output,
        "linkerd-multicluster/rolebinding-controller-read-remote-creds-west.yaml",
    );
    assert_eq!(binding["subjects"][0]["name"], "controller-west");
}

#[test]
fn ha_gives_each_controller_a_budget() {
    let output = common::output("multicluster: {enabled: true, ha: true, controllers: [east]}");
    assert_eq!(bundle_files(&output).len(), 27 + 7);
    let pdb = object(&output, "linkerd-multicluster/poddisruptionbudget-controller-east.yaml");
    assert_eq!(
        pdb["spec"]["selector"]["matchLabels"]["mirror.linkerd.io/cluster-name"],
        "east"
    );
}

#[test]
fn names_follow_the_namespace_and_the_viz_prometheus() {
    let output = meshgen::Renderer::new()
        .certs(common::test_certs_for("linkerd", "cluster.local", "monitoring"))
        .values_text(
            "test-overlay.yaml",
            "multicluster: {enabled: true, namespace: mc}\nviz: {namespace: monitoring}",
        )
        .render(common::now())
        .unwrap_or_else(|e| panic!("{e}"));
    let ns = object(&output, "linkerd-multicluster/namespace-mc.yaml");
    assert_eq!(ns["metadata"]["labels"]["linkerd.io/extension"], "multicluster");
    let service = object(&output, "linkerd-multicluster/service-linkerd-gateway.yaml");
    assert_eq!(
        service["metadata"]["annotations"]["mirror.linkerd.io/gateway-identity"],
        "linkerd-gateway.mc.serviceaccount.identity.linkerd.cluster.local"
    );
    let policy = object(&output, "linkerd-multicluster/authorizationpolicy-linkerd-admin.yaml");
    assert_eq!(
        policy["spec"]["requiredAuthenticationRefs"][0]["namespace"],
        "monitoring"
    );
}
