//! Flux's GitRepository (`source.toolkit.fluxcd.io/v1`, source-controller v1.9.1) and
//! Kustomization (`kustomize.toolkit.fluxcd.io/v1`, kustomize-controller v1.9.4), as
//! their API types define them at those tags (`api/v1`, with the shared types of
//! fluxcd/pkg `apis/meta` v1.30.1 and `apis/kustomize` v1.19.1 that both pin), and as
//! their CRDs (`config/crd/bases`) write them. meshgen never renders these CRDs: Flux
//! installs its own (see `is_rendered`). They are here so that the GitRepository and
//! Kustomizations a render writes for `gitops.engine: flux` are checked like any other
//! custom resource.
//!
//! A Flux Kustomization is not a `kustomize.config.k8s.io` Kustomization (the
//! kustomization.yaml files meshgen writes at the top of generated/ and in each bundle,
//! which are no API objects): the two share a kind but not a group, and schemas are
//! looked up by group.
//!
//! Properties are in the order of the Go structs. Every field is typed, status included;
//! nothing is kept as written. Upstream's two CEL rules are restated as anyOf and oneOf,
//! which the validator checks (it runs no CEL).

use serde_json::json;

use super::common::*;
use super::dsl::*;
use super::{age_column, Column, Definition, Version};

/// A Go duration as Flux writes its intervals: numbers with ms, s, m or h units.
const DURATION: &str = r"^([0-9]+(\.[0-9]+)?(ms|s|m|h))+$";

/// A duration in ms, s or m only: a Git operation's timeout.
const SHORT_DURATION: &str = r"^([0-9]+(\.[0-9]+)?(ms|s|m))+$";

/// An artifact digest: an algorithm, a colon and the encoded sum.
const DIGEST: &str = r"^[a-z0-9]+(?:[.+_-][a-z0-9]+)*:[a-zA-Z0-9=_-]+$";

fn interval() -> Schema {
    string().pattern(DURATION)
}

fn string_map() -> Schema {
    map_of(string())
}

/// meta.LocalObjectReference: a resource in the same namespace, by name.
fn local_ref() -> Schema {
    object([("name", string())]).required(["name"])
}

/// `status.conditions`: metav1.Conditions, in a plain list.
fn conditions() -> Schema {
    array(meta_condition())
}

/// The root. `spec` is not required (the Go field is optional); `status` starts with
/// observedGeneration -1 until the controller has seen the object (upstream's default).
fn root(spec: Schema, status: Schema, doc: &str) -> Schema {
    object([
        ("apiVersion", string()),
        ("kind", string()),
        ("metadata", bare_object()),
        ("spec", spec),
        ("status", status.default(json!({"observedGeneration": -1}))),
    ])
    .doc(doc)
}

/// The `Ready` and `Status` columns: the Ready condition's status and message.
fn ready_columns() -> [Column; 2] {
    [
        Column::new("Ready", "string", r#".status.conditions[?(@.type=="Ready")].status"#),
        Column::new("Status", "string", r#".status.conditions[?(@.type=="Ready")].message"#),
    ]
}

// ---- GitRepository ----

/// GitRepositoryInclude: another GitRepository's artifact, copied into this one.
fn include() -> Schema {
    object([
        ("repository", local_ref()),
        ("fromPath", string()),
        ("toPath", string()),
    ])
    .required(["repository"])
}

/// meta.Artifact: what the controller last fetched, and where it serves it.
fn artifact() -> Schema {
    object([
        ("digest", string().pattern(DIGEST)),
        ("path", string()),
        ("url", string()),
        ("revision", string()),
        ("lastUpdateTime", date_time()),
        ("size", int64()),
        ("metadata", string_map()),
    ])
    .required(["digest", "path", "url", "revision", "lastUpdateTime"])
}

fn git_repository_spec() -> Schema {
    let reference = object([
        ("branch", string()),
        ("tag", string()),
        ("semver", string()),
        ("name", string().doc("A full Git reference, such as refs/heads/main")),
        ("commit", string()),
    ])
    .doc("What to check out: a branch, a tag, a semver range of tags, a reference or a commit");
    let verify = object([
        (
            "mode",
            string()
                .one_of_values(["head", "HEAD", "Tag", "TagAndHEAD"])
                .default("HEAD"),
        ),
        ("secretRef", local_ref()),
    ])
    .required(["secretRef"]);
    // Upstream says, as a CEL rule, that serviceAccountName goes only with the aws or
    // azure provider; this anyOf says the same and is checked.
    let service_account_rule = [
        empty().not(empty().required(["serviceAccountName"])),
        empty()
            .required(["provider"])
            .prop("provider", empty().one_of_values(["azure", "aws"])),
    ];
    object([
        ("url", string().pattern("^(http|https|ssh)://.*$")),
        (
            "secretRef",
            local_ref().doc("A Secret with the credentials: username/password, bearer token or SSH key"),
        ),
        (
            "provider",
            string().one_of_values(["generic", "aws", "azure", "github"]),
        ),
        ("serviceAccountName", string()),
        ("interval", interval().doc("How often the repository is fetched")),
        ("timeout", string().pattern(SHORT_DURATION).default("60s")),
        ("ref", reference),
        ("verify", verify),
        ("proxySecretRef", local_ref()),
        (
            "ignore",
            string().doc("Extra .gitignore-style patterns of files to leave out"),
        ),
        ("suspend", boolean()),
        ("recurseSubmodules", boolean()),
        ("include", array(include())),
        ("sparseCheckout", array(string())),
    ])
    .required(["url", "interval"])
    .any_of(service_account_rule)
}

fn git_repository_status() -> Schema {
    object([
        ("observedGeneration", int64()),
        ("conditions", conditions()),
        ("artifact", artifact()),
        ("includedArtifacts", array(artifact())),
        ("observedIgnore", string()),
        ("observedRecurseSubmodules", boolean()),
        ("observedInclude", array(include())),
        ("observedSparseCheckout", array(string())),
        ("sourceVerificationMode", string()),
        ("lastHandledReconcileAt", string()),
    ])
    .doc("Set by source-controller")
}

pub(super) fn git_repository() -> Definition {
    let root = root(
        git_repository_spec(),
        git_repository_status(),
        "A Git repository that source-controller fetches on an interval and serves as an artifact.",
    );
    let [ready, status] = ready_columns();
    let columns = vec![Column::new("URL", "string", ".spec.url"), age_column(), ready, status];
    Definition {
        group: "source.toolkit.fluxcd.io",
        kind: "GitRepository",
        plural: "gitrepositories",
        singular: "gitrepository",
        list_kind: true,
        short_names: &["gitrepo"],
        categories: &["all", "fluxcd", "fluxcd-sources"],
        placeholder_status: false,
        extension: Some("flux"),
        versions: vec![Version::new("v1", root).stored().with_status().columns(columns)],
    }
}

// ---- Kustomization ----

/// kustomize.Selector: the objects a patch or an ignore rule applies to.
fn selector() -> Schema {
    object([
        ("group", string()),
        ("version", string()),
        ("kind", string()),
        ("namespace", string()),
        ("name", string()),
        ("annotationSelector", string()),
        ("labelSelector", string()),
    ])
}

/// meta.KubeConfigReference: the cluster to apply to, when it is not this one.
fn kube_config() -> Schema {
    let secret_ref = object([("name", string()), ("key", string())]).required(["name"]);
    // Upstream's two CEL rules say exactly one of the two; this oneOf says the same.
    object([("configMapRef", local_ref()), ("secretRef", secret_ref)]).one_of_required(["configMapRef", "secretRef"])
}

fn post_build() -> Schema {
    let substitute_from = object([
        ("kind", string().one_of_values(["Secret", "ConfigMap"])),
        ("name", string().length(1, 253)),
        ("optional", boolean().default(false)),
    ])
    .required(["kind", "name"]);
    object([
        (
            "substituteStrategy",
            string().one_of_values(["WithVariables", "Always"]),
        ),
        (
            "substitute",
            string_map().doc("Variables to replace in the built manifests"),
        ),
        ("substituteFrom", array(substitute_from)),
    ])
}

fn kustomization_spec() -> Schema {
    let depends_on = object([("name", string()), ("namespace", string()), ("readyExpr", string())]).required(["name"]);
    let decryption = object([
        ("provider", string().one_of_values(["sops"])),
        ("serviceAccountName", string()),
        (
            "secretRef",
            local_ref().doc("A Secret with the private keys that decrypt the SOPS files"),
        ),
    ])
    .required(["provider"]);
    let health_check = object([
        ("apiVersion", string()),
        ("kind", string()),
        ("name", string()),
        ("namespace", string()),
    ])
    .required(["kind", "name"]);
    let patch = object([("patch", string()), ("target", selector())]).required(["patch"]);
    let image = object([
        ("name", string()),
        ("newName", string()),
        ("newTag", string()),
        ("digest", string()),
    ])
    .required(["name"]);
    let source_ref = object([
        ("apiVersion", string()),
        (
            "kind",
            string().one_of_values(["OCIRepository", "GitRepository", "Bucket", "ExternalArtifact"]),
        ),
        ("name", string()),
        ("namespace", string()),
    ])
    .required(["kind", "name"]);
    let health_check_expr = object([
        ("apiVersion", string()),
        ("kind", string()),
        ("current", string()),
        ("inProgress", string()),
        ("failed", string()),
    ])
    .required(["apiVersion", "current"]);
    let ignore = object([("paths", array(string())), ("target", selector())]).required(["paths"]);
    object([
        (
            "commonMetadata",
            object([("annotations", string_map()), ("labels", string_map())]),
        ),
        (
            "dependsOn",
            array(depends_on).doc("Kustomizations that must be ready before this one is applied"),
        ),
        ("decryption", decryption),
        ("interval", interval()),
        ("retryInterval", interval()),
        ("kubeConfig", kube_config()),
        ("path", string().doc("The folder of the source's artifact to build")),
        ("postBuild", post_build()),
        (
            "prune",
            boolean().doc("Whether objects removed from the source are deleted"),
        ),
        (
            "deletionPolicy",
            string().one_of_values(["MirrorPrune", "Delete", "WaitForTermination", "Orphan"]),
        ),
        ("healthChecks", array(health_check)),
        ("namePrefix", string().length(1, 200)),
        ("nameSuffix", string().length(1, 200)),
        ("patches", array(patch)),
        ("images", array(image)),
        ("serviceAccountName", string()),
        ("sourceRef", source_ref),
        ("suspend", boolean()),
        ("targetNamespace", string().length(1, 63)),
        ("timeout", interval()),
        ("force", boolean().default(false)),
        (
            "wait",
            boolean().doc("Whether every applied object must be ready, not only the healthChecks"),
        ),
        (
            "buildMetadata",
            array(string().one_of_values(["originAnnotations", "transformerAnnotations"])),
        ),
        ("components", array(string())),
        ("ignoreMissingComponents", boolean()),
        ("healthCheckExprs", array(health_check_expr)),
        ("ignore", array(ignore)),
    ])
    .required(["interval", "prune", "sourceRef"])
}

fn kustomization_status() -> Schema {
    let entry = object([("id", string()), ("v", string())]).required(["id", "v"]);
    let snapshot = object([
        ("digest", string()),
        ("firstReconciled", date_time()),
        ("lastReconciled", date_time()),
        ("lastReconciledDuration", string()),
        ("lastReconciledStatus", string()),
        ("totalReconciliations", int64()),
        ("metadata", string_map()),
    ])
    .required([
        "digest",
        "firstReconciled",
        "lastReconciled",
        "lastReconciledDuration",
        "lastReconciledStatus",
        "totalReconciliations",
    ]);
    object([
        ("lastHandledReconcileAt", string()),
        ("observedGeneration", int64()),
        ("conditions", conditions()),
        ("lastAppliedRevision", string()),
        ("lastAppliedOriginRevision", string()),
        ("lastAttemptedRevision", string()),
        ("inventory", object([("entries", array(entry))]).required(["entries"])),
        ("history", array(snapshot)),
    ])
    .doc("Set by kustomize-controller")
}

pub(super) fn kustomization() -> Definition {
    let root = root(
        kustomization_spec(),
        kustomization_status(),
        "A folder of a Flux source that kustomize-controller builds and applies on an interval.",
    );
    let [ready, status] = ready_columns();
    Definition {
        group: "kustomize.toolkit.fluxcd.io",
        kind: "Kustomization",
        plural: "kustomizations",
        singular: "kustomization",
        list_kind: true,
        short_names: &["ks"],
        categories: &["all", "fluxcd", "fluxcd-appliers"],
        placeholder_status: false,
        extension: Some("flux"),
        versions: vec![Version::new("v1", root)
            .stored()
            .with_status()
            .columns(vec![age_column(), ready, status])],
    }
}
