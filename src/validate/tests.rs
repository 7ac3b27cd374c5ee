//! The Linkerd CRDs built in src/crds: the rendered objects, and the validation of
//! custom resources against their schemas.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

use crate::test_support as common;

use std::collections::BTreeSet;

use crate::crds::{self, dsl};
use crate::validate::openapi::violations as validate;
use crate::{Error, Manifest, TemplateSet, Utf8PathBuf};
use serde_json::{json, Value};

fn fixtures() -> Utf8PathBuf {
    Utf8PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures"))
}

/// Every document of tests/fixtures/crd-examples/*.yaml, with its file name.
fn examples() -> Vec<(String, Value)> {
    let dir = fixtures().join("crd-examples");
    let mut files: Vec<Utf8PathBuf> = dir
        .read_dir_utf8()
        .expect("crd-examples/")
        .map(|e| e.expect("entry").path().to_owned())
        .filter(|p| p.extension() == Some("yaml"))
        .collect();
    files.sort();
    let mut docs = Vec::new();
    for file in files {
        let text = std::fs::read_to_string(&file).expect("read example");
        for doc in crate::yaml::parse_stream(&text).unwrap_or_else(|e| panic!("{file}: {e}")) {
            docs.push((file.file_name().unwrap_or_default().to_string(), doc));
        }
    }
    docs
}

/// Checks one object the way a render does.
fn check(obj: &Value) -> Result<(), Error> {
    super::object(&Manifest::from_json("test", "test.yaml.j2", obj.clone())?)
}

fn parse(yaml: &str) -> Value {
    crate::yaml::parse(yaml).unwrap_or_else(|e| panic!("{e}\n{yaml}"))
}

#[test]
fn every_served_version_validates_a_realistic_example() {
    let mut covered = BTreeSet::new();
    for (file, doc) in examples() {
        let id = format!(
            "{} {}",
            doc["apiVersion"].as_str().unwrap_or("?"),
            doc["kind"].as_str().unwrap_or("?")
        );
        if let Err(e) = check(&doc) {
            panic!("{file}: {id} {}: {e}", doc["metadata"]["name"]);
        }
        covered.insert(id);
    }
    let mut missing = Vec::new();
    for def in crds::definitions() {
        for v in &def.versions {
            let id = format!("{}/{} {}", def.group, v.name, def.kind);
            if !covered.contains(&id) {
                missing.push(id);
            }
        }
    }
    assert!(
        missing.is_empty(),
        "no example in tests/fixtures/crd-examples for {missing:?}"
    );
}

/// The ServiceProfile example, which most failure cases start from.
fn service_profile() -> Value {
    examples()
        .into_iter()
        .map(|(_, d)| d)
        .find(|d| d["kind"] == "ServiceProfile" && d["apiVersion"] == "linkerd.io/v1alpha2")
        .expect("a v1alpha2 ServiceProfile example")
}

fn example(api_version: &str, kind: &str) -> Value {
    examples()
        .into_iter()
        .map(|(_, d)| d)
        .find(|d| d["kind"] == kind && d["apiVersion"] == api_version)
        .unwrap_or_else(|| panic!("an example of {api_version} {kind}"))
}

/// Applies `edit` to `base`, checks it and returns the (expected) schema error.
fn failure(base: Value, edit: impl FnOnce(&mut Value)) -> (String, String, String) {
    let mut obj = base;
    edit(&mut obj);
    match check(&obj) {
        Err(Error::Schema { object, path, message }) => (object, path, message),
        Err(other) => panic!("expected a schema error, got {other}"),
        Ok(()) => panic!("accepted:\n{}", crate::yaml::to_canonical(&obj)),
    }
}

fn assert_failure(base: Value, edit: impl FnOnce(&mut Value), path: &str, message: &str) {
    let (object, got_path, got_message) = failure(base, edit);
    assert_eq!(got_path, path, "{object}: {got_message}");
    assert!(
        got_message.contains(message),
        "{path}: {got_message:?} lacks {message:?}"
    );
}

#[test]
fn an_unknown_field_is_reported_with_its_path() {
    let (object, path, message) = failure(service_profile(), |o| {
        o["spec"]["routes"][0]["timout"] = json!("1s");
    });
    assert!(
        object.contains("ServiceProfile dgraph/demo-dgraph-alpha.dgraph.svc.cluster.local"),
        "{object}"
    );
    assert_eq!(path, "spec.routes[0].timout");
    assert!(message.contains("unknown field"), "{message}");
}

#[test]
fn an_unknown_top_level_field_is_reported() {
    assert_failure(service_profile(), |o| o["specs"] = json!({}), "specs", "unknown field");
}

#[test]
fn a_misspelt_metadata_field_is_reported() {
    assert_failure(
        service_profile(),
        |o| o["metadata"]["lables"] = json!({"a": "b"}),
        "metadata.lables",
        "unknown field",
    );
}

#[test]
fn a_wrong_type_is_reported() {
    assert_failure(
        service_profile(),
        |o| o["spec"]["routes"][0]["isRetryable"] = json!("yes"),
        "spec.routes[0].isRetryable",
        "expected a boolean",
    );
}

#[test]
fn int_or_string_rejects_other_types() {
    assert_failure(
        example("policy.linkerd.io/v1beta3", "Server"),
        |o| o["spec"]["port"] = json!(90.5),
        "spec.port",
        "expected an integer or a string",
    );
}

#[test]
fn an_enum_violation_is_reported() {
    assert_failure(
        example("policy.linkerd.io/v1beta2", "Server"),
        |o| o["spec"]["podSelector"]["matchExpressions"][0]["operator"] = json!("Maybe"),
        "spec.podSelector.matchExpressions[0].operator",
        "\"Maybe\" is not one of \"In\", \"NotIn\", \"Exists\", \"DoesNotExist\"",
    );
}

#[test]
fn an_integer_enum_violation_is_reported() {
    assert_failure(
        example("policy.linkerd.io/v1beta2", "HTTPRoute"),
        |o| o["spec"]["rules"][0]["filters"][0]["requestRedirect"]["statusCode"] = json!(307),
        "spec.rules[0].filters[0].requestRedirect.statusCode",
        "307 is not one of 301, 302",
    );
}

#[test]
fn a_pattern_violation_is_reported() {
    assert_failure(
        example("policy.linkerd.io/v1beta2", "HTTPRoute"),
        |o| o["spec"]["hostnames"][0] = json!("Dgraph_Example"),
        "spec.hostnames[0]",
        "does not match the pattern",
    );
}

#[test]
fn a_header_name_with_a_space_breaks_the_pattern() {
    assert_failure(
        example("policy.linkerd.io/v1beta3", "HTTPRoute"),
        |o| o["spec"]["rules"][1]["matches"][0]["headers"][0]["name"] = json!("X Dgraph"),
        "spec.rules[1].matches[0].headers[0].name",
        "does not match the pattern",
    );
}

#[test]
fn an_int32_out_of_range_is_reported() {
    assert_failure(
        service_profile(),
        |o| o["spec"]["retryBudget"]["minRetriesPerSecond"] = json!(1_u64 << 31),
        "spec.retryBudget.minRetriesPerSecond",
        "out of the int32 range",
    );
}

#[test]
fn a_port_above_the_maximum_is_reported() {
    assert_failure(
        example("policy.linkerd.io/v1beta3", "HTTPRoute"),
        |o| o["spec"]["rules"][0]["backendRefs"][0]["port"] = json!(70000),
        "spec.rules[0].backendRefs[0].port",
        "greater than the maximum of 65535",
    );
}

#[test]
fn a_missing_required_field_is_reported() {
    assert_failure(
        example("policy.linkerd.io/v1beta3", "Server"),
        |o| {
            if let Some(spec) = o["spec"].as_object_mut() {
                spec.remove("port");
            }
        },
        "spec.port",
        "required field is missing",
    );
}

#[test]
fn a_null_counts_as_absent() {
    assert_failure(
        example("policy.linkerd.io/v1alpha1", "AuthorizationPolicy"),
        |o| o["spec"]["targetRef"]["kind"] = Value::Null,
        "spec.targetRef.kind",
        "required field is missing",
    );
}

#[test]
fn one_of_with_both_alternatives_is_reported() {
    assert_failure(
        example("policy.linkerd.io/v1beta3", "Server"),
        |o| o["spec"]["externalWorkloadSelector"] = json!({"matchLabels": {"component": "alpha"}}),
        "spec",
        "oneOf: exactly one of [podSelector set; externalWorkloadSelector set] must hold, 2 do",
    );
}

#[test]
fn one_of_with_neither_alternative_is_reported() {
    let mut mtls = example("policy.linkerd.io/v1alpha1", "MeshTLSAuthentication");
    mtls["spec"] = json!({});
    let (_, path, message) = failure(mtls, |_| {});
    assert_eq!(path, "spec");
    assert!(message.contains("0 do"), "{message}");
}

#[test]
fn too_many_items_are_reported() {
    assert_failure(
        example("workload.linkerd.io/v1alpha1", "ExternalWorkload"),
        |o| o["spec"]["workloadIPs"] = json!([{"ip": "192.0.2.11"}, {"ip": "2001:db8::11"}]),
        "spec.workloadIPs",
        "more than the maximum of 1",
    );
}

#[test]
fn a_duplicate_key_in_a_keyed_list_is_reported() {
    assert_failure(
        example("policy.linkerd.io/v1beta3", "HTTPRoute"),
        |o| {
            let header = json!({"name": "X-Dgraph-Admin", "value": "false"});
            if let Some(headers) = o["spec"]["rules"][1]["matches"][0]["headers"].as_array_mut() {
                headers.push(header);
            }
        },
        "spec.rules[1].matches[0].headers[1]",
        "duplicate entry",
    );
}

#[test]
fn a_bad_timestamp_is_reported() {
    assert_failure(
        example("policy.linkerd.io/v1alpha1", "EgressNetwork"),
        |o| o["status"]["conditions"][0]["lastTransitionTime"] = json!("yesterday"),
        "status.conditions[0].lastTransitionTime",
        "not an RFC 3339 date-time",
    );
}

#[test]
fn the_weight_of_a_traffic_split_is_a_quantity() {
    assert_failure(
        example("linkerd.io/v1alpha1", "ServiceProfile"),
        |o| o["spec"]["dstOverrides"][0]["weight"] = json!("90%"),
        "spec.dstOverrides[0].weight",
        "does not match the pattern",
    );
}

#[test]
fn preserved_fields_keep_anything() {
    let mut sp = service_profile();
    sp["spec"]["routes"][1]["condition"]["all"][0]["future"] = json!({"nested": [1, 2]});
    check(&sp).expect("`all` items keep unknown fields");
    let mut server = example("policy.linkerd.io/v1beta3", "Server");
    server["spec"]["podSelector"]["matchLabels"]["anything.example/x"] = json!("y");
    check(&server).expect("matchLabels keeps any key");
}

#[test]
fn a_version_that_is_not_served_is_reported() {
    assert_failure(
        example("policy.linkerd.io/v1beta3", "Server"),
        |o| o["apiVersion"] = json!("policy.linkerd.io/v1"),
        "apiVersion",
        "use one of policy.linkerd.io/v1alpha1, policy.linkerd.io/v1beta1",
    );
}

#[test]
fn a_field_of_a_later_version_is_unknown_in_an_earlier_one() {
    let mut server = example("policy.linkerd.io/v1beta3", "Server");
    server["apiVersion"] = json!("policy.linkerd.io/v1beta2");
    let (_, path, message) = failure(server, |_| {});
    assert_eq!(path, "spec.accessPolicy");
    assert!(message.contains("unknown field"), "{message}");
}

#[test]
fn every_problem_is_counted_and_the_first_is_named() {
    let (_, path, message) = failure(service_profile(), |o| {
        o["spec"]["routes"][0]["timout"] = json!("1s");
        o["spec"]["routes"][0]["isRetryable"] = json!(1);
        o["spec"]["retryBudget"]["ttl"] = json!(10);
    });
    assert_eq!(path, "spec.routes[0].isRetryable", "document order");
    assert!(message.ends_with("(and 2 more problems)"), "{message}");
}

#[test]
fn unknown_fields_inside_one_of_branches_are_not_pruned_twice() {
    // The oneOf alternatives declare no fields; only the structural schema prunes.
    let schema: Value = dsl::object([("a", dsl::string()), ("b", dsl::string())])
        .one_of_required(["a", "b"])
        .into();
    assert_eq!(validate(&json!({"a": "x"}), &schema), []);
    let found = validate(&json!({"a": "x", "c": 1}), &schema);
    assert_eq!(found.len(), 1, "{found:?}");
    assert_eq!(found[0].path, "c");
}

#[test]
fn a_misspelt_required_field_is_named_before_the_field_it_leaves_missing() {
    let schema: Value = dsl::object([("name", dsl::string()), ("kind", dsl::string())])
        .required(["name"])
        .into();
    let found = validate(&json!({"nam": "x", "kind": "Issuer"}), &schema);
    let paths: Vec<&str> = found.iter().map(|v| v.path.as_str()).collect();
    assert_eq!(paths, ["nam", "name"], "{found:?}");
}

#[test]
fn every_schema_pattern_compiles() {
    fn walk(v: &Value, out: &mut BTreeSet<String>) {
        match v {
            Value::Object(m) => {
                if let Some(Value::String(p)) = m.get("pattern") {
                    out.insert(p.clone());
                }
                m.values().for_each(|x| walk(x, out));
            }
            Value::Array(a) => a.iter().for_each(|x| walk(x, out)),
            _ => {}
        }
    }
    let mut patterns = BTreeSet::new();
    for def in crds::definitions() {
        for v in &def.versions {
            walk(&v.schema, &mut patterns);
        }
    }
    assert!(patterns.len() >= 10, "{patterns:?}");
    for p in patterns {
        regex::Regex::new(&p).unwrap_or_else(|e| panic!("{p}: {e}"));
    }
}

#[test]
fn each_crd_stores_exactly_one_version_and_is_named_by_plural_and_group() {
    let objects = crds::all(&crds::Selection {
        namespace: "linkerd",
        linkerd_version: crate::LINKERD_VERSION,
        multicluster: false,
    });
    assert_eq!(objects.len(), 10);
    for crd in &objects {
        let name = crd["metadata"]["name"].as_str().expect("name");
        let spec = &crd["spec"];
        assert_eq!(
            name,
            format!(
                "{}.{}",
                spec["names"]["plural"].as_str().unwrap_or("?"),
                spec["group"].as_str().unwrap_or("?")
            )
        );
        let stored = spec["versions"]
            .as_array()
            .expect("versions")
            .iter()
            .filter(|v| v["storage"] == json!(true))
            .count();
        assert_eq!(stored, 1, "{name}");
    }
}

#[test]
fn the_crds_are_rendered_into_their_bundle_and_labelled_with_the_control_plane_namespace() {
    let output = crate::Renderer::new()
        .certs(common::test_certs_for("mesh-system", "cluster.local", "linkerd-viz"))
        .values_text("mesh.yaml", "linkerd:\n  namespace: mesh-system\n")
        .render(common::now())
        .unwrap_or_else(|e| panic!("{e}"));
    let files: Vec<&String> = (output.generated().files.keys())
        .filter(|f| f.starts_with("linkerd-crds/customresourcedefinition-"))
        .collect();
    assert_eq!(files.len(), 10, "{files:?}");
    let text = &output.generated().files["linkerd-crds/customresourcedefinition-servers.policy.linkerd.io.yaml"];
    let server = crate::yaml::parse(text).expect("yaml");
    assert_eq!(
        server["metadata"]["labels"]["linkerd.io/control-plane-ns"],
        "mesh-system"
    );
    assert_eq!(
        server["metadata"]["annotations"]["linkerd.io/created-by"],
        crds::created_by("edge-26.8.3").as_str()
    );
}

#[test]
fn a_misspelt_field_in_a_templated_custom_resource_fails_the_render() {
    let templates = TemplateSet::from_dir(&fixtures().join("crd-misspelt")).expect("fixture templates");
    match common::renderer().templates(templates).render(common::now()) {
        Err(Error::Schema { object, path, message }) => {
            assert!(
                object.contains("ServiceProfile dgraph/demo-dgraph-alpha.dgraph.svc.cluster.local")
                    && object.contains("dgraph/serviceprofile.yaml.j2"),
                "{object}"
            );
            assert_eq!(path, "spec.routes[0].isRetriable");
            assert!(message.contains("unknown field"), "{message}");
        }
        Err(other) => panic!("expected a schema error, got {other}"),
        Ok(_) => panic!("the misspelt field was accepted"),
    }
}

#[test]
fn a_custom_resource_written_inline_is_checked_too() {
    // The same check, without a fixture file: a NetworkAuthentication missing its networks.
    let obj = parse("apiVersion: policy.linkerd.io/v1alpha1\nkind: NetworkAuthentication\nmetadata: {name: x, namespace: dgraph}\nspec: {}\n");
    match check(&obj) {
        Err(Error::Schema { path, .. }) => assert_eq!(path, "spec.networks"),
        other => panic!("expected a schema error, got {other:?}"),
    }
}

#[test]
fn a_link_resource_is_checked_against_the_crd() {
    let link = |field: &str| {
        json!({
            "apiVersion": "multicluster.linkerd.io/v1alpha3",
            "kind": "Link",
            "metadata": {"name": "east", "namespace": "linkerd-multicluster"},
            "spec": {field: "east"},
        })
    };
    assert!(check(&link("targetClusterName")).is_ok());
    let err = check(&link("targetClustrName")).expect_err("a misspelt field");
    assert!(err.to_string().contains("targetClustrName"), "{err}");
}
