//! Alpha's ServiceProfile in the default render: its gRPC routes are what
//! `linkerd profile --proto` gives for Dgraph's API (tests/fixtures/dgraph-api.proto),
//! plus meshgen's retries and timeouts, the health check and the HTTP routes.

use crate::common;

use meshgen::service_profile::{from_proto, Target};
use serde_json::Value as Json;

const PROFILE: &str = "dgraph/serviceprofile-demo-dgraph-alpha.dgraph.svc.cluster.local.yaml";

fn rendered_profile(overlay: &str) -> Option<Json> {
    let output = common::output(overlay);
    let found = output
        .objects()
        .find(|m| m.kind == "ServiceProfile" && m.file_name() == PROFILE);
    found.map(|m| (*m.body).clone())
}

fn routes(profile: &Json) -> Vec<Json> {
    profile["spec"]["routes"].as_array().cloned().unwrap_or_default()
}

fn name(route: &Json) -> &str {
    route["name"].as_str().unwrap_or("")
}

#[test]
fn grpc_routes_are_what_linkerd_profile_gives_for_the_dgraph_api() {
    let source = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/dgraph-api.proto"))
        .expect("fixture reads");
    let target = Target {
        service: "demo-dgraph-alpha".into(),
        namespace: "dgraph".into(),
        cluster_domain: "cluster.local".into(),
    };
    let generated = from_proto("dgraph-api.proto", &source, &target).unwrap_or_else(|e| panic!("{e}"));
    let rendered = rendered_profile("").expect("the profile is rendered by default");
    assert_eq!(rendered["metadata"]["name"], generated.body["metadata"]["name"]);
    assert_eq!(
        rendered["metadata"]["namespace"],
        generated.body["metadata"]["namespace"]
    );

    // The Dgraph API's routes, without meshgen's additions: retries and timeouts.
    let api: Vec<Json> = routes(&rendered)
        .into_iter()
        .filter(|r| {
            r["condition"]["pathRegex"]
                .as_str()
                .is_some_and(|p| p.starts_with(r"/api\.Dgraph/"))
        })
        .map(|mut r| {
            if let Some(fields) = r.as_object_mut() {
                fields.remove("isRetryable");
                fields.remove("timeout");
            }
            r
        })
        .collect();
    assert_eq!(api, routes(&generated.body));
    assert_eq!(api.len(), 12);
}

#[test]
fn retries_only_where_nothing_changes() {
    let rendered = rendered_profile("").expect("rendered");
    let retryable: Vec<String> = routes(&rendered)
        .iter()
        .filter(|r| r["isRetryable"] == Json::Bool(true))
        .map(|r| name(r).to_string())
        .collect();
    assert_eq!(
        retryable,
        [
            "CheckVersion",
            "ListNamespaces",
            "Check",
            "GET /health",
            "GET /state",
            "GET /probe/graphql",
            "GET /ui/keywords"
        ]
    );
    let health = routes(&rendered)
        .into_iter()
        .find(|r| name(r) == "Check")
        .expect("health check");
    assert_eq!(health["condition"]["pathRegex"], r"/grpc\.health\.v1\.Health/Check");
    assert_eq!(health["condition"]["method"], "POST");
}

#[test]
fn http_routes_match_one_method_and_path_each() {
    let rendered = rendered_profile("").expect("rendered");
    let http: Vec<(String, String)> = routes(&rendered)
        .iter()
        // HTTP routes are named `METHOD /path`; gRPC routes for the bare rpc.
        .filter(|r| name(r).contains(' '))
        .map(|r| {
            (
                r["condition"]["method"].as_str().unwrap_or("").to_string(),
                r["condition"]["pathRegex"].as_str().unwrap_or("").to_string(),
            )
        })
        .collect();
    let expect = |m: &str, p: &str| (m.to_string(), p.to_string());
    assert!(http.contains(&expect("PUT", "/admin/schema")));
    assert!(http.contains(&expect("GET", "/probe/graphql")));
    assert!(http.contains(&expect("POST", "/graphql")));
    assert!(!http.contains(&expect("GET", "/query")), "/query is POST or PUT only");
    assert!(!http.contains(&expect("POST", "/health")), "/health is GET only");
    assert_eq!(http.len(), 20);
}

#[test]
fn timeouts_and_budget_follow_the_values() {
    let overlay = "dgraph:\n  serviceProfile:\n    timeout: null\n    routeTimeouts: {Query: 2m}\n    retryBudget: {retryRatio: 0.5, minRetriesPerSecond: 3, ttl: 30s}\n";
    let rendered = rendered_profile(overlay).expect("rendered");
    let all = routes(&rendered);
    let timeout = |n: &str| {
        let route = all
            .iter()
            .find(|r| name(r) == n)
            .unwrap_or_else(|| panic!("no route {n}"));
        route.get("timeout").and_then(Json::as_str).map(str::to_string)
    };
    assert_eq!(timeout("Query").as_deref(), Some("2m"));
    assert_eq!(
        timeout("Alter").as_deref(),
        Some("10m"),
        "defaults merge with the overlay"
    );
    assert_eq!(timeout("Login"), None, "no default: no timeout key");
    assert_eq!(
        rendered["spec"]["retryBudget"],
        serde_json::json!({"retryRatio": 0.5, "minRetriesPerSecond": 3, "ttl": "30s"})
    );
}

#[test]
fn the_profile_can_be_turned_off() {
    assert!(rendered_profile("dgraph: {serviceProfile: {enabled: false}}").is_none());
}
