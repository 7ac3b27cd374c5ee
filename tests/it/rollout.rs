//! Rotation rolls the mesh through git: each step of a trust-anchor rotation, and an
//! issuer rotation, changes the pod template of every meshed workload, and a render
//! with the same certificates changes none.

use std::collections::BTreeMap;

use crate::common;
use meshgen::{CertStore, Renderer};
use serde_json::Value;

/// The workloads whose pods run a Linkerd proxy in the default render: the control
/// plane, viz, the Jaeger collector (meshed by its namespace), Dgraph and the client.
const MESHED: [&str; 12] = [
    "Deployment linkerd/linkerd-destination",
    "Deployment linkerd/linkerd-identity",
    "Deployment linkerd/linkerd-proxy-injector",
    "Deployment linkerd-jaeger/jaeger",
    "Deployment linkerd-viz/metrics-api",
    "Deployment linkerd-viz/prometheus",
    "Deployment linkerd-viz/tap",
    "Deployment linkerd-viz/tap-injector",
    "Deployment linkerd-viz/web",
    "Deployment pydgraph-client/pydgraph-client",
    "StatefulSet dgraph/demo-dgraph-alpha",
    "StatefulSet dgraph/demo-dgraph-zero",
];

/// Every workload's pod template, by `Kind namespace/name`.
fn pod_templates(store: &CertStore) -> BTreeMap<String, Value> {
    let output = Renderer::new()
        .certs(store.clone())
        .render(common::now())
        .unwrap_or_else(|e| panic!("{e}"));
    output
        .objects()
        .filter_map(|m| {
            let template = match m.kind.as_str() {
                "Deployment" | "StatefulSet" | "DaemonSet" | "Job" => m.body.pointer("/spec/template"),
                "CronJob" => m.body.pointer("/spec/jobTemplate/spec/template"),
                _ => None,
            }?;
            let ns = m.namespace.as_deref().unwrap_or_default();
            Some((format!("{} {ns}/{}", m.kind, m.name), template.clone()))
        })
        .collect()
}

/// The workloads whose pod template differs between two renders.
fn changed(before: &BTreeMap<String, Value>, after: &BTreeMap<String, Value>) -> Vec<String> {
    assert_eq!(
        before.keys().collect::<Vec<_>>(),
        after.keys().collect::<Vec<_>>(),
        "the same workloads"
    );
    before
        .iter()
        .filter(|(id, template)| after[*id] != **template)
        .map(|(id, _)| id.clone())
        .collect()
}

#[test]
fn each_rotation_step_rolls_every_meshed_workload_and_nothing_else() {
    let (_tmp, dir) = common::tempdir();
    let mut store = common::init(&dir);
    let mut before = pod_templates(&store);
    assert!(
        changed(&before, &pod_templates(&store)).is_empty(),
        "the same certificates roll nothing"
    );

    type Step = fn(&mut CertStore) -> Result<(), meshgen::certs::StoreError>;
    let steps: [(&str, Step); 4] = [
        ("rotate-anchor start", |s| {
            s.start_anchor_rotation(common::start(), &mut common::fresh)
        }),
        ("rotate-anchor issuer", |s| {
            s.rotate_anchor_issuer(common::start(), &mut common::fresh)
        }),
        ("rotate-anchor finish", |s| s.finish_anchor_rotation()),
        ("rotate-issuer", |s| {
            s.rotate_issuer(common::start(), &mut common::fresh)
        }),
    ];
    for (name, step) in steps {
        step(&mut store).unwrap_or_else(|e| panic!("{name}: {e}"));
        let after = pod_templates(&store);
        let mut meshed = MESHED.to_vec();
        meshed.sort_unstable();
        assert_eq!(changed(&before, &after), meshed, "{name}");
        before = after;
    }
}

#[test]
fn renewed_webhooks_roll_only_what_reads_them() {
    let (_tmp, dir) = common::tempdir();
    let mut store = common::init(&dir);
    let before = pod_templates(&store);
    store
        .renew_webhooks(common::start(), &mut common::fresh)
        .unwrap_or_else(|e| panic!("{e}"));
    let rolled = changed(&before, &pod_templates(&store));
    // The webhooks' own servers restart for their new certificates (upstream's
    // checksum annotations); the mesh identity is unchanged, so no other pod rolls.
    assert_eq!(
        rolled,
        [
            "Deployment linkerd-viz/tap",
            "Deployment linkerd-viz/tap-injector",
            "Deployment linkerd/linkerd-destination",
            "Deployment linkerd/linkerd-proxy-injector",
        ]
    );
}
