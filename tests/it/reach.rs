//! The reachability table: one file per configuration in tests/inputs/reach/, each
//! listing clients, targets and the expected verdict with the rule that decides.
//! The table that proves the traffic rules do what the README says is snapshotted
//! as markdown. Also: the guards that keep kubelet probes authorized, and the
//! facts the rules are derived from.

use crate::common;
use meshgen::reach::{Cluster, Query, ReachError};

use meshgen::{Manifest, Renderer, ValuesSource};
use serde::Deserialize;
use serde_json::json;

/// The certificates every render here uses: the test-only store.
fn certs() -> meshgen::CertStore {
    common::test_certs()
}

fn manifests(overlays: &[ValuesSource]) -> Vec<Manifest> {
    let renderer = overlays
        .iter()
        .fold(Renderer::new().certs(certs()), |r, o| r.values_source(o.clone()));
    let output = renderer.render(common::now()).unwrap_or_else(|e| panic!("{e}"));
    output.objects().chain(output.secret_objects()).cloned().collect()
}

fn config(name: &str) -> ValuesSource {
    let path = format!("{}/tests/configs/{name}.yaml", env!("CARGO_MANIFEST_DIR"));
    ValuesSource {
        name: format!("tests/configs/{name}.yaml"),
        text: std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}")),
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Table {
    /// A file of tests/configs/ (without .yaml) to render with.
    config: Option<String>,
    /// An inline overlay, applied after `config`.
    values: Option<serde_json::Value>,
    cases: Vec<Case>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Case {
    name: String,
    from: String,
    to: String,
    expect: Expect,
    /// The layer that decides: NetworkPolicy or Linkerd.
    layer: Option<String>,
    /// A part of the deciding rule.
    rule: Option<String>,
    /// A part of the NetworkPolicy layer's rule, and of the Linkerd layer's.
    network: Option<String>,
    mesh: Option<String>,
}

#[derive(Deserialize, PartialEq, Debug, Clone, Copy)]
#[serde(rename_all = "lowercase")]
enum Expect {
    Allowed,
    Denied,
}

fn table_cluster(table: &Table) -> Cluster {
    let mut overlays = Vec::new();
    if let Some(name) = &table.config {
        overlays.push(config(name));
    }
    if let Some(values) = &table.values {
        overlays.push(ValuesSource {
            name: "inline values".into(),
            text: values.to_string(),
        });
    }
    Cluster::from_manifests(&manifests(&overlays)).unwrap_or_else(|e| panic!("{e}"))
}

#[test]
fn reachability_table() {
    insta::glob!("..", "inputs/reach/*.yaml", |path| {
        let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        let tree = crate::common::parse(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        let table: Table = serde_json::from_value(tree).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        let cluster = table_cluster(&table);
        let mut out = String::from("| case | from | to | verdict | deciding rule |\n|---|---|---|---|---|\n");
        for case in &table.cases {
            let query = Query::parse(&case.from, &case.to).unwrap_or_else(|e| panic!("{}: {e}", case.name));
            let verdict = cluster
                .evaluate(&query)
                .unwrap_or_else(|e| panic!("{}: {e}", case.name));
            let got = if verdict.allowed() {
                Expect::Allowed
            } else {
                Expect::Denied
            };
            assert_eq!(got, case.expect, "{}:\n{verdict}", case.name);
            if let Some(layer) = &case.layer {
                assert_eq!(verdict.deciding_layer(), layer, "{}:\n{verdict}", case.name);
            }
            let contains = |what: &str, rule: &str, part: &Option<String>| {
                if let Some(part) = part {
                    assert!(
                        rule.contains(part.as_str()),
                        "{}: the {what} should contain {part:?}:\n{verdict}",
                        case.name
                    );
                }
            };
            contains("deciding rule", &verdict.deciding().rule, &case.rule);
            contains("NetworkPolicy rule", &verdict.network.rule, &case.network);
            let mesh = verdict.mesh.as_ref().map(|m| m.rule.clone()).unwrap_or_default();
            contains("Linkerd rule", &mesh, &case.mesh);
            out.push_str(&format!(
                "| {} | `{}` | `{}` | {} by {} | {} |\n",
                case.name,
                case.from,
                case.to,
                if verdict.allowed() { "allowed" } else { "denied" },
                verdict.deciding_layer(),
                verdict.deciding().rule.replace('|', "\\|")
            ));
        }
        let mut settings = insta::Settings::clone_current();
        settings.set_snapshot_path("../../snapshots");
        settings.set_prepend_module_to_snapshot(false);
        settings.set_omit_expression(true);
        settings.bind(|| insta::assert_snapshot!("reach", out));
    });
}

fn default_cluster_with(extra: Vec<serde_json::Value>) -> Cluster {
    let mut all = manifests(&[]);
    for doc in extra {
        all.push(Manifest::from_json("dgraph", "test", doc).expect("an object"));
    }
    Cluster::from_manifests(&all).unwrap_or_else(|e| panic!("{e}"))
}

fn ask(cluster: &Cluster, from: &str, to: &str) -> Result<meshgen::reach::Verdict, ReachError> {
    cluster.evaluate(&Query::parse(from, to).expect("query parses"))
}

/// Linkerd authorizes httpGet probes by default only while no HTTPRoute selects the
/// Server. meshgen renders none; this keeps it so for every Dgraph Server.
#[test]
fn no_http_route_selects_a_dgraph_server() {
    let all = manifests(&[]);
    let mut servers: Vec<&str> = (all.iter())
        .filter(|m| m.kind == "Server" && m.namespace.as_deref() == Some("dgraph"))
        .map(|m| m.name.as_str())
        .collect();
    servers.sort_unstable();
    assert_eq!(
        servers,
        [
            "demo-dgraph-alpha-grpc",
            "demo-dgraph-alpha-http",
            "demo-dgraph-zero-http"
        ]
    );
    for route in all.iter().filter(|m| m.kind.ends_with("Route")) {
        let parents = route.body.pointer("/spec/parentRefs").cloned().unwrap_or(json!([]));
        for p in parents.as_array().into_iter().flatten() {
            let name = p["name"].as_str().unwrap_or("");
            assert!(
                !(p["kind"] == "Server" && servers.contains(&name)),
                "{} selects Server {name}: kubelet probes would need a NetworkAuthentication",
                route.id()
            );
        }
    }
}

/// The same condition seen from the other side: add an HTTPRoute to Alpha's HTTP
/// Server and the evaluator says the probes stop being authorized.
#[test]
fn an_http_route_on_the_server_ends_the_default_probe_authorization() {
    let route = json!({
        "apiVersion": "policy.linkerd.io/v1beta3",
        "kind": "HTTPRoute",
        "metadata": {"name": "alpha-query", "namespace": "dgraph"},
        "spec": {
            "parentRefs": [{"group": "policy.linkerd.io", "kind": "Server", "name": "demo-dgraph-alpha-http"}],
            "rules": [{"matches": [{"path": {"value": "/query"}}]}],
        },
    });
    let before = ask(&default_cluster_with(vec![]), "kubelet", "dgraph/alpha:8080").expect("answers");
    assert!(before.allowed(), "{before}");
    let cluster = default_cluster_with(vec![route]);
    let after = ask(&cluster, "kubelet", "dgraph/alpha:8080").expect("answers");
    assert!(!after.allowed(), "{after}");
    assert!(
        after
            .deciding()
            .rule
            .contains("HTTPRoute dgraph/alpha-query selects Server"),
        "{after}"
    );
    // Zero's Server has no route: its probes still pass.
    assert!(ask(&cluster, "kubelet", "dgraph/zero:6080").expect("answers").allowed());
    // Route-level authorization is beyond the evaluator: it says so instead of guessing.
    let err = ask(&cluster, "pydgraph-client/pydgraph-client", "dgraph/alpha:8080").expect_err("unsupported");
    assert!(err.to_string().contains("not modelled"), "{err}");
}

#[test]
fn a_network_authentication_admits_by_address() {
    let objects = vec![
        json!({
            "apiVersion": "policy.linkerd.io/v1alpha1",
            "kind": "NetworkAuthentication",
            "metadata": {"name": "office", "namespace": "dgraph"},
            "spec": {"networks": [{"cidr": "10.20.0.0/16", "except": ["10.20.9.0/24"]}]},
        }),
        json!({
            "apiVersion": "policy.linkerd.io/v1alpha1",
            "kind": "AuthorizationPolicy",
            "metadata": {"name": "office-http", "namespace": "dgraph"},
            "spec": {
                "targetRef": {"group": "policy.linkerd.io", "kind": "Server", "name": "demo-dgraph-alpha-http"},
                "requiredAuthenticationRefs": [{"group": "policy.linkerd.io", "kind": "NetworkAuthentication", "name": "office"}],
            },
        }),
    ];
    let cluster = default_cluster_with(objects);
    let from = |ip: &str| format!("office/app=desk,ip={ip}");
    let inside = ask(&cluster, &from("10.20.1.1"), "dgraph/alpha:8080").expect("answers");
    assert!(inside.allowed(), "{inside}");
    assert!(
        inside
            .deciding()
            .rule
            .contains("AuthorizationPolicy dgraph/office-http"),
        "{inside}"
    );
    assert!(!ask(&cluster, &from("10.20.9.9"), "dgraph/alpha:8080")
        .expect("answers")
        .allowed());
    assert!(
        !ask(&cluster, "office/app=desk", "dgraph/alpha:8080")
            .expect("answers")
            .allowed(),
        "unknown address"
    );
}

#[test]
fn two_mesh_tls_authentications_make_a_policy_illegal() {
    let policy = json!({
        "apiVersion": "policy.linkerd.io/v1alpha1",
        "kind": "AuthorizationPolicy",
        "metadata": {"name": "both", "namespace": "dgraph"},
        "spec": {
            "targetRef": {"group": "policy.linkerd.io", "kind": "Server", "name": "demo-dgraph-zero-http"},
            "requiredAuthenticationRefs": [
                {"group": "policy.linkerd.io", "kind": "MeshTLSAuthentication", "name": "demo-dgraph-clients"},
                {"group": "policy.linkerd.io", "kind": "MeshTLSAuthentication", "name": "demo-dgraph-peers"},
            ],
        },
    });
    let v = ask(
        &default_cluster_with(vec![policy]),
        "pydgraph-client/pydgraph-client",
        "dgraph/zero:6080",
    )
    .expect("answers");
    assert!(!v.allowed(), "{v}");
    assert!(
        v.deciding()
            .rule
            .contains("ignored: policy must not include multiple MeshTLSAuthentications"),
        "{v}"
    );
}

#[test]
fn questions_about_nothing_say_what_to_ask() {
    let cluster = default_cluster_with(vec![]);
    for (from, to, part) in [
        (
            "kubelet",
            "dgraph/alpha:9999",
            "nothing in the pods of StatefulSet dgraph/demo-dgraph-alpha listens on 9999",
        ),
        ("other/app=x", "dgraph/alpha:4143", "proxy's inbound port"),
        ("other/app=x", "dgraph/beta:9080", "no rendered workload dgraph/beta"),
        ("kubelet", "dgraph/alpha:9080", "no httpGet probe on port 9080"),
    ] {
        let err = ask(&cluster, from, to).expect_err(to);
        assert!(err.to_string().contains(part), "{err}");
        assert!(err.to_string().contains("help:"), "{err}");
    }
}

/// The rules are derived from facts held in Rust; these are the rendered objects'
/// facts they must agree with.
#[test]
fn the_ports_the_rules_name_are_the_rendered_ones() {
    use meshgen::reach::{dgraph_ports, proxy_ports};
    let all = manifests(&[]);
    let container_ports = |name: &str| -> Vec<u64> {
        let m = all
            .iter()
            .find(|m| m.kind == "StatefulSet" && m.name == name)
            .expect(name);
        let ports = m
            .body
            .pointer("/spec/template/spec/containers/0/ports")
            .and_then(|p| p.as_array())
            .expect("ports");
        ports.iter().filter_map(|p| p["containerPort"].as_u64()).collect()
    };
    assert_eq!(
        container_ports("demo-dgraph-zero"),
        [u64::from(dgraph_ports::ZERO_GRPC), u64::from(dgraph_ports::ZERO_HTTP)]
    );
    assert_eq!(
        container_ports("demo-dgraph-alpha"),
        [
            dgraph_ports::ALPHA_INTERNAL,
            dgraph_ports::ALPHA_HTTP,
            dgraph_ports::ALPHA_GRPC
        ]
        .map(u64::from)
    );
    let config = all.iter().find(|m| m.name == "linkerd-config").expect("linkerd-config");
    let values = crate::common::parse(config.body["data"]["values"].as_str().expect("values")).expect("yaml");
    let ports = &values["proxy"]["ports"];
    assert_eq!(ports["inbound"], u64::from(proxy_ports::INBOUND));
    assert_eq!(ports["admin"], u64::from(proxy_ports::ADMIN));
    assert_eq!(ports["control"], u64::from(proxy_ports::CONTROL));
    assert_eq!(values["proxy"]["outboundTransportMode"], "transport-header");
}
