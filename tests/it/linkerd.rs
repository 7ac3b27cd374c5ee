//! The Linkerd control plane bundle: where key material goes, what the external
//! issuer and HA mode change. Renders with the test-only store and with a store
//! minted afresh (both have their private keys).

use crate::common;

use base64ct::{Base64, Encoding};
use meshgen::{load_certs, CertStore, Output};
use serde_json::Value;

fn trees(overlay: &str, certs: &CertStore) -> Output {
    meshgen::Renderer::new()
        .values_text("test-overlay.yaml", overlay)
        .certs(certs.clone())
        .render(common::now())
        .unwrap_or_else(|e| panic!("{e}"))
}

fn parse(text: &str) -> Value {
    crate::common::parse(text).unwrap_or_else(|e| panic!("{e}\n{text}"))
}

/// The generated files of the control plane bundle, parsed.
fn linkerd_objects(trees: &Output) -> Vec<(String, Value)> {
    trees
        .generated()
        .files
        .iter()
        .filter(|(path, _)| path.starts_with("linkerd/"))
        .map(|(path, text)| (path.clone(), parse(text)))
        .collect()
}

const KEY_FIELDS: [&str; 2] = ["tls.key", "key.pem"];

/// Fails if any generated file holds a private key, in PEM, in base64, or in a key field.
fn assert_no_key_material(trees: &Output, key_pems: &[String]) {
    for (path, text) in &trees.generated().files {
        assert!(!text.contains("PRIVATE KEY"), "{path} holds a private key");
        for field in KEY_FIELDS {
            assert!(!text.contains(&format!("{field}:")), "{path} has a `{field}` field");
        }
        for pem in key_pems {
            let b64 = Base64::encode_string(pem.trim().as_bytes());
            assert!(!text.contains(&b64[..40]), "{path} holds a base64 private key");
        }
        if path.ends_with(".yaml") {
            assert_ne!(parse(text)["kind"], "Secret", "{path}: a Secret in generated/");
        }
    }
}

/// The private keys of a store: every `.key` file it holds.
fn key_pems(certs: &CertStore) -> Vec<String> {
    certs
        .files()
        .filter(|f| f.ends_with(".key"))
        .filter_map(|f| certs.get(f))
        .map(str::to_string)
        .collect()
}

#[test]
fn test_store_keys_never_leak_into_generated() {
    let certs = common::test_certs();
    assert_no_key_material(&trees("", &certs), &key_pems(&certs));
}

#[test]
fn secrets_hold_the_keys_and_go_only_to_the_secrets_tree() {
    let (_tmp, dir) = common::tempdir();
    let certs = common::init(&dir);
    let keys = key_pems(&certs);
    assert!(!keys.is_empty(), "a freshly minted store has its keys");
    let out = trees("", &certs);
    assert_no_key_material(&out, &keys);

    let secrets = out.secrets().expect("keys present, so Secrets are rendered");
    let mut names: Vec<&str> = secrets
        .files
        .keys()
        .map(String::as_str)
        .filter(|p| p.starts_with("linkerd/"))
        .collect();
    names.sort_unstable();
    assert_eq!(
        names,
        [
            "linkerd/secret-linkerd-identity-issuer.yaml",
            "linkerd/secret-linkerd-policy-validator-k8s-tls.yaml",
            "linkerd/secret-linkerd-proxy-injector-k8s-tls.yaml",
            "linkerd/secret-linkerd-sp-validator-k8s-tls.yaml",
        ]
    );
    let issuer = parse(&secrets.files["linkerd/secret-linkerd-identity-issuer.yaml"]);
    let key = Base64::decode_vec(issuer["data"]["key.pem"].as_str().expect("key.pem")).expect("base64");
    assert_eq!(key, certs.get("issuer.key").expect("issuer.key").trim().as_bytes());
    let hook = parse(&secrets.files["linkerd/secret-linkerd-proxy-injector-k8s-tls.yaml"]);
    assert_eq!(hook["type"], "kubernetes.io/tls");

    // Every Secret the render produced sits in the secrets tree, none elsewhere.
    let output = trees("", &certs);
    let secrets = output.secrets().expect("the test store has its keys");
    let all: Vec<_> = output.objects().chain(output.secret_objects()).collect();
    assert!(all.iter().any(|m| m.kind == "Secret"));
    for m in all.iter().filter(|m| m.kind == "Secret") {
        assert!(secrets.files.contains_key(&m.file_name()), "{}", m.id());
        assert!(!output.generated().files.contains_key(&m.file_name()), "{}", m.id());
    }
}

#[test]
fn generated_is_the_same_with_or_without_the_keys() {
    let (_tmp, dir) = common::tempdir();
    let with_keys = trees("", &common::init(&dir));
    for entry in walk(dir.as_std_path()) {
        if entry.extension().is_some_and(|e| e == "key") {
            std::fs::remove_file(&entry).expect("remove key");
        }
    }
    let without = trees("", &load_certs(&dir).expect("store without keys loads"));
    assert!(without.secrets().is_none(), "no keys, so no Secrets");
    assert_eq!(with_keys.generated().files, without.generated().files);
}

fn walk(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).expect("read dir").flatten() {
        let path = entry.path();
        if path.is_dir() {
            out.extend(walk(&path));
        } else {
            out.push(path);
        }
    }
    out
}

#[test]
fn external_issuer_renders_no_issuer_secret() {
    let (_tmp, dir) = common::tempdir();
    let certs = common::init(&dir);
    let out = trees("linkerd: {identity: {issuer: {scheme: kubernetes.io/tls}}}", &certs);
    let secrets = out.secrets().expect("the webhook Secrets remain");
    assert!(!secrets
        .files
        .contains_key("linkerd/secret-linkerd-identity-issuer.yaml"));
    assert!(secrets
        .files
        .contains_key("linkerd/secret-linkerd-proxy-injector-k8s-tls.yaml"));

    let identity = parse(&out.generated().files["linkerd/deployment-linkerd-identity.yaml"]);
    let args = &identity["spec"]["template"]["spec"]["containers"][0]["args"];
    assert!(
        args.as_array()
            .expect("args")
            .contains(&Value::from("-identity-scheme=kubernetes.io/tls")),
        "{args}"
    );
    let config = parse(&out.generated().files["linkerd/configmap-linkerd-config.yaml"]);
    let config_values = parse(config["data"]["values"].as_str().expect("values"));
    assert_eq!(config_values["identity"]["issuer"]["scheme"], "kubernetes.io/tls");
    assert_eq!(config_values["identity"]["issuer"]["tls"]["crtPEM"], "");
}

#[test]
fn high_availability_renders_three_replicas_and_disruption_budgets() {
    let certs = common::test_certs();
    let kinds = |objects: &[(String, Value)], kind: &str| -> Vec<Value> {
        objects
            .iter()
            .filter(|(_, o)| o["kind"] == kind)
            .map(|(_, o)| o.clone())
            .collect()
    };
    let ha = linkerd_objects(&trees("linkerd: {highAvailability: true}", &certs));
    let deployments = kinds(&ha, "Deployment");
    assert_eq!(deployments.len(), 3);
    for d in &deployments {
        assert_eq!(d["spec"]["replicas"], 3, "{}", d["metadata"]["name"]);
        let affinity = &d["spec"]["template"]["spec"]["affinity"]["podAntiAffinity"];
        assert!(affinity.is_object(), "{} has no anti-affinity", d["metadata"]["name"]);
    }
    let mut pdbs: Vec<String> = kinds(&ha, "PodDisruptionBudget")
        .iter()
        .map(|p| p["metadata"]["name"].as_str().unwrap_or_default().to_string())
        .collect();
    pdbs.sort();
    assert_eq!(pdbs, ["linkerd-dst", "linkerd-identity", "linkerd-proxy-injector"]);
    for hook in kinds(&ha, "ValidatingWebhookConfiguration")
        .iter()
        .chain(&kinds(&ha, "MutatingWebhookConfiguration"))
    {
        assert_eq!(hook["webhooks"][0]["failurePolicy"], "Fail");
    }

    let normal = linkerd_objects(&trees("", &certs));
    assert!(kinds(&normal, "PodDisruptionBudget").is_empty());
    for d in kinds(&normal, "Deployment") {
        assert_eq!(d["spec"]["replicas"], 1);
    }
}
