//! The apply order: the `--stdout` stream and the kustomizations hold exactly the
//! objects of `generated/`, in an order `kubectl apply` can follow.

use crate::common;

const KUSTOMIZATION: &str = "kustomization.yaml";
const LOCK_FILE: &str = "meshgen.lock";

use std::collections::{BTreeMap, BTreeSet};
use std::process::Command;

use meshgen::Utf8PathBuf;
use serde_json::Value;

/// Configurations that render the most objects, kinds and bundles.
const OVERLAYS: &[&str] = &["", "linkerd: {highAvailability: true}"];

fn id(v: &Value) -> String {
    let meta = &v["metadata"];
    format!(
        "{} {} {}/{}",
        v["apiVersion"].as_str().unwrap_or(""),
        v["kind"].as_str().unwrap_or(""),
        meta["namespace"].as_str().unwrap_or(""),
        meta["name"].as_str().unwrap_or("")
    )
}

#[test]
fn the_stream_holds_exactly_the_generated_objects_in_a_safe_order() {
    for overlay in OVERLAYS {
        let output = common::output(overlay);
        let stream = crate::common::parse_stream(&output.stream(false)).expect("the stream is YAML");
        let generated: BTreeSet<String> = (output.generated().files.iter())
            .filter(|(p, _)| *p != LOCK_FILE && !p.ends_with(KUSTOMIZATION))
            .map(|(_, text)| id(&crate::common::parse(text).expect("yaml")))
            .collect();
        let streamed: Vec<String> = stream.iter().map(id).collect();
        assert_eq!(
            streamed.len(),
            generated.len(),
            "{overlay}: an object is streamed twice"
        );
        assert_eq!(
            streamed.iter().cloned().collect::<BTreeSet<_>>(),
            generated,
            "{overlay}"
        );

        // The groups our CRDs define: no object of theirs before the last CRD.
        let crd_groups: BTreeSet<String> = (stream.iter())
            .filter(|v| v["kind"] == "CustomResourceDefinition")
            .map(|v| v["spec"]["group"].as_str().unwrap_or("").to_string())
            .collect();
        let last_crd = stream.iter().rposition(|v| v["kind"] == "CustomResourceDefinition");
        let group = |v: &Value| {
            v["apiVersion"]
                .as_str()
                .and_then(|a| a.rsplit_once('/'))
                .map(|(g, _)| g.to_string())
        };
        let first_custom = stream
            .iter()
            .position(|v| group(v).is_some_and(|g| crd_groups.contains(&g)));
        if let Some(first) = first_custom {
            assert!(
                last_crd < Some(first),
                "{overlay}: a custom resource comes before its CRD"
            );
        }

        // Namespaces every cluster has, which nothing renders.
        let mut namespaces: BTreeSet<String> = ["default", "kube-system"].map(String::from).into();
        for v in &stream {
            if v["kind"] == "Namespace" {
                namespaces.insert(v["metadata"]["name"].as_str().unwrap_or("").to_string());
            } else if let Some(ns) = v["metadata"]["namespace"].as_str() {
                assert!(
                    namespaces.contains(ns),
                    "{overlay}: {} comes before its Namespace",
                    id(v)
                );
            }
        }
    }
}

#[test]
fn secrets_join_the_stream_only_when_asked() {
    let output = common::output("");
    let count = |with: bool| {
        let stream = crate::common::parse_stream(&output.stream(with)).expect("yaml");
        stream.iter().filter(|v| v["kind"] == "Secret").count()
    };
    assert_eq!(count(false), 0);
    assert_eq!(count(true), output.secret_objects().count());
    assert!(count(true) > 0, "the test store has its keys, so Secrets are rendered");
}

/// Writes the default render to a temporary directory.
fn written(overlay: &str) -> (tempfile::TempDir, Utf8PathBuf) {
    let tmp = tempfile::tempdir().expect("tempdir");
    let out = Utf8PathBuf::from_path_buf(tmp.path().join("generated")).expect("utf-8");
    common::output(overlay)
        .write(&out, &out.with_file_name("secrets"))
        .expect("write");
    (tmp, out)
}

fn resources(path: &Utf8PathBuf) -> Vec<String> {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{path}: {e}"));
    let doc = crate::common::parse(&text).expect("yaml");
    assert_eq!(doc["kind"], "Kustomization", "{path}");
    (doc["resources"].as_array().expect("resources").iter())
        .map(|r| r.as_str().expect("a path").to_string())
        .collect()
}

#[test]
fn every_file_is_listed_exactly_once_and_every_listed_file_exists() {
    for overlay in OVERLAYS {
        let (_tmp, out) = written(overlay);
        let bundles = resources(&out.join(KUSTOMIZATION));
        let on_disk: BTreeSet<String> = (out.read_dir_utf8().expect("list").flatten())
            .filter(|e| e.path().is_dir())
            .map(|e| e.file_name().to_string())
            .collect();
        assert_eq!(bundles.iter().cloned().collect::<BTreeSet<_>>(), on_disk, "{overlay}");
        assert_eq!(bundles.len(), on_disk.len(), "{overlay}: a bundle is listed twice");
        let mut listed: BTreeMap<String, usize> = BTreeMap::new();
        for bundle in &bundles {
            let dir = out.join(bundle);
            for file in resources(&dir.join(KUSTOMIZATION)) {
                assert!(dir.join(&file).is_file(), "{bundle}/{file} is listed but missing");
                *listed.entry(format!("{bundle}/{file}")).or_default() += 1;
            }
            for entry in dir.read_dir_utf8().expect("list").flatten() {
                let name = entry.file_name();
                if name != KUSTOMIZATION {
                    assert!(
                        listed.contains_key(&format!("{bundle}/{name}")),
                        "{bundle}/{name} is not listed"
                    );
                }
            }
        }
        assert!(listed.values().all(|n| *n == 1), "{overlay}: listed twice: {listed:?}");
    }
}

#[test]
fn kubectl_kustomize_builds_the_tree() {
    let (_tmp, out) = written("");
    let Ok(result) = Command::new("kubectl").args(["kustomize", out.as_str()]).output() else {
        eprintln!("kubectl is not installed here: skipped `kubectl kustomize` (.ci/run installs it)");
        return;
    };
    assert!(result.status.success(), "{}", String::from_utf8_lossy(&result.stderr));
    let built = crate::common::parse_stream(&String::from_utf8_lossy(&result.stdout)).expect("yaml");
    let expected = common::output("").objects().count();
    assert_eq!(built.len(), expected, "kustomize dropped or added objects");
    assert_eq!(
        built[0]["kind"], "CustomResourceDefinition",
        "fifo order keeps the CRDs first"
    );
}
