//! The sealing's own rules, then whole renders sealed, kept, re-sealed and opened.

use std::collections::BTreeMap;

use camino::Utf8Path;
use serde_json::json;

use super::*;

fn secret(key: &str) -> Json {
    json!({"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "s", "namespace": "n"}, "data": {"k": key}})
}

#[test]
fn the_digest_follows_the_plaintext_and_the_set_of_recipients() {
    let (a, b) = ("age1a".to_string(), "age1b".to_string());
    let base = digest(&secret("eA=="), &[a.clone(), b.clone()]);
    assert_eq!(
        base,
        digest(&secret("eA=="), &[b.clone(), a.clone()]),
        "order of recipients"
    );
    assert_ne!(
        base,
        digest(&secret("eQ=="), &[a.clone(), b.clone()]),
        "other plaintext"
    );
    assert_ne!(base, digest(&secret("eA=="), &[a]), "other recipients");
}

#[test]
fn sealing_files_are_told_apart_from_objects() {
    assert!(is_sealing_file("linkerd/sealed/secret-x.yaml"));
    assert!(is_sealing_file("clusters/east/linkerd/secret-generator.yaml"));
    assert!(!is_sealing_file("linkerd/secret-x.yaml"));
    assert!(!is_sealing_file("linkerd/kustomization.yaml"));
}

#[test]
fn a_sealed_file_with_a_value_in_the_clear_is_refused() {
    let text = "apiVersion: v1\nkind: Secret\nmetadata:\n  name: s\ndata:\n  k: eA==\nsops:\n  version: x\n";
    let err = check("b/sealed/secret-s.yaml", text)
        .expect_err("a value in the clear")
        .to_string();
    assert!(err.contains("`data.k` is not encrypted"), "{err}");
    let key = format!("{text}stringData:\n  key: \"-----BEGIN PRIVATE KEY-----\"\n");
    let err = check("b/sealed/secret-s.yaml", &key).expect_err("a key").to_string();
    assert!(err.contains("private key"), "{err}");
}

/// The test identities' recipients (tests/fixtures/age/).
const RECIPIENT_1: &str = "age1u02u4ndde2g8nku48ruftzhswy3jv8uha4lynmu3jye3nyxexp7qy25zne";
const RECIPIENT_2: &str = "age1ue95f3tdwp7gk3yk06fxdukeskc79rqcyv36vjq9ns3w5n99kv4qq8k8xp";

/// The test identity `n` (1 or 2).
fn identity(n: u8) -> String {
    let path = format!(
        "{}/tests/fixtures/age/test-only-identity-{n}.txt",
        env!("CARGO_MANIFEST_DIR")
    );
    let text = std::fs::read_to_string(path).expect("test identity");
    let key = text.lines().find(|l| l.starts_with("AGE-SECRET-KEY-"));
    key.expect("an identity line").to_string()
}

/// Renders the defaults plus `overlay` with `store`, sealing to `recipients`.
fn render(store: &crate::CertStore, recipients: &[&str], overlay: &str) -> crate::Output {
    let sops = format!("secrets: {{sops: {{ageRecipients: {recipients:?}}}}}");
    crate::Renderer::new()
        .certs(store.clone())
        .values_text("sops.yaml", &sops)
        .values_text("overlay.yaml", overlay)
        .render(crate::test_support::now())
        .unwrap_or_else(|e| panic!("{e}"))
}

/// The sealed files of the tree a write to `out` makes.
fn sealed(output: &crate::Output, out: &Utf8Path) -> BTreeMap<String, String> {
    let tree = output.generated_at(out).expect("the tree");
    tree.files.into_iter().filter(|(p, _)| is_sealed_secret(p)).collect()
}

/// A temporary output directory, and a copy of the test store without its keys.
fn dirs() -> (tempfile::TempDir, camino::Utf8PathBuf, crate::CertStore) {
    let tmp = tempfile::tempdir().expect("tempdir");
    let root = camino::Utf8PathBuf::from_path_buf(tmp.path().to_path_buf()).expect("utf-8");
    let public = root.join("public-store");
    for entry in walk(Utf8Path::new(crate::test_support::TEST_STORE)) {
        let relative = entry
            .strip_prefix(crate::test_support::TEST_STORE)
            .expect("below")
            .to_owned();
        if relative.extension() == Some("key") {
            continue;
        }
        let target = public.join(relative);
        std::fs::create_dir_all(target.parent().expect("a parent")).expect("mkdir");
        std::fs::copy(&entry, &target).expect("copy");
    }
    let keyless = crate::CertStore::load(&public).expect("the store without keys");
    (tmp, root.join("generated"), keyless)
}

fn walk(dir: &Utf8Path) -> Vec<camino::Utf8PathBuf> {
    let mut files = Vec::new();
    for entry in dir.read_dir_utf8().expect("read_dir") {
        let path = entry.expect("entry").into_path();
        match path.is_dir() {
            true => files.extend(walk(&path)),
            false => files.push(path),
        }
    }
    files
}

#[test]
fn every_secret_is_sealed_and_opens_to_itself_with_each_identity() {
    let (_tmp, out, _) = dirs();
    let output = render(&crate::test_support::test_certs(), &[RECIPIENT_1, RECIPIENT_2], "");
    let files = sealed(&output, &out);
    let plain: BTreeMap<String, Json> = output
        .secret_objects()
        .map(|m| (Candidate::new(&m.bundle, &m.name, None).path, (*m.body).clone()))
        .collect();
    assert_eq!(files.keys().collect::<Vec<_>>(), plain.keys().collect::<Vec<_>>());
    assert_eq!(
        files.len(),
        6,
        "the issuer, three webhooks of the control plane, two of viz"
    );
    for (path, text) in &files {
        for n in [1, 2] {
            let opened = crate::sops::open(text, &identity(n)).unwrap_or_else(|e| panic!("{path}: {e}"));
            let digest = sealed_digest(text).expect("a digest");
            assert_eq!(opened, annotated(&plain[path], &digest), "{path} with identity {n}");
        }
        assert!(!crate::key_material::holds_key_material(text), "{path}");
    }
    // Each bundle's kustomization lists its sealed files, after its Namespace.
    let tree = output.generated_at(&out).expect("tree");
    let kustomization = &tree.files["linkerd/kustomization.yaml"];
    let listed: Vec<&str> = kustomization.lines().filter_map(|l| l.strip_prefix("  - ")).collect();
    assert_eq!(listed[0], "namespace-linkerd.yaml", "{kustomization}");
    assert_eq!(
        listed[1], "sealed/secret-linkerd-identity-issuer.yaml",
        "{kustomization}"
    );
    assert_eq!(
        listed.iter().filter(|l| l.starts_with("sealed/")).count(),
        4,
        "{kustomization}"
    );
}

#[test]
fn a_second_render_keeps_every_byte_and_a_keyless_one_keeps_every_sealed_file() {
    let (_tmp, out, keyless) = dirs();
    let store = crate::test_support::test_certs();
    let first = render(&store, &[RECIPIENT_1], "");
    first.write(&out, &out.with_file_name("secrets")).expect("write");
    let second = render(&store, &[RECIPIENT_1], "");
    assert_eq!(
        second.check(&out).expect("check"),
        vec![],
        "a second render changes no byte"
    );
    let without_keys = render(&keyless, &[RECIPIENT_1], "");
    assert_eq!(
        without_keys.check(&out).expect("check"),
        vec![],
        "a keyless render keeps everything"
    );
    assert!(without_keys.unsealed(&out).expect("unsealed").is_empty());
    // In an empty directory, a keyless render has nothing to keep and says so.
    let empty = out.with_file_name("empty");
    assert_eq!(without_keys.unsealed(&empty).expect("unsealed").len(), 6);
    assert!(sealed(&without_keys, &empty).is_empty());
}

#[test]
fn rotating_the_issuer_reseals_exactly_its_secret_and_new_recipients_reseal_all() {
    let (tmp, out, _) = dirs();
    let store_dir = camino::Utf8PathBuf::from_path_buf(tmp.path().join("certs")).expect("utf-8");
    let mut store = crate::test_support::init(&store_dir);
    let secrets_out = out.with_file_name("secrets");
    render(&store, &[RECIPIENT_1], "")
        .write(&out, &secrets_out)
        .expect("write");
    store
        .rotate_issuer(crate::test_support::start(), &mut crate::test_support::fresh)
        .expect("rotate");
    let rotated = render(&store, &[RECIPIENT_1], "");
    let changed: Vec<String> = (rotated.check(&out).expect("check").into_iter())
        .map(|c| c.path().to_string())
        .filter(|p| is_sealing_file(p))
        .collect();
    assert_eq!(changed, ["linkerd/sealed/secret-linkerd-identity-issuer.yaml"]);
    let impact = rotated.impact(&out, &secrets_out).expect("impact");
    assert_eq!(impact.sealed, ["linkerd/sealed/secret-linkerd-identity-issuer.yaml"]);
    assert!(impact.to_string().contains("sealed for git"), "{impact}");
    rotated.write(&out, &secrets_out).expect("write");
    let more = render(&store, &[RECIPIENT_1, RECIPIENT_2], "");
    let resealed = (more.check(&out).expect("check").into_iter()).filter(|c| is_sealed_secret(c.path()));
    assert_eq!(resealed.count(), 6, "another recipient reseals every Secret");
}

#[test]
fn argo_cd_takes_the_sealed_secrets_through_a_ksops_generator() {
    let (_tmp, out, _) = dirs();
    let gitops = "gitops: {engine: argocd, repoURL: 'https://git.example.com/mesh.git'}";
    let output = render(&crate::test_support::test_certs(), &[RECIPIENT_1], gitops);
    let tree = output.generated_at(&out).expect("tree");
    let kustomization = &tree.files["linkerd-viz/kustomization.yaml"];
    assert!(
        kustomization.contains("generators:\n  - secret-generator.yaml\n"),
        "{kustomization}"
    );
    assert!(!kustomization.contains("sealed/"), "{kustomization}");
    let generator = &tree.files["linkerd-viz/secret-generator.yaml"];
    assert!(generator.contains("kind: ksops"), "{generator}");
    assert!(
        generator.contains("  - sealed/secret-tap-k8s-tls.yaml\n"),
        "{generator}"
    );
}
