//! End-to-end behaviour of a render: quoting, injection safety, schema errors and
//! the all-or-nothing write.

use crate::common;

use std::collections::BTreeMap;

use meshgen::{Error, TemplateSet, Utf8PathBuf};
use serde_json::Value;

/// Renders the default values plus `overlay` and parses the Alpha StatefulSet back.
fn alpha_statefulset(overlay_text: &str) -> (String, Value) {
    let output = common::output(overlay_text);
    let text = output.generated().files["dgraph/statefulset-demo-dgraph-alpha.yaml"].clone();
    let parsed = crate::common::parse(&text).unwrap_or_else(|e| panic!("{e}\n{text}"));
    (text, parsed)
}

fn annotations(obj: &Value) -> &serde_json::Map<String, Value> {
    obj.pointer("/spec/template/metadata/annotations")
        .and_then(Value::as_object)
        .expect("pod annotations")
}

const YAML_11_LOOKALIKES: &[&str] = &["on", "yes", "no", "y", "off", "1e3", "10:30"];

#[test]
fn yaml_11_lookalike_values_are_quoted_and_read_back_as_strings() {
    let mut text = String::from("dgraph:\n  alpha:\n    podAnnotations:\n");
    for (i, v) in YAML_11_LOOKALIKES.iter().enumerate() {
        text.push_str(&format!("      example.com/a{i}: \"{v}\"\n"));
    }
    text.push_str("    podLabels:\n");
    // `10:30` is not a valid label value; the others are.
    for (i, v) in YAML_11_LOOKALIKES.iter().filter(|v| **v != "10:30").enumerate() {
        text.push_str(&format!("      l{i}: \"{v}\"\n"));
    }
    let (rendered, obj) = alpha_statefulset(&text);
    for (i, v) in YAML_11_LOOKALIKES.iter().enumerate() {
        assert!(
            rendered.contains(&format!("example.com/a{i}: \"{v}\"\n")),
            "{v} not quoted:\n{rendered}"
        );
        assert_eq!(
            annotations(&obj)[&format!("example.com/a{i}")],
            Value::String(v.to_string())
        );
    }
    let labels = obj.pointer("/spec/template/metadata/labels").expect("pod labels");
    for (i, v) in YAML_11_LOOKALIKES.iter().filter(|v| **v != "10:30").enumerate() {
        assert!(rendered.contains(&format!("l{i}: \"{v}\"\n")), "label {v} not quoted");
        assert_eq!(labels[format!("l{i}")], Value::String(v.to_string()));
    }
}

#[test]
fn hostile_values_read_back_unchanged_and_keep_the_structure() {
    let long = "x".repeat(20_000);
    let hostile: Vec<&str> = vec![
        "x\nevil: true",
        "\"}",
        "#",
        "---",
        "{{ x }}",
        "a: b",
        "- item",
        "*alias",
        "&anchor x",
        "!!bool",
        "|",
        "x # not a comment",
        " leading and trailing ",
        "tab\there",
        "line\u{2028}separator",
        "...",
        &long,
    ];
    let mut text = String::from("dgraph:\n  alpha:\n    podAnnotations:\n");
    for (i, v) in hostile.iter().enumerate() {
        text.push_str(&format!(
            "      example.com/h{i}: {}\n",
            serde_json::to_string(v).expect("json")
        ));
    }
    let (_, obj) = alpha_statefulset(&text);
    let ann = annotations(&obj);
    for (i, v) in hostile.iter().enumerate() {
        assert_eq!(
            ann[&format!("example.com/h{i}")],
            Value::String(v.to_string()),
            "value {i}"
        );
    }
    // The six managed annotations, meshgen's rollout digest, and ours: nothing
    // injected next to them.
    assert_eq!(ann.len(), 7 + hostile.len());
    assert!(ann.contains_key(meshgen::IDENTITY_ANNOTATION));
    let top: Vec<&str> = obj.as_object().expect("object").keys().map(String::as_str).collect();
    assert_eq!(top, ["apiVersion", "kind", "metadata", "spec"]);
    assert!(obj.pointer("/spec/template/metadata/evil").is_none());
}

/// A directory holding a previous render, to show that failures leave it alone.
fn previous_render() -> (tempfile::TempDir, Utf8PathBuf, BTreeMap<String, Vec<u8>>) {
    let tmp = tempfile::tempdir().expect("tempdir");
    let out = Utf8PathBuf::from_path_buf(tmp.path().join("generated")).expect("utf-8 path");
    common::output("")
        .write(&out, &out.with_file_name("secrets"))
        .expect("first render");
    let snapshot = read_tree(&out);
    (tmp, out, snapshot)
}

fn read_tree(dir: &Utf8PathBuf) -> BTreeMap<String, Vec<u8>> {
    let mut files = BTreeMap::new();
    let mut stack = vec![dir.clone()];
    while let Some(d) = stack.pop() {
        for entry in d.read_dir_utf8().expect("read dir") {
            let path = entry.expect("entry").path().to_owned();
            if path.is_dir() {
                stack.push(path);
            } else {
                files.insert(
                    path.strip_prefix(dir).expect("inside").to_string(),
                    std::fs::read(&path).expect("read"),
                );
            }
        }
    }
    files
}

fn fixture(name: &str) -> TemplateSet {
    let dir = Utf8PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures")).join(name);
    TemplateSet::from_dir(&dir).expect("fixture templates")
}

/// Renders the templates of `fixture` over a previous render. The render must fail
/// and leave the previous output as it was; its error is returned.
fn failed_render_over_previous(fixture_name: &str) -> Error {
    let (_tmp, out, before) = previous_render();
    let secrets = out.with_file_name("secrets");
    let err = common::renderer()
        .templates(fixture(fixture_name))
        .render(common::now())
        .and_then(|output| output.write(&out, &secrets))
        .expect_err("must fail");
    assert_eq!(read_tree(&out), before, "generated/ changed after a failed render");
    err
}

#[test]
fn misspelt_field_names_the_object_and_path_and_writes_nothing() {
    match failed_render_over_previous("misspelt") {
        Error::Schema { object, path, message } => {
            assert!(object.contains("StatefulSet dgraph/demo-dgraph-zero"), "{object}");
            assert_eq!(path, "spec.template.spec.containers[0].imagePullPolcy");
            assert!(message.contains("unknown field"), "{message}");
        }
        other => panic!("expected a schema error, got {other}"),
    }
}

#[test]
fn failure_partway_through_leaves_the_previous_output() {
    let text = failed_render_over_previous("failing").to_string();
    assert!(
        text.contains("dgraph/b-broken.yaml.j2") && text.contains("noSuchKey"),
        "{text}"
    );
}

#[test]
fn default_render_has_the_expected_objects() {
    let output = common::output("");
    let files: Vec<&str> = output.generated().files.keys().map(String::as_str).collect();
    let dgraph: Vec<&str> = (files.iter().copied())
        .filter(|f| f.starts_with("dgraph/") && !f.ends_with("kustomization.yaml"))
        .collect();
    assert_eq!(
        dgraph,
        [
            "dgraph/authorizationpolicy-demo-dgraph-alpha-grpc.yaml",
            "dgraph/authorizationpolicy-demo-dgraph-alpha-http.yaml",
            "dgraph/authorizationpolicy-demo-dgraph-zero-http.yaml",
            "dgraph/configmap-demo-dgraph-alpha-config.yaml",
            "dgraph/meshtlsauthentication-demo-dgraph-clients.yaml",
            "dgraph/meshtlsauthentication-demo-dgraph-peers.yaml",
            "dgraph/namespace-dgraph.yaml",
            "dgraph/networkpolicy-demo-dgraph-allow-meshed.yaml",
            "dgraph/networkpolicy-demo-dgraph-allow-peers.yaml",
            "dgraph/networkpolicy-demo-dgraph-allow-viz.yaml",
            "dgraph/networkpolicy-demo-dgraph-alpha-allow-meshed.yaml",
            "dgraph/networkpolicy-demo-dgraph-default-deny.yaml",
            "dgraph/server-demo-dgraph-alpha-grpc.yaml",
            "dgraph/server-demo-dgraph-alpha-http.yaml",
            "dgraph/server-demo-dgraph-zero-http.yaml",
            "dgraph/service-demo-dgraph-alpha-headless.yaml",
            "dgraph/service-demo-dgraph-alpha.yaml",
            "dgraph/service-demo-dgraph-zero-headless.yaml",
            "dgraph/service-demo-dgraph-zero.yaml",
            "dgraph/serviceaccount-dgraph.yaml",
            "dgraph/serviceprofile-demo-dgraph-alpha.dgraph.svc.cluster.local.yaml",
            "dgraph/statefulset-demo-dgraph-alpha.yaml",
            "dgraph/statefulset-demo-dgraph-zero.yaml",
        ]
    );
    let count = |bundle: &str| files.iter().filter(|f| f.starts_with(bundle)).count();
    // The Namespace plus upstream's 37 control-plane objects, less the issuer Secret,
    // which goes to secrets/; then the 10 CRDs; each bundle with its kustomization.
    assert_eq!(count("linkerd/"), 37 + 1);
    assert_eq!(count("linkerd-crds/"), 10 + 1);
    // The Namespace plus upstream's 49 viz objects (the tap Secrets go to secrets/).
    assert_eq!(count("linkerd-viz/"), 50 + 1);
    // Namespace, ServiceAccount, ConfigMap, Deployment, two Services, three Servers,
    // three AuthorizationPolicies and two MeshTLSAuthentications.
    assert_eq!(count("linkerd-jaeger/"), 14 + 1);
    // Namespace, ServiceAccount and Deployment of the test client.
    assert_eq!(count("pydgraph-client/"), 3 + 1);
    assert_eq!(
        files.len(),
        (23 + 1) + (37 + 1) + (10 + 1) + (50 + 1) + (14 + 1) + (3 + 1) + 2,
        "dgraph, linkerd, linkerd-crds, linkerd-viz, linkerd-jaeger, pydgraph-client, the top kustomization and the lock file"
    );
    for (file, content) in &output.generated().files {
        if file.ends_with(".yaml") {
            assert!(
                content.starts_with("# generated by meshgen, do not edit; run `cargo xtask render`\n"),
                "{file} lacks the header"
            );
        }
    }
}

#[test]
fn a_private_key_outside_a_secret_fails_the_render() {
    let err = common::renderer()
        .templates(fixture("leaky"))
        .render(common::now())
        .expect_err("must refuse");
    assert!(
        matches!(&err, Error::KeyMaterial { object } if object.contains("ConfigMap dgraph/leaky")),
        "{err}"
    );
}

/// The upper bound on Dgraph replicas leaves room for what a benchmark renders:
/// 99 Zeros (odd, for Raft) and 100 Alphas, with every peer listed.
#[test]
fn a_large_dgraph_cluster_renders() {
    let output = common::output("dgraph:\n  zero: {replicas: 99}\n  alpha: {replicas: 100}\n");
    let files = &output.generated().files;
    let replicas = |name: &str| {
        let text = &files[&format!("dgraph/statefulset-demo-dgraph-{name}.yaml")];
        let obj = crate::common::parse(text).unwrap_or_else(|e| panic!("{e}"));
        obj.pointer("/spec/replicas").and_then(Value::as_u64)
    };
    assert_eq!(replicas("zero"), Some(99));
    assert_eq!(replicas("alpha"), Some(100));
}

/// meshgen's own pod annotations count towards the API server's limit, so one that
/// fits alone but not beside them is refused, by key, before anything is templated.
#[test]
fn pod_annotations_just_over_the_limit_are_refused_by_key() {
    let value = "x".repeat(256 * 1024 - 100);
    let overlay = format!("dgraph:\n  alpha:\n    podAnnotations:\n      example.com/big: {value}\n");
    let err = meshgen::Values::with_overlays(&[meshgen::ValuesSource::new("big.yaml", overlay)])
        .expect_err("over the limit with meshgen's own annotations");
    match err {
        Error::Values { file, path, .. } => {
            assert_eq!(file, "big.yaml");
            assert_eq!(path, "dgraph.alpha.podAnnotations");
        }
        other => panic!("expected a values error, got {other}"),
    }
}
