//! Flux's wiring (`gitops.engine: flux`), in `flux-system`: a `GitRepository` for the
//! repository, one `Kustomization` per bundle, and one over the wiring itself, so that
//! after a first `kubectl apply -k generated/gitops` Flux keeps all of it in step with
//! git. Each cluster runs its own Flux, so the names need no cluster prefix in a fleet.
//!
//! The bundles form one chain: each Kustomization `dependsOn` the one before, and Flux
//! starts one only when the one it depends on is Ready. Each is `wait: true` rather
//! than listing `healthChecks`: Flux is then Ready only when every object it applied
//! is (CRDs established, Deployments and StatefulSets available). What the next link
//! needs is more than one object (all the CRDs; the proxy injector, identity and
//! destination together for a meshed pod to start; an extension's webhooks), and a
//! list of names would have to follow every template that adds one; `wait` follows
//! what the bundle holds. Because the control plane's Kustomization waits for its
//! Deployments, no meshed workload is applied before the proxy injector runs.

use serde_json::{json, Value as Json};

use super::{Chain, DIR};
use crate::bundles::Layer;

/// Where errors say these objects come from.
pub(super) const ORIGIN: &str = "src/gitops/flux.rs";

/// The namespace Flux runs in and watches for its objects.
const NAMESPACE: &str = "flux-system";

/// The GitRepository's name, and the name of the Kustomization over the wiring, as
/// `flux bootstrap` names both of its own `flux-system`.
const NAME: &str = "meshgen";

/// The Secret `flux bootstrap` creates with its deploy key: an `ssh://` repository needs
/// one, and for the repository Flux was bootstrapped from, this one works.
const SSH_KEY_SECRET: &str = "flux-system";

/// The Secret in `flux-system` holding the age identity that opens the sealed Secrets,
/// named as Flux's SOPS guide names it.
const SOPS_KEY_SECRET: &str = "sops-age";

/// How often the repository is fetched.
const FETCH_INTERVAL: &str = "1m";

/// How often a Kustomization applies its folder again, undoing drift in the cluster.
const APPLY_INTERVAL: &str = "10m";

/// How soon a Kustomization that failed (or timed out waiting) is tried again.
const RETRY_INTERVAL: &str = "1m";

/// How long a bundle may take to apply and become Ready: CRDs are established in
/// seconds, pods take longer, and Dgraph's StatefulSets longest (images, volumes, the
/// Alphas joining their Zero).
fn timeout(layer: Layer) -> &'static str {
    match layer {
        Layer::Crds => "2m",
        Layer::ControlPlane | Layer::Extension => "5m",
        Layer::Application => "10m",
    }
}

/// The GitRepository, the Kustomization over the wiring, then the bundles' chain.
pub(super) fn objects(chain: &Chain<'_>) -> Vec<Json> {
    let gitops = &chain.values.gitops;
    let mut source = json!({
        "interval": FETCH_INTERVAL,
        "url": gitops.repo_url,
        "ref": {"branch": gitops.revision},
    });
    if gitops.repo_url.starts_with("ssh://") {
        source["secretRef"] = json!({"name": SSH_KEY_SECRET});
    }
    let mut out = vec![json!({
        "apiVersion": "source.toolkit.fluxcd.io/v1",
        "kind": "GitRepository",
        "metadata": {"name": NAME, "namespace": NAMESPACE},
        "spec": source,
    })];
    // The wiring itself: it depends on nothing, so a change to the chain (a bundle
    // switched on) lands even while a bundle of the chain is failing.
    out.push(kustomization(
        NAME,
        json!({
            "interval": APPLY_INTERVAL,
            "sourceRef": {"kind": "GitRepository", "name": NAME},
            "path": format!("./{}", chain.path(DIR)),
            "prune": true,
        }),
    ));
    let mut before: Option<&str> = None;
    for link in &chain.links {
        let mut spec = serde_json::Map::new();
        if let Some(name) = before {
            spec.insert("dependsOn".into(), json!([{"name": name}]));
        }
        spec.insert("interval".into(), json!(APPLY_INTERVAL));
        spec.insert("retryInterval".into(), json!(RETRY_INTERVAL));
        spec.insert("timeout".into(), json!(timeout(link.layer)));
        spec.insert("sourceRef".into(), json!({"kind": "GitRepository", "name": NAME}));
        spec.insert("path".into(), json!(format!("./{}", chain.path(link.bundle))));
        // An object dropped from git (a bundle's template, a switched-off feature) is
        // deleted from the cluster, as a fresh apply of the tree would leave it out.
        spec.insert("prune".into(), json!(true));
        spec.insert("wait".into(), json!(true));
        if chain.values.secrets.sops.enabled() {
            spec.insert(
                "decryption".into(),
                json!({"provider": "sops", "secretRef": {"name": SOPS_KEY_SECRET}}),
            );
        }
        out.push(kustomization(link.bundle, Json::Object(spec)));
        before = Some(link.bundle);
    }
    out
}

/// A Kustomization of `flux-system`. `targetNamespace` is never set: every object of a
/// bundle names its own namespace.
fn kustomization(name: &str, spec: Json) -> Json {
    json!({
        "apiVersion": "kustomize.toolkit.fluxcd.io/v1",
        "kind": "Kustomization",
        "metadata": {"name": name, "namespace": NAMESPACE},
        "spec": spec,
    })
}
