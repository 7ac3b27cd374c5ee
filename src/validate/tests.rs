//! The CRDs built in src/crds: the rendered objects (Linkerd's), and the validation of
//! custom resources against their schemas (Linkerd's, and those of cert-manager, Flux
//! and Argo CD, which are never rendered).
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

/// The example of `kind` named `name`, whatever its file and version.
fn named(kind: &str, name: &str) -> Value {
    examples()
        .into_iter()
        .map(|(_, d)| d)
        .find(|d| d["kind"] == kind && d["metadata"]["name"] == name)
        .unwrap_or_else(|| panic!("an example {kind} {name}"))
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
    // Where Argo CD's own CRDs keep values as written, so do ours.
    let mut chart = named("Application", "linkerd-viz-chart");
    chart["spec"]["sources"][0]["helm"]["valuesObject"]["future"] = json!({"nested": [1, {"x": true}]});
    check(&chart).expect("valuesObject keeps anything");
    let mut fleet = named("ApplicationSet", "meshgen-fleet");
    fleet["spec"]["generators"][1]["merge"]["generators"][1]["matrix"]["anything"] = json!([{"goes": 1}]);
    fleet["spec"]["generators"][1]["merge"]["generators"][0]["list"]["elements"][0]["deep"] = json!({"a": [1]});
    check(&fleet).expect("a nested matrix and list elements keep anything");
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

type Case = (&'static str, &'static str, fn(&mut Value), &'static str, &'static str);

/// Removes the field `key` of the object at `pointer`.
fn remove(obj: &mut Value, pointer: &str, key: &str) {
    let parent = obj.pointer_mut(pointer).and_then(Value::as_object_mut).expect(pointer);
    parent.remove(key).unwrap_or_else(|| panic!("{pointer} has no {key}"));
}

/// Renames the field `from` of the object at `pointer`, as a typo would.
fn rename(obj: &mut Value, pointer: &str, from: &str, to: &str) {
    let parent = obj.pointer_mut(pointer).and_then(Value::as_object_mut).expect(pointer);
    let value = parent.remove(from).unwrap_or_else(|| panic!("{pointer} has no {from}"));
    parent.insert(to.to_string(), value);
}

const UNKNOWN: &str = "unknown field";
const MISSING: &str = "required field is missing";

/// Each edit of a cert-manager, Flux or Argo CD example (kind, name), the path the error
/// names and a part of its message.
const CASES: &[Case] = &[
    // cert-manager
    (
        "Certificate",
        "linkerd-identity-issuer",
        |o| rename(o, "/spec", "isCA", "isCa"),
        "spec.isCa",
        UNKNOWN,
    ),
    (
        "Certificate",
        "linkerd-identity-issuer",
        |o| rename(o, "/spec/privateKey", "algorithm", "algorithim"),
        "spec.privateKey.algorithim",
        UNKNOWN,
    ),
    (
        // A misspelt required field is named as what it is, before the missing one.
        "Certificate",
        "linkerd-identity-issuer",
        |o| rename(o, "/spec/issuerRef", "name", "nam"),
        "spec.issuerRef.nam",
        "(and 1 more problem)",
    ),
    (
        "Issuer",
        "linkerd-trust-anchor",
        |o| rename(o, "/spec/ca", "secretName", "secretname"),
        "spec.ca.secretname",
        UNKNOWN,
    ),
    (
        "Issuer",
        "letsencrypt",
        |o| {
            let term = "/spec/acme/solvers/1/http01/gatewayHTTPRoute/podTemplate/spec/affinity/podAntiAffinity/preferredDuringSchedulingIgnoredDuringExecution/0/podAffinityTerm";
            rename(o, term, "topologyKey", "topologyKeys");
        },
        "spec.acme.solvers[1].http01.gatewayHTTPRoute.podTemplate.spec.affinity.podAntiAffinity.preferredDuringSchedulingIgnoredDuringExecution[0].podAffinityTerm.topologyKeys",
        UNKNOWN,
    ),
    (
        "Certificate",
        "linkerd-identity-issuer",
        |o| o["spec"]["privateKey"]["algorithm"] = json!("DSA"),
        "spec.privateKey.algorithm",
        r#""DSA" is not one of "RSA", "ECDSA", "Ed25519""#,
    ),
    (
        "Certificate",
        "linkerd-identity-issuer",
        |o| o["spec"]["usages"] = json!(["server auth", "signing-everything"]),
        "spec.usages[1]",
        r#""signing-everything" is not one of "signing", "digital signature""#,
    ),
    (
        "Certificate",
        "linkerd-identity-issuer",
        |o| o["spec"]["duration"] = json!(48),
        "spec.duration",
        "expected a string",
    ),
    (
        "Certificate",
        "linkerd-identity-issuer",
        |o| o["spec"]["secretName"] = Value::Null,
        "spec.secretName",
        "required field is missing",
    ),
    (
        "Certificate",
        "linkerd-identity-issuer",
        |o| o["status"]["conditions"][0]["status"] = json!("Yes"),
        "status.conditions[0].status",
        "is not one of \"True\", \"False\", \"Unknown\"",
    ),
    (
        "Certificate",
        "demo-dgraph-alpha-tls",
        |o| o["spec"]["keystores"]["pkcs12"]["profile"] = json!("Modern2025"),
        "spec.keystores.pkcs12.profile",
        "is not one of",
    ),
    (
        "Issuer",
        "linkerd-self-signed",
        |o| o["spec"]["ca"] = json!({"secretName": "linkerd-trust-anchor"}),
        "spec",
        "oneOf: exactly one of [acme set; ca set; vault set; selfSigned set; venafi set] must hold, 2 do",
    ),
    (
        "Issuer",
        "venafi",
        |o| o["spec"]["venafi"]["tpp"] = json!({"url": "https://tpp.example.com/vedsdk", "credentialsRef": {"name": "tpp"}}),
        "spec.venafi",
        "oneOf: exactly one of [tpp set; cloud set; ngts set] must hold, 2 do",
    ),
    (
        "Issuer",
        "linkerd-trust-anchor",
        |o| o["spec"]["ca"]["ocspServers"] = json!("http://ocsp.example.com"),
        "spec.ca.ocspServers",
        "expected an array",
    ),
    // Flux
    // GitRepository
    (
        "GitRepository",
        "meshgen",
        |o| rename(o, "/spec/ref", "branch", "brnach"),
        "spec.ref.brnach",
        UNKNOWN,
    ),
    (
        "GitRepository",
        "meshgen",
        |o| remove(o, "/spec", "url"),
        "spec.url",
        MISSING,
    ),
    (
        "GitRepository",
        "meshgen",
        |o| o["spec"]["url"] = json!("git@git.example.com:platform/mesh.git"),
        "spec.url",
        "does not match the pattern ^(http|https|ssh)://.*$",
    ),
    (
        "GitRepository",
        "meshgen",
        |o| o["spec"]["interval"] = json!("1 minute"),
        "spec.interval",
        "does not match",
    ),
    // Timeouts stop at minutes.
    (
        "GitRepository",
        "meshgen",
        |o| o["spec"]["timeout"] = json!("1h"),
        "spec.timeout",
        "does not match",
    ),
    (
        "GitRepository",
        "meshgen-ssh",
        |o| o["spec"]["verify"]["mode"] = json!("Commit"),
        "spec.verify.mode",
        r#""Commit" is not one of "head", "HEAD", "Tag", "TagAndHEAD""#,
    ),
    (
        // Upstream's CEL rule, checked as anyOf: a service account only for aws or azure.
        "GitRepository",
        "meshgen-ssh",
        |o| o["spec"]["serviceAccountName"] = json!("source-controller"),
        "spec",
        "anyOf: at least one of",
    ),
    (
        "GitRepository",
        "meshgen-ssh",
        |o| o["status"]["artifact"]["digest"] = json!("2c26b46b"),
        "status.artifact.digest",
        "does not match",
    ),
    // Kustomization
    (
        "Kustomization",
        "linkerd",
        |o| o["spec"]["decryption"]["provider"] = json!("vault"),
        "spec.decryption.provider",
        r#""vault" is not one of "sops""#,
    ),
    (
        "Kustomization",
        "linkerd",
        |o| rename(o, "/spec", "dependsOn", "dependOn"),
        "spec.dependOn",
        UNKNOWN,
    ),
    (
        "Kustomization",
        "linkerd",
        |o| remove(o, "/spec/healthChecks/0", "name"),
        "spec.healthChecks[0].name",
        MISSING,
    ),
    (
        "Kustomization",
        "linkerd",
        |o| remove(o, "/spec", "prune"),
        "spec.prune",
        MISSING,
    ),
    (
        "Kustomization",
        "linkerd",
        |o| o["spec"]["wait"] = json!("true"),
        "spec.wait",
        "expected a boolean",
    ),
    (
        "Kustomization",
        "linkerd",
        |o| o["spec"]["sourceRef"]["kind"] = json!("HelmRepository"),
        "spec.sourceRef.kind",
        "is not one of \"OCIRepository\", \"GitRepository\", \"Bucket\", \"ExternalArtifact\"",
    ),
    (
        "Kustomization",
        "dgraph",
        |o| o["status"]["inventory"]["entries"][0]["version"] = json!("v1"),
        "status.inventory.entries[0].version",
        UNKNOWN,
    ),
    (
        // Upstream's CEL rules, checked as oneOf: one cluster to apply to, not two.
        "Kustomization",
        "pydgraph-client-east",
        |o| o["spec"]["kubeConfig"]["configMapRef"] = json!({"name": "east"}),
        "spec.kubeConfig",
        "oneOf: exactly one of [configMapRef set; secretRef set] must hold, 2 do",
    ),
    (
        "Kustomization",
        "pydgraph-client-east",
        |o| o["spec"]["targetNamespace"] = json!(""),
        "spec.targetNamespace",
        "shorter than 1 characters",
    ),
    // Application
    (
        "Application",
        "linkerd",
        |o| remove(o, "/spec", "destination"),
        "spec.destination",
        MISSING,
    ),
    (
        "Application",
        "linkerd",
        |o| rename(o, "/spec/syncPolicy/automated", "selfHeal", "selfheal"),
        "spec.syncPolicy.automated.selfheal",
        UNKNOWN,
    ),
    (
        "Application",
        "linkerd",
        |o| o["spec"]["syncPolicy"]["retry"]["limit"] = json!("5"),
        "spec.syncPolicy.retry.limit",
        "expected an integer",
    ),
    (
        "Application",
        "linkerd",
        |o| remove(o, "/spec/source", "repoURL"),
        "spec.source.repoURL",
        MISSING,
    ),
    (
        "Application",
        "linkerd-crds",
        |o| rename(o, "/spec/source", "directory", "directories"),
        "spec.source.directories",
        UNKNOWN,
    ),
    (
        "Application",
        "dgraph",
        |o| o["status"]["operationState"]["startedAt"] = json!("yesterday"),
        "status.operationState.startedAt",
        "not an RFC 3339 date-time",
    ),
    (
        "Application",
        "linkerd-viz-chart",
        |o| o["spec"]["sources"][1]["helm"] = json!({"valueFile": ["a.yaml"]}),
        "spec.sources[1].helm.valueFile",
        UNKNOWN,
    ),
    // ApplicationSet: its template's spec is an Application's spec.
    (
        "ApplicationSet",
        "meshgen",
        |o| remove(o, "/spec/template/spec", "destination"),
        "spec.template.spec.destination",
        MISSING,
    ),
    (
        "ApplicationSet",
        "meshgen",
        |o| rename(o, "/spec/generators/0/git/directories/1", "exclude", "excluded"),
        "spec.generators[0].git.directories[1].excluded",
        UNKNOWN,
    ),
    (
        "ApplicationSet",
        "meshgen",
        |o| o["spec"]["syncPolicy"]["applicationsSync"] = json!("create-all"),
        "spec.syncPolicy.applicationsSync",
        r#""create-all" is not one of "create-only", "create-update", "create-delete", "sync""#,
    ),
    (
        "ApplicationSet",
        "meshgen",
        |o| remove(o, "/spec/generators/0/git", "revision"),
        "spec.generators[0].git.revision",
        MISSING,
    ),
    (
        // A generator nested in a matrix is typed like one at the top.
        "ApplicationSet",
        "meshgen-fleet",
        |o| rename(o, "/spec/generators/0/matrix/generators/1/git", "repoURL", "repoUrl"),
        "spec.generators[0].matrix.generators[1].git.repoUrl",
        UNKNOWN,
    ),
    (
        "ApplicationSet",
        "meshgen-fleet",
        |o| remove(o, "/spec/generators/1/merge", "mergeKeys"),
        "spec.generators[1].merge.mergeKeys",
        MISSING,
    ),
    (
        "ApplicationSet",
        "meshgen-fleet",
        |o| {
            o["spec"]["generators"][0]["matrix"]["generators"][0]["clusters"]["selector"]["matchLabels"] =
                json!(["demo"])
        },
        "spec.generators[0].matrix.generators[0].clusters.selector.matchLabels",
        "expected an object",
    ),
    (
        "ApplicationSet",
        "meshgen",
        |o| o["spec"]["strategy"]["rollingSync"]["steps"][0]["maxUpdate"] = json!(true),
        "spec.strategy.rollingSync.steps[0].maxUpdate",
        "expected an integer or a string",
    ),
];

#[test]
fn mistakes_in_custom_resources_are_refused_at_their_paths() {
    for (kind, name, edit, path, message) in CASES {
        let mut obj = named(kind, name);
        edit(&mut obj);
        match check(&obj) {
            Err(Error::Schema {
                object,
                path: got,
                message: said,
            }) => {
                let namespace = obj["metadata"]["namespace"].as_str().unwrap_or_default();
                assert!(object.contains(&format!("{kind} {namespace}/{name}")), "{object}");
                assert_eq!(&got, path, "{kind} {name}: {said}");
                assert!(said.contains(message), "{path}: {said:?} lacks {message:?}");
            }
            Err(other) => panic!("{kind} {name} {path}: expected a schema error, got {other}"),
            Ok(()) => panic!("{kind} {name} {path}: accepted"),
        }
    }
}

#[test]
fn a_kustomization_is_looked_up_by_its_group_not_its_kind() {
    assert!(crds::schema_for("kustomize.toolkit.fluxcd.io/v1", "Kustomization").is_some());
    // generated/kustomization.yaml and every bundle's: kustomize's file, not an API object.
    assert!(crds::schema_for("kustomize.config.k8s.io/v1beta1", "Kustomization").is_none());
    assert!(crds::schema_for("argoproj.io/v1alpha1", "Application").is_some());
    assert!(crds::schema_for("app.k8s.io/v1beta1", "Application").is_none());
    let mut old = named("Kustomization", "linkerd");
    old["apiVersion"] = json!("kustomize.toolkit.fluxcd.io/v1beta2");
    let (_, path, message) = failure(old, |_| {});
    assert_eq!(path, "apiVersion");
    assert!(
        message.ends_with("use one of kustomize.toolkit.fluxcd.io/v1"),
        "{message}"
    );
}

#[test]
fn an_application_set_template_spec_is_an_application_spec() {
    let app = crds::schema_for("argoproj.io/v1alpha1", "Application").expect("Application");
    let set = crds::schema_for("argoproj.io/v1alpha1", "ApplicationSet").expect("ApplicationSet");
    let template = &set["properties"]["spec"]["properties"]["template"];
    assert_eq!(template["properties"]["spec"], app["properties"]["spec"]);
    // Every generator, at the top and nested in a matrix, carries the same template.
    let generator = &set["properties"]["spec"]["properties"]["generators"]["items"]["properties"];
    let nested = &generator["matrix"]["properties"]["generators"]["items"]["properties"];
    for kind in [
        "list",
        "clusters",
        "git",
        "scmProvider",
        "clusterDecisionResource",
        "pullRequest",
        "plugin",
    ] {
        assert_eq!(&generator[kind]["properties"]["template"], template, "{kind}");
        assert_eq!(&nested[kind]["properties"]["template"], template, "nested {kind}");
    }
    assert_eq!(
        generator["merge"]["properties"]["generators"],
        generator["matrix"]["properties"]["generators"]
    );
    // A third level is raw JSON upstream.
    assert_eq!(nested["matrix"], json!({"x-kubernetes-preserve-unknown-fields": true}));
}

#[test]
fn validation_only_crds_are_never_rendered_whatever_the_selection() {
    let only_validate: Vec<&crds::Definition> = (crds::definitions().iter())
        .filter(|d| matches!(d.extension, Some("cert-manager" | "flux" | "argocd")))
        .collect();
    let kinds: BTreeSet<String> = only_validate
        .iter()
        .map(|d| format!("{} {}", d.group, d.kind))
        .collect();
    assert_eq!(
        kinds.iter().map(String::as_str).collect::<Vec<_>>(),
        [
            "argoproj.io Application",
            "argoproj.io ApplicationSet",
            "cert-manager.io Certificate",
            "cert-manager.io Issuer",
            "kustomize.toolkit.fluxcd.io Kustomization",
            "source.toolkit.fluxcd.io GitRepository",
        ]
    );
    for namespace in ["linkerd", "mesh-system"] {
        for multicluster in [false, true] {
            let selection = crds::Selection {
                namespace,
                linkerd_version: crate::LINKERD_VERSION,
                multicluster,
            };
            let rendered: BTreeSet<String> = (crds::all(&selection).iter())
                .map(|crd| crd["metadata"]["name"].as_str().unwrap_or_default().to_string())
                .collect();
            let key = crds::key(&selection);
            for def in &only_validate {
                assert!(!rendered.contains(&def.name()), "{} in {selection:?}", def.name());
                assert!(!key.lines().any(|k| k == def.kind), "{key}");
            }
        }
    }
}
