//! Argo CD's wiring (`gitops.engine: argocd`), in `argocd`: one `Application` per
//! bundle, and a parent Application (an app of apps) over the wiring's own folder,
//! which holds the parent itself and every bundle's Application.
//!
//! Argo CD has no dependency between Applications; the order comes from the parent's
//! sync: each bundle's Application carries the sync wave of its place in the chain
//! ("0" for the CRDs, then "1", "2", ...), and the parent applies a wave only once the
//! waves before it are healthy. That wait holds only where Argo CD assesses the health
//! of Applications, which it stopped doing by default in 1.8: `argocd-cm` must restore
//! it (`resource.customizations.health.argoproj.io_Application`, see Argo CD's "Resource
//! Health"). The parent is wave "-1": it updates itself before any bundle, and it never
//! waits on itself (Argo CD leaves an Application that manages itself out of its own
//! health).
//!
//! The waves order what the parent applies. The first time, apply the parent alone
//! (`kubectl apply -f gitops/application-meshgen.yaml`), not the whole folder: `kubectl
//! apply -k` of the folder would create every bundle's Application at once, and each
//! would sync on its own, in no order.
//!
//! Sync options, per bundle:
//! - `ServerSideApply=true` everywhere. A client-side apply keeps a copy of each object
//!   in its `last-applied-configuration` annotation, and annotations may hold 256 KiB:
//!   CRDs are the objects that outgrow it (Linkerd's largest, HTTPRoute, is about 37 KB
//!   of JSON today, so for the CRDs bundle this is headroom for the schemas to grow).
//!   The other bundles take it too: every object is then applied one way, the way Flux
//!   applies it, with the same field ownership, and none carries a copy of itself.
//! - `SkipDryRunOnMissingResource=true` for a bundle holding custom resources whose CRD
//!   another bundle creates (policy, profiles, Links): on a first install, or where the
//!   waves do not wait, the dry run of such a bundle would fail until the CRDs exist.
//!
//! Every sync is automated, prunes and heals, and is retried with backoff (the retries
//! carry a bundle through the short time its CRDs or webhooks take to be served).
//!
//! Each bundle's Application has Argo CD's `resources-finalizer`: when a bundle leaves
//! the chain (`tracing.enabled: false`, say), the parent prunes its Application, and the
//! finalizer makes Argo CD delete the bundle's objects with it, as Flux's `prune` and a
//! fresh apply of the tree would; without it they would stay in the cluster, unmanaged.
//! Argo CD never deletes CRDs that way, so the CRDs bundle may carry it too. The parent
//! has none: deleting it (to wire the cluster again) must not take the mesh down.
//!
//! In a fleet, every cluster's Applications live in the management cluster's `argocd`
//! namespace, so their names start with the cluster's, and each bundle's goes to the
//! cluster Argo CD knows by that name (`destination.name`). Each cluster has its own
//! parent, in its own tree, rather than one ApplicationSet whose git generator makes a
//! parent per cluster directory: that ApplicationSet would be a file at the top of the
//! fleet's tree, which holds no file of its own (every file there belongs to a
//! cluster's render, and a cluster renders alone, `--cluster` included), and its one
//! generator would read one repository at one revision, where each cluster's values
//! may name their own `gitops.repoURL` and `gitops.revision`. A parent per cluster
//! keeps both, and is applied (the first time) as a single cluster's is.

use serde_json::{json, Value as Json};

use super::{Chain, DIR};

/// Where errors say these objects come from.
pub(super) const ORIGIN: &str = "src/gitops/argocd.rs";

/// The namespace Argo CD runs in and takes Applications from.
const NAMESPACE: &str = "argocd";

/// The parent Application's name (with the cluster's name before it in a fleet).
const PARENT: &str = "meshgen";

/// The cluster Argo CD runs in, as it names it.
const IN_CLUSTER: &str = "https://kubernetes.default.svc";

/// The annotation that puts an object in a sync wave.
const SYNC_WAVE: &str = "argocd.argoproj.io/sync-wave";

/// The finalizer with which deleting an Application deletes its objects.
const RESOURCES_FINALIZER: &str = "resources-finalizer.argocd.argoproj.io";

/// The parent, then one Application per bundle in apply order.
pub(super) fn objects(chain: &Chain<'_>) -> Vec<Json> {
    let gitops = &chain.values.gitops;
    let source = |folder: &str| {
        json!({
            "repoURL": gitops.repo_url,
            "targetRevision": gitops.revision,
            "path": chain.path(folder),
        })
    };
    let mut out = vec![application(
        &name(chain, PARENT),
        "-1",
        &[],
        json!({
            "project": "default",
            "source": source(DIR),
            "destination": {"server": IN_CLUSTER, "namespace": NAMESPACE},
            "syncPolicy": sync_policy(&[]),
        }),
    )];
    let destination = match chain.cluster {
        Some(cluster) => json!({"name": cluster}),
        None => json!({"server": IN_CLUSTER}),
    };
    for (wave, link) in chain.links.iter().enumerate() {
        let mut options = vec!["ServerSideApply=true"];
        if link.needs_other_crds {
            options.push("SkipDryRunOnMissingResource=true");
        }
        out.push(application(
            &name(chain, link.bundle),
            &wave.to_string(),
            &[RESOURCES_FINALIZER],
            json!({
                "project": "default",
                "source": source(link.bundle),
                "destination": destination,
                "syncPolicy": sync_policy(&options),
            }),
        ));
    }
    out
}

/// `base`, after the cluster's name in a fleet.
fn name(chain: &Chain<'_>, base: &str) -> String {
    match chain.cluster {
        Some(cluster) => format!("{cluster}-{base}"),
        None => base.to_string(),
    }
}

fn application(name: &str, wave: &str, finalizers: &[&str], spec: Json) -> Json {
    let mut metadata = json!({
        "name": name,
        "namespace": NAMESPACE,
        "annotations": {SYNC_WAVE: wave},
    });
    if !finalizers.is_empty() {
        metadata["finalizers"] = json!(finalizers);
    }
    json!({
        "apiVersion": "argoproj.io/v1alpha1",
        "kind": "Application",
        "metadata": metadata,
        "spec": spec,
    })
}

/// Automated, pruning and self-healing, with `options`, retried with a backoff that
/// reaches its longest wait in a few minutes.
fn sync_policy(options: &[&str]) -> Json {
    let mut policy = serde_json::Map::new();
    policy.insert("automated".into(), json!({"prune": true, "selfHeal": true}));
    if !options.is_empty() {
        policy.insert("syncOptions".into(), json!(options));
    }
    policy.insert(
        "retry".into(),
        json!({"limit": 10, "backoff": {"duration": "10s", "factor": 2, "maxDuration": "5m"}}),
    );
    Json::Object(policy)
}
