//! The GitOps wiring (`gitops.engine`): the objects with which Flux or Argo CD applies
//! the rendered bundles from git, one after the other, in apply order. They go to a
//! directory of their own, `generated/gitops/`, with its own `kustomization.yaml`. It
//! is not a bundle: the top `kustomization.yaml` does not list it, so
//! `kubectl apply -k generated` needs no engine's CRDs, and [`Output::stream`] leaves
//! it out. With `gitops.engine: none` nothing here runs, and the output is unchanged.
//!
//! The objects are built here, in Rust, rather than by templates. Every folder of
//! `templates/` is a bundle of the apply chain (`render` refuses one that is not in
//! [`bundles::ALL`]), and the wiring is not one: it describes the chain. What it
//! lists (the bundles this render produced, in their order, and which of them hold
//! custom resources of another bundle's CRDs) is known only once every object is
//! rendered and sorted, so `render` calls [`objects`] then, and checks what it returns
//! like every other object ([`crate::validate::object`]).
//!
//! The chain is one link per rendered bundle, in the order of [`bundles::ALL`]: the
//! CRDs, then the control plane, then the extensions, then the applications. Each
//! engine makes each link wait for the one before: Flux with `dependsOn` and `wait`
//! ([`flux`]), Argo CD with sync waves of an app of apps ([`argocd`]).
//!
//! In a fleet, each cluster's tree is `clusters/<name>/`. The fleet renderer gives each
//! cluster an overlay that moves `gitops.path` there, and tells the render the
//! cluster's name, which Argo CD needs: every cluster's Applications live in the one
//! `argocd` namespace of the management cluster.
//!
//! [`Output::stream`]: crate::Output::stream

mod argocd;
mod flux;

use std::collections::BTreeSet;

use serde_json::Value as Json;

use crate::bundles::{self, Layer};
use crate::error::Result;
use crate::manifest::Manifest;
use crate::values::gitops::Engine;
use crate::values::Values;

/// The folder of the output that holds the wiring; never a bundle's name (a test
/// checks it).
pub(crate) const DIR: &str = "gitops";

/// One bundle of the chain, as the engines need to know it.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Link<'a> {
    /// The bundle, which is also its folder below `gitops.path`.
    bundle: &'a str,
    /// What it is to the cluster.
    layer: Layer,
    /// Whether it holds custom resources whose CRD another bundle of this render
    /// creates: a dry run of it before that bundle is applied fails.
    needs_other_crds: bool,
}

/// What both engines' objects are made from.
#[derive(Debug)]
struct Chain<'a> {
    values: &'a Values,
    /// The cluster's name in a fleet; `None` for a single cluster.
    cluster: Option<&'a str>,
    /// Every rendered bundle, in apply order.
    links: Vec<Link<'a>>,
}

impl Chain<'_> {
    /// A bundle's folder (or the wiring's own), relative to the top of the repository.
    fn path(&self, folder: &str) -> String {
        format!("{}/{folder}", self.values.gitops.path)
    }
}

/// The wiring's objects for `values` and `manifests` (every object of the render, in
/// apply order), not yet checked; empty with `gitops.engine: none`. `cluster` names the
/// cluster in a fleet.
pub(crate) fn objects(values: &Values, cluster: Option<&str>, manifests: &[Manifest]) -> Result<Vec<Manifest>> {
    let bodies: Vec<(&str, Json)> = match values.gitops.engine {
        Engine::None => return Ok(Vec::new()),
        Engine::Flux => {
            let chain = chain(values, cluster, manifests);
            flux::objects(&chain).into_iter().map(|b| (flux::ORIGIN, b)).collect()
        }
        Engine::Argocd => {
            let chain = chain(values, cluster, manifests);
            argocd::objects(&chain)
                .into_iter()
                .map(|b| (argocd::ORIGIN, b))
                .collect()
        }
    };
    bodies
        .into_iter()
        .map(|(origin, body)| Manifest::from_json(DIR, origin, body))
        .collect()
}

/// The bundles `manifests` fill with files of `generated/`, in apply order, each with
/// what the engines need to know of it.
fn chain<'a>(values: &'a Values, cluster: Option<&'a str>, manifests: &'a [Manifest]) -> Chain<'a> {
    // (group, kind) of every custom resource a CRD of this render defines, with the
    // bundle that holds the CRD.
    let defined: Vec<(&str, &str, &str)> = (manifests.iter())
        .filter(|m| m.kind == "CustomResourceDefinition")
        .filter_map(|m| {
            let group = m.body.pointer("/spec/group")?.as_str()?;
            let kind = m.body.pointer("/spec/names/kind")?.as_str()?;
            Some((group, kind, m.bundle.as_str()))
        })
        .collect();
    let mut seen = BTreeSet::new();
    let mut links: Vec<Link<'a>> = Vec::new();
    for m in manifests.iter().filter(|m| !m.is_private()) {
        let group = m.api_version.rsplit_once('/').map_or("", |(g, _)| g);
        let foreign = defined
            .iter()
            .any(|(g, k, holder)| *g == group && *k == m.kind && *holder != m.bundle);
        if seen.insert(m.bundle.as_str()) {
            let Some(layer) = bundles::layer(&m.bundle) else {
                continue;
            };
            links.push(Link {
                bundle: &m.bundle,
                layer,
                needs_other_crds: false,
            });
        }
        if foreign {
            if let Some(link) = links.iter_mut().find(|l| l.bundle == m.bundle) {
                link.needs_other_crds = true;
            }
        }
    }
    links.sort_by_key(|l| bundles::ALL.iter().position(|(name, _)| *name == l.bundle));
    Chain { values, cluster, links }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn output(overlay: &str) -> crate::Output {
        crate::test_support::renderer()
            .values_text("test-overlay.yaml", overlay)
            .render(crate::test_support::now())
            .unwrap_or_else(|e| panic!("{e}"))
    }

    #[test]
    fn the_wiring_folder_is_no_bundle() {
        assert!(bundles::layer(DIR).is_none());
        assert!(bundles::ALL.iter().all(|(name, _)| *name != DIR));
    }

    #[test]
    fn no_engine_no_wiring() {
        let values = crate::test_support::values("");
        let manifests: Vec<Manifest> = output("").objects().cloned().collect();
        assert!(objects(&values, None, &manifests).expect("objects").is_empty());
    }

    /// The chain holds each rendered bundle once, in `bundles::ALL`'s order, and knows
    /// which bundles hold custom resources of the CRDs bundle.
    #[test]
    fn the_chain_follows_the_bundles_and_their_crds() {
        let overlay = "multicluster: {enabled: true}";
        let values = crate::test_support::values(overlay);
        let manifests: Vec<Manifest> = output(overlay).objects().cloned().collect();
        let chain = chain(&values, None, &manifests);
        let names: Vec<&str> = chain.links.iter().map(|l| l.bundle).collect();
        let expected: Vec<&str> = (bundles::ALL.iter())
            .map(|(name, _)| *name)
            .filter(|name| bundles::is_rendered(name, &values))
            .collect();
        assert_eq!(names, expected);
        let needs = |bundle: &str| {
            chain
                .links
                .iter()
                .find(|l| l.bundle == bundle)
                .map(|l| l.needs_other_crds)
        };
        assert_eq!(needs(crate::crds::BUNDLE), Some(false), "the CRDs need no other bundle");
        assert_eq!(needs("linkerd-multicluster"), Some(true), "its Links");
        assert_eq!(needs("dgraph"), Some(true), "its Servers and ServiceProfile");
    }
}
