//! The `kustomization.yaml` files of `generated/`: one per bundle listing its files in
//! apply order, and one at the top listing the bundles in apply order, so that
//! `kubectl apply -k generated/`, Argo CD and Flux can each take the whole tree.
//!
//! Secrets are never listed: they live in `secrets/`, outside the tree. Nor is the
//! GitOps wiring (`gitops/`, see `crate::gitops`), which has its own file and needs the
//! engine's CRDs.

use std::collections::BTreeMap;

use serde_json::json;

use crate::manifest::{Manifest, HEADER};
use crate::yaml;

/// The name kustomize looks for in a directory.
pub(crate) const FILE: &str = "kustomization.yaml";

/// The kustomization files for `manifests` (already in apply order), keyed by their
/// path in the tree: `<bundle>/kustomization.yaml` and the top `kustomization.yaml`.
pub(crate) fn files(manifests: &[Manifest]) -> BTreeMap<String, String> {
    let mut per_bundle: Vec<(&str, Vec<String>)> = Vec::new();
    for m in manifests.iter().filter(|m| !m.is_private()) {
        let file = m.file_name();
        let local = file.split_once('/').map_or(file.as_str(), |(_, rest)| rest).to_string();
        match per_bundle.iter_mut().find(|(bundle, _)| *bundle == m.bundle) {
            Some((_, list)) => list.push(local),
            None => per_bundle.push((&m.bundle, vec![local])),
        }
    }
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
