//! The `kustomization.yaml` files of `generated/`: one per bundle listing its files in
//! apply order, and one at the top listing the bundles in apply order, so that
//! `kubectl apply -k generated/`, Argo CD and Flux can each take the whole tree.
//!
//! Secrets are never listed: they live in `secrets/`, outside the tree. Their sealed
//! copies (`secrets.sops`, [`crate::sealing`]) are, with the bundle they belong to:
//! as resources, which Flux decrypts, or through a KSOPS generator for Argo CD. Nor is
//! the GitOps wiring (`gitops/`, see `crate::gitops`) listed at the top: it has its own
//! file and needs the engine's CRDs.

use std::collections::BTreeMap;

use serde_json::{json, Value as Json};

use crate::manifest::{Manifest, HEADER};
use crate::yaml;

/// The name kustomize looks for in a directory.
pub(crate) const FILE: &str = "kustomization.yaml";

/// The kustomization files for `manifests` (already in apply order), keyed by their
/// path in the tree: `<bundle>/kustomization.yaml` and the top `kustomization.yaml`.
pub(crate) fn files(manifests: &[Manifest]) -> BTreeMap<String, String> {
    let per_bundle = resources(manifests);
    let mut bundle_order: Vec<&str> = per_bundle.iter().map(|(b, _)| *b).collect();
    bundle_order.sort_by_key(|b| crate::bundles::ALL.iter().position(|(name, _)| name == b));

    let mut out = BTreeMap::new();
    for (bundle, resources) in &per_bundle {
        out.insert(format!("{bundle}/{FILE}"), listing(resources));
    }
    // `fifo` keeps the listed order instead of kustomize's own kind-based sort, so the
    // CRDs bundle is applied before the bundles whose custom resources need it.
    out.insert(
        FILE.to_string(),
        document(json!({ "sortOptions": {"order": "fifo"}, "resources": bundle_order })),
    );
    out
}

/// The kustomization files of the bundles that hold sealed Secrets (`sealed`: bundle to
/// the sealed files' paths below it), and their KSOPS generators where `ksops`. A
/// sealed Secret comes first in its bundle, after the Namespace, as the plaintext
/// Secret would in the apply order: the pods that mount it start after it exists.
pub(crate) fn sealed_files(
    manifests: &[Manifest],
    sealed: &BTreeMap<String, Vec<String>>,
    ksops: bool,
) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    for (bundle, mut resources) in resources(manifests) {
        let Some(files) = sealed.get(bundle).filter(|f| !f.is_empty()) else {
            continue;
        };
        let mut fields = serde_json::Map::new();
        if ksops {
            // KSOPS decrypts what its generator lists; Argo CD runs it as a kustomize
            // exec function (`--enable-alpha-plugins --enable-exec`).
            let generator = json!({
                "apiVersion": "viaduct.ai/v1",
                "kind": "ksops",
                "metadata": {
                    "name": format!("{bundle}-sealed-secrets"),
                    "annotations": {"config.kubernetes.io/function": "exec:\n  path: ksops\n"},
                },
                "files": files,
            });
            let path = format!("{bundle}/{}", crate::sealing::KSOPS_GENERATOR);
            out.insert(path, format!("{HEADER}{}", yaml::to_canonical(&generator)));
            fields.insert("resources".into(), json!(resources));
            fields.insert("generators".into(), json!([crate::sealing::KSOPS_GENERATOR]));
        } else {
            let at = resources
                .iter()
                .position(|r| !r.starts_with("namespace-"))
                .unwrap_or(resources.len());
            resources.splice(at..at, files.iter().cloned());
            fields.insert("resources".into(), json!(resources));
        }
        out.insert(format!("{bundle}/{FILE}"), document(Json::Object(fields)));
    }
    out
}

/// Each bundle's files (below its folder), in apply order, bundles in order of first
/// appearance.
fn resources(manifests: &[Manifest]) -> Vec<(&str, Vec<String>)> {
    let mut per_bundle: Vec<(&str, Vec<String>)> = Vec::new();
    for m in manifests.iter().filter(|m| !m.is_private()) {
        let file = m.file_name();
        let local = file.split_once('/').map_or(file.as_str(), |(_, rest)| rest).to_string();
        match per_bundle.iter_mut().find(|(bundle, _)| *bundle == m.bundle) {
            Some((_, list)) => list.push(local),
            None => per_bundle.push((&m.bundle, vec![local])),
        }
    }
    per_bundle
}

/// The `kustomization.yaml` of a folder whose files are `resources`, in that order.
pub(crate) fn listing(resources: &[String]) -> String {
    document(json!({ "resources": resources }))
}

fn document(fields: serde_json::Value) -> String {
    let mut body = json!({
        "apiVersion": "kustomize.config.k8s.io/v1beta1",
        "kind": "Kustomization",
    });
    if let (Some(target), Some(extra)) = (body.as_object_mut(), fields.as_object()) {
        target.extend(extra.clone());
    }
    format!("{HEADER}{}", yaml::to_canonical(&body))
}
