//! `certManager.enabled`: cert-manager's Issuers and Certificates, the control plane
//! and viz reading what cert-manager issues, no private key of meshgen's but the trust
//! anchor's Secret, and the mode in a fleet.

use std::collections::BTreeSet;

use camino::{Utf8Path, Utf8PathBuf};
use meshgen::{Manifest, Output};
use serde_json::Value;

use crate::common;

const ON: &str = "certManager: {enabled: true}";

fn find<'a>(output: &'a Output, kind: &str, namespace: &str, name: &str) -> &'a Manifest {
    output
        .objects()
        .find(|m| m.kind == kind && m.name == name && m.namespace.as_deref().unwrap_or_default() == namespace)
        .unwrap_or_else(|| panic!("no {kind} {namespace}/{name}"))
}

#[test]
fn cert_manager_issues_the_identity_issuer_and_every_webhook_certificate() {
    let output = common::output(ON);
    let certificates: BTreeSet<String> = output
        .objects()
        .filter(|m| m.kind == "Certificate")
        .map(|m| format!("{}/{}", m.namespace.as_deref().unwrap_or_default(), m.name))
        .collect();
    let expected = [
        "linkerd/linkerd-identity-issuer",
        "linkerd/linkerd-webhook-ca",
        "linkerd/linkerd-proxy-injector",
        "linkerd/linkerd-sp-validator",
        "linkerd/linkerd-policy-validator",
        "linkerd-viz/linkerd-webhook-ca",
        "linkerd-viz/tap",
        "linkerd-viz/linkerd-tap-injector",
    ];
    assert_eq!(certificates, expected.iter().map(|s| s.to_string()).collect());

    let issuer = &find(&output, "Certificate", "linkerd", "linkerd-identity-issuer").body;
    assert_eq!(issuer["spec"]["isCA"], true);
    assert_eq!(issuer["spec"]["commonName"], "identity.linkerd.cluster.local");
    assert_eq!(issuer["spec"]["privateKey"]["algorithm"], "ECDSA");
    assert_eq!(issuer["spec"]["issuerRef"]["name"], "linkerd-trust-anchor");
    assert_eq!(
        (
            issuer["spec"]["duration"].as_str(),
            issuer["spec"]["renewBefore"].as_str()
        ),
        (Some("48h"), Some("25h"))
    );
    let anchor = &find(&output, "Issuer", "linkerd", "linkerd-trust-anchor").body;
    assert_eq!(anchor["spec"]["ca"]["secretName"], "linkerd-trust-anchor");

    // Every webhook takes its CA from its Certificate, through cert-manager's injector.
    for (kind, name, from) in [
        (
            "MutatingWebhookConfiguration",
            "linkerd-proxy-injector-webhook-config",
            "linkerd/linkerd-proxy-injector",
        ),
        (
            "ValidatingWebhookConfiguration",
            "linkerd-sp-validator-webhook-config",
            "linkerd/linkerd-sp-validator",
        ),
        (
            "ValidatingWebhookConfiguration",
            "linkerd-policy-validator-webhook-config",
            "linkerd/linkerd-policy-validator",
        ),
        (
            "MutatingWebhookConfiguration",
            "linkerd-tap-injector-webhook-config",
            "linkerd-viz/linkerd-tap-injector",
        ),
        ("APIService", "v1alpha1.tap.linkerd.io", "linkerd-viz/tap"),
    ] {
        let body = &find(&output, kind, "", name).body;
        assert_eq!(
            body["metadata"]["annotations"]["cert-manager.io/inject-ca-from"], from,
            "{name}"
        );
        let text = body.to_string();
        assert!(!text.contains("caBundle"), "{name} carries a caBundle of its own");
    }
    let identity = &find(&output, "Deployment", "linkerd", "linkerd-identity").body;
    assert!(identity.to_string().contains("-identity-scheme=kubernetes.io/tls"));
    // The trust bundle still comes from certs/.
    let roots = &find(&output, "ConfigMap", "linkerd", "linkerd-identity-trust-roots").body;
    assert!(roots["data"]["ca-bundle.crt"]
        .as_str()
        .is_some_and(|b| b.contains("BEGIN CERTIFICATE")));
}

#[test]
fn no_key_of_meshgen_is_rendered_but_the_trust_anchor_secret() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let root = Utf8PathBuf::from_path_buf(tmp.path().to_path_buf()).expect("utf-8");
    let (out, secrets) = (root.join("generated"), root.join("secrets"));
    // A default render first: its issuer and webhook Secrets go when the mode is on.
    common::output("")
        .write(&out, &secrets)
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(secrets.join("linkerd/secret-linkerd-identity-issuer.yaml").is_file());
    let output = common::output(ON);
    assert_eq!(
        output.secret_objects().count(),
        0,
        "the test store has every key, and none is used"
    );
    output.write(&out, &secrets).unwrap_or_else(|e| panic!("{e}"));
    let (path, text) =
        meshgen::trust_anchor_secret(&common::values(ON), &common::test_certs()).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(path, "trust-anchor/linkerd/secret-linkerd-trust-anchor.yaml");
    let secret: Value = common::parse(&text).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(secret["type"], "kubernetes.io/tls");
    assert!(secret["data"]["tls.key"].as_str().is_some_and(|k| !k.is_empty()));
    std::fs::create_dir_all(secrets.join("trust-anchor/linkerd")).expect("mkdir");
    std::fs::write(secrets.join(&path), text).expect("write");

    let mut files = Vec::new();
    let mut stack = vec![secrets.clone()];
    while let Some(dir) = stack.pop() {
        for entry in dir.read_dir_utf8().expect("list") {
            let path = entry.expect("entry").path().to_owned();
            if path.is_dir() {
                stack.push(path);
            } else {
                files.push(path.strip_prefix(&secrets).expect("inside").to_string());
            }
        }
    }
    files.sort();
    assert_eq!(
        files,
        ["meshgen.lock", "trust-anchor/linkerd/secret-linkerd-trust-anchor.yaml"]
    );
    // A render again keeps the Secret it did not write.
    output.write(&out, &secrets).unwrap_or_else(|e| panic!("{e}"));
    assert!(secrets.join(&path).is_file());
    assert!(!out.join("trust-anchor").exists(), "never in generated/");
}

#[test]
fn cert_manager_objects_come_after_the_namespace_and_before_the_control_plane() {
    let output = common::output(ON);
    let kinds: Vec<(String, String)> = output
        .objects()
        .filter(|m| m.bundle == "linkerd")
        .map(|m| (m.kind.clone(), m.name.clone()))
        .collect();
    let at = |kind: &str, name: &str| {
        kinds
            .iter()
            .position(|(k, n)| k == kind && n == name)
            .unwrap_or_else(|| panic!("no {kind} {name}"))
    };
    let namespace = at("Namespace", "linkerd");
    let anchor = at("Issuer", "linkerd-trust-anchor");
    let issuer = at("Certificate", "linkerd-identity-issuer");
    let identity = at("Deployment", "linkerd-identity");
    assert!(namespace < anchor && anchor < issuer && issuer < identity, "{kinds:?}");
}

#[test]
fn in_a_fleet_each_cluster_that_turns_it_on_signs_with_the_fleet_anchor() {
    let example = Utf8Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/examples/fleet/fleet.yaml"));
    let text = std::fs::read_to_string(example).expect("the example fleet");
    let dir = example.parent().expect("a folder");
    let fleet = meshgen::Fleet::parse("examples/fleet/fleet.yaml", &text, &mut |_, file| {
        let text = std::fs::read_to_string(dir.join(file)).expect("an overlay");
        Ok(meshgen::ValuesSource::new(file.as_str(), text))
    })
    .unwrap_or_else(|e| panic!("{e}"));
    let certs = fleet
        .names()
        .into_iter()
        .map(|n| (n.to_string(), common::test_certs()))
        .collect();
    let output = fleet
        .render(&meshgen::Renderer::new(), &certs, common::now(), 2, None)
        .unwrap_or_else(|e| panic!("{e}"));
    for (name, cluster) in output.clusters() {
        let on = cluster.values().cert_manager.enabled;
        assert_eq!(on, name == "dev", "the example turns it on for dev alone");
        let issuers = cluster.objects().filter(|m| m.kind == "Issuer").count();
        assert_eq!(issuers > 0, on, "{name}");
        if on {
            let anchor = &find(cluster, "Issuer", "linkerd", "linkerd-trust-anchor").body;
            assert_eq!(anchor["spec"]["ca"]["secretName"], "linkerd-trust-anchor");
            assert_eq!(cluster.secret_objects().count(), 0);
            let values = cluster.values();
            let (_, text) =
                meshgen::trust_anchor_secret(values, &common::test_certs()).unwrap_or_else(|e| panic!("{e}"));
            let anchor_pem = std::fs::read_to_string(format!("{}/ca.crt", common::TEST_STORE)).expect("ca.crt");
            let secret: Value = common::parse(&text).unwrap_or_else(|e| panic!("{e}"));
            let crt = secret["data"]["tls.crt"].as_str().expect("tls.crt");
            use base64ct::Encoding;
            let decoded = base64ct::Base64::decode_vec(crt).expect("base64");
            assert_eq!(String::from_utf8(decoded).expect("utf-8").trim(), anchor_pem.trim());
        }
    }
}

#[test]
fn a_store_of_the_trust_anchor_alone_checks_and_renders_in_this_mode_only() {
    let (_tmp, dir) = common::tempdir();
    std::fs::create_dir_all(&dir).expect("mkdir");
    for file in ["ca.crt", "ca.key"] {
        std::fs::copy(format!("{}/{file}", common::TEST_STORE), dir.join(file)).expect("copy");
    }
    let store = meshgen::CertStore::load(&dir).unwrap_or_else(|e| panic!("{e}"));
    let report = store.check(common::now());
    assert!(report.is_ok(), "{:?}", report.errors);
    let on = meshgen::Renderer::new()
        .certs(store.clone())
        .values_text("on.yaml", ON)
        .render(common::now());
    assert!(on.is_ok(), "{:?}", on.err());
    let off = meshgen::Renderer::new().certs(store).render(common::now());
    let err = off.err().map(|e| e.to_string()).unwrap_or_default();
    assert!(
        err.contains("issuer.crt"),
        "the default mode names what it lacks: {err}"
    );
}
