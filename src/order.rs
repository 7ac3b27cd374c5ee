//! The order in which objects are applied to a cluster: the `--stdout` stream, the
//! kustomizations and [`Output::objects`](crate::Output::objects) all follow it.
//!
//! An object's [`Stage`] comes first: CRDs before the custom resources that need them,
//! Namespaces before the objects in them, cluster-wide RBAC before the workloads that
//! run under it, the control plane (whose proxy injector must be up) before the
//! extensions and applications it meshes. Within a stage, bundles keep the order of
//! [`bundles::ALL`](crate::bundles::ALL), then kinds follow [`KIND_ORDER`], then names.

use std::cmp::Ordering;

use crate::bundles::{self, Layer};
use crate::manifest::Manifest;

/// The steps of an apply, in order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub(crate) enum Stage {
    /// CustomResourceDefinitions.
    Crds,
    /// Every Namespace.
    Namespaces,
    /// ClusterRoles and ClusterRoleBindings.
    ClusterRbac,
    /// cert-manager's Issuers and Certificates: the Secrets they make are mounted by
    /// the control plane and the extensions, so they come before both.
    CertManager,
    /// The rest of the Linkerd control plane.
    ControlPlane,
    /// The rest of the Linkerd extensions (viz, tracing).
    Extensions,
    /// The rest of the applications (Dgraph, the test client).
    Applications,
}

/// Kinds within one stage, in the order Helm installs them: what others depend on first
/// (ServiceAccounts, ConfigMaps, Services), the workloads after, the webhooks that
/// intercept later requests last.
pub(crate) const KIND_ORDER: &[&str] = &[
    "Namespace",
    "NetworkPolicy",
    "ResourceQuota",
    "LimitRange",
    "PodDisruptionBudget",
    "ServiceAccount",
    "Secret",
    "ConfigMap",
    // An Issuer before the Certificates it signs.
    "Issuer",
    "Certificate",
    "StorageClass",
    "PersistentVolume",
    "PersistentVolumeClaim",
    "CustomResourceDefinition",
    "ClusterRole",
    "ClusterRoleBinding",
    "Role",
    "RoleBinding",
    "Service",
    // Custom resources (policy, profiles) rank here: in place before the pods they govern.
    "DaemonSet",
    "Pod",
    "ReplicaSet",
    "Deployment",
    "StatefulSet",
    "Job",
    "CronJob",
    "Ingress",
    "APIService",
    "MutatingWebhookConfiguration",
    "ValidatingWebhookConfiguration",
];

/// The stage `m` is applied in.
pub(crate) fn stage(m: &Manifest) -> Stage {
    match m.kind.as_str() {
        "CustomResourceDefinition" => Stage::Crds,
        "Namespace" => Stage::Namespaces,
        "ClusterRole" | "ClusterRoleBinding" => Stage::ClusterRbac,
        _ if m.api_version.starts_with("cert-manager.io/") => Stage::CertManager,
        _ => match bundles::layer(&m.bundle) {
            Some(Layer::Crds | Layer::ControlPlane) | None => Stage::ControlPlane,
            Some(Layer::Extension) => Stage::Extensions,
            Some(Layer::Application) => Stage::Applications,
        },
    }
}

fn kind_rank(kind: &str) -> usize {
    let custom = KIND_ORDER.iter().position(|k| *k == "DaemonSet").unwrap_or(0);
    KIND_ORDER
        .iter()
        .position(|k| *k == kind)
        .map_or(custom, |i| if i >= custom { i + 1 } else { i })
}

fn bundle_rank(bundle: &str) -> usize {
    bundles::ALL
        .iter()
        .position(|(name, _)| *name == bundle)
        .unwrap_or(bundles::ALL.len())
}

/// Compares two objects by apply order.
pub(crate) fn apply_order(a: &Manifest, b: &Manifest) -> Ordering {
    let key = |m: &Manifest| (stage(m), bundle_rank(&m.bundle), kind_rank(&m.kind));
    key(a)
        .cmp(&key(b))
        .then_with(|| a.namespace.cmp(&b.namespace))
        .then_with(|| a.name.cmp(&b.name))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn object(bundle: &str, kind: &str, name: &str) -> Manifest {
        let body = json!({"apiVersion": "v1", "kind": kind, "metadata": {"name": name}});
        Manifest::from_json(bundle, "t", body).expect("object")
    }

    #[test]
    fn stages_put_definitions_and_namespaces_first() {
        let mut objects = vec![
            object("dgraph", "StatefulSet", "alpha"),
            object("dgraph", "Server", "alpha-grpc"),
            object("linkerd", "Deployment", "linkerd-destination"),
            object("dgraph", "Namespace", "dgraph"),
            object("linkerd", "ClusterRole", "linkerd-heartbeat"),
            object("linkerd-crds", "CustomResourceDefinition", "servers.policy.linkerd.io"),
            object(
                "linkerd",
                "MutatingWebhookConfiguration",
                "linkerd-proxy-injector-webhook-config",
            ),
            object("linkerd", "Namespace", "linkerd"),
            object("linkerd", "ServiceAccount", "linkerd-destination"),
        ];
        objects.sort_by(apply_order);
        let names: Vec<&str> = objects.iter().map(|m| m.name.as_str()).collect();
        assert_eq!(
            names,
            [
                "servers.policy.linkerd.io",
                "linkerd",
                "dgraph",
                "linkerd-heartbeat",
                "linkerd-destination",
                "linkerd-destination",
                "linkerd-proxy-injector-webhook-config",
                "alpha-grpc",
                "alpha",
            ]
        );
        assert_eq!(
            objects[4].kind, "ServiceAccount",
            "accounts before the workloads using them"
        );
    }
}
