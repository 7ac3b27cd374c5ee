//! Application: one set of manifests (a Git folder, a Helm chart, a Kustomize overlay)
//! that Argo CD keeps in sync with a destination cluster and namespace.

use super::super::dsl::*;
use super::super::{Column, Definition, Version};
use super::{string_map, strings, ARGOPROJ};

/// Info: a name and value shown in Argo CD's UI.
fn info() -> Schema {
    object([("name", string()), ("value", string())]).required(["name", "value"])
}

/// `labels` and `annotations`, as a managed namespace carries them.
fn namespace_metadata() -> Schema {
    object([("labels", string_map()), ("annotations", string_map())])
}

/// ApplicationSourceHelm: how a Helm chart is templated.
fn helm() -> Schema {
    let parameter = object([("name", string()), ("value", string()), ("forceString", boolean())]);
    let file_parameter = object([("name", string()), ("path", string())]);
    object([
        ("valueFiles", strings()),
        ("parameters", array(parameter)),
        ("releaseName", string()),
        ("values", string().doc("Values as one YAML string")),
        ("fileParameters", array(file_parameter)),
        ("version", string()),
        ("passCredentials", boolean()),
        ("ignoreMissingValueFiles", boolean()),
        ("skipCrds", boolean()),
        (
            "valuesObject",
            free_object().doc("Values as an object; kept as written"),
        ),
        ("namespace", string()),
        ("kubeVersion", string()),
        ("apiVersions", strings()),
        ("skipTests", boolean()),
        ("skipSchemaValidation", boolean()),
    ])
}

/// ApplicationSourceKustomize: what Argo CD adds to a Kustomize build.
fn kustomize() -> Schema {
    let replica = object([
        ("name", string()),
        ("count", int_or_string().any_of([integer(), string()])),
    ])
    .required(["name", "count"]);
    let target = object([
        ("group", string()),
        ("version", string()),
        ("kind", string()),
        ("name", string()),
        ("namespace", string()),
        ("annotationSelector", string()),
        ("labelSelector", string()),
    ]);
    let patch = object([
        ("path", string()),
        ("patch", string()),
        ("target", target),
        ("options", map_of(boolean())),
    ]);
    object([
        ("namePrefix", string()),
        ("nameSuffix", string()),
        ("images", strings()),
        ("commonLabels", string_map()),
        ("version", string()),
        ("commonAnnotations", string_map()),
        ("forceCommonLabels", boolean()),
        ("forceCommonAnnotations", boolean()),
        ("namespace", string()),
        ("commonAnnotationsEnvsubst", boolean()),
        ("replicas", array(replica)),
        ("patches", array(patch)),
        ("components", strings()),
        ("ignoreMissingComponents", boolean()),
        ("labelWithoutSelector", boolean()),
        ("kubeVersion", string()),
        ("apiVersions", strings()),
        ("labelIncludeTemplates", boolean()),
    ])
}

/// ApplicationSourceDirectory: a folder of plain manifests or Jsonnet.
fn directory() -> Schema {
    let var = || object([("name", string()), ("value", string()), ("code", boolean())]).required(["name", "value"]);
    let jsonnet = object([("extVars", array(var())), ("tlas", array(var())), ("libs", strings())]);
    object([
        ("recurse", boolean()),
        ("jsonnet", jsonnet),
        ("exclude", string().doc("A glob of files to leave out")),
        ("include", string().doc("A glob of files to read")),
    ])
}

/// ApplicationSourcePlugin: a config management plugin and its inputs.
fn plugin() -> Schema {
    let env = object([("name", string()), ("value", string())]).required(["name", "value"]);
    let parameter = object([
        ("name", string()),
        ("string", string()),
        ("map", string_map()),
        ("array", strings()),
    ]);
    object([
        ("name", string()),
        ("env", array(env)),
        ("parameters", array(parameter)),
    ])
}

/// ApplicationSource: where the manifests are, and how they are built.
fn source() -> Schema {
    object([
        (
            "repoURL",
            string().doc("A Git repository, Helm repository or OCI registry"),
        ),
        ("path", string()),
        ("targetRevision", string()),
        ("helm", helm()),
        ("kustomize", kustomize()),
        ("directory", directory()),
        ("plugin", plugin()),
        ("chart", string()),
        ("ref", string()),
        ("name", string()),
        ("tagPrefix", string()),
    ])
    .required(["repoURL"])
}

fn sources() -> Schema {
    array(source())
}

/// ApplicationDestination: a cluster, by API server URL or by name, and a namespace.
fn destination() -> Schema {
    object([("server", string()), ("namespace", string()), ("name", string())])
}

fn ignore_differences() -> Schema {
    let item = object([
        ("group", string()),
        ("kind", string()),
        ("name", string()),
        ("namespace", string()),
        ("jsonPointers", strings()),
        ("jqPathExpressions", strings()),
        ("managedFieldsManagers", strings()),
    ])
    .required(["kind"]);
    array(item)
}

/// RetryStrategy: how often a failed sync is tried again, and how long between tries.
fn retry() -> Schema {
    let backoff = object([("duration", string()), ("factor", int64()), ("maxDuration", string())]);
    object([("limit", int64()), ("backoff", backoff), ("refresh", boolean())])
}

fn sync_policy() -> Schema {
    let automated = object([
        ("prune", boolean()),
        ("selfHeal", boolean()),
        ("allowEmpty", boolean()),
        ("enabled", boolean()),
    ])
    .doc("Sync without a person asking; prune deletes, selfHeal undoes drift");
    object([
        ("automated", automated),
        ("syncOptions", strings()),
        ("retry", retry()),
        ("managedNamespaceMetadata", namespace_metadata()),
    ])
}

/// SourceHydrator: dry manifests rendered and pushed to another branch, which is synced.
fn source_hydrator() -> Schema {
    let dry_source = object([
        ("repoURL", string()),
        ("targetRevision", string()),
        ("path", string()),
        ("helm", helm()),
        ("kustomize", kustomize()),
        ("directory", directory()),
        ("plugin", plugin()),
    ])
    .required(["repoURL", "targetRevision", "path"]);
    let sync_source = object([
        ("targetBranch", string()),
        ("path", string().min_len(1).pattern(r"^.{2,}|[^./]$")),
        ("repoURL", string()),
    ])
    .required(["targetBranch", "path"]);
    let hydrate_to = object([("targetBranch", string())]).required(["targetBranch"]);
    object([
        ("drySource", dry_source),
        ("syncSource", sync_source),
        ("hydrateTo", hydrate_to),
    ])
    .required(["drySource", "syncSource"])
}

/// ApplicationSpec, also the `spec.template.spec` of an ApplicationSet.
pub(super) fn spec() -> Schema {
    object([
        ("source", source()),
        ("destination", destination()),
        (
            "project",
            string().doc("The AppProject it belongs to, such as `default`"),
        ),
        ("syncPolicy", sync_policy()),
        ("ignoreDifferences", ignore_differences()),
        ("info", array(info())),
        ("revisionHistoryLimit", int64()),
        ("sources", sources()),
        ("sourceHydrator", source_hydrator()),
    ])
    .required(["destination", "project"])
    .doc("What to deploy, where, and how it is kept in sync")
}

/// OperationInitiator: a person, or the controller's automated sync.
fn initiated_by() -> Schema {
    object([("username", string()), ("automated", boolean())])
}

/// Operation: a sync requested by writing it into the object, as the CLI and UI do.
fn operation() -> Schema {
    let resource = object([
        ("group", string()),
        ("kind", string()),
        ("name", string()),
        ("namespace", string()),
    ])
    .required(["kind", "name"]);
    let force = || object([("force", boolean())]);
    let sync = object([
        ("revision", string()),
        ("prune", boolean()),
        ("dryRun", boolean()),
        ("syncStrategy", object([("apply", force()), ("hook", force())])),
        ("resources", array(resource)),
        ("source", source()),
        ("manifests", strings()),
        ("syncOptions", strings()),
        ("sources", sources()),
        ("revisions", strings()),
        ("autoHealAttemptsCount", int64()),
    ]);
    object([
        ("sync", sync),
        ("initiatedBy", initiated_by()),
        ("info", array(info())),
        ("retry", retry()),
    ])
}

/// HealthStatus: a health code (`Healthy`, `Progressing`...) and its message.
pub(super) fn health_status() -> Schema {
    object([
        ("status", string()),
        ("message", string()),
        ("lastTransitionTime", date_time()),
    ])
}

/// ResourceStatus: one object an Application (or an ApplicationSet) manages.
pub(super) fn resource_status() -> Schema {
    object([
        ("group", string()),
        ("version", string()),
        ("kind", string()),
        ("namespace", string()),
        ("name", string()),
        ("status", string()),
        ("health", health_status()),
        ("hook", boolean()),
        ("requiresPruning", boolean()),
        ("syncWave", int64()),
        ("requiresDeletionConfirmation", boolean()),
    ])
}

fn operation_state() -> Schema {
    let result = object([
        ("group", string()),
        ("version", string()),
        ("kind", string()),
        ("namespace", string()),
        ("name", string()),
        ("status", string()),
        ("message", string()),
        ("hookType", string()),
        ("hookPhase", string()),
        ("syncPhase", string()),
        ("images", strings()),
    ])
    .required(["group", "version", "kind", "namespace", "name"]);
    let sync_result = object([
        ("resources", array(result)),
        ("revision", string()),
        ("source", source()),
        ("sources", sources()),
        ("revisions", strings()),
        ("managedNamespaceMetadata", namespace_metadata()),
    ])
    .required(["revision"]);
    object([
        ("operation", operation()),
        ("phase", string()),
        ("message", string()),
        ("syncResult", sync_result),
        ("startedAt", date_time()),
        ("finishedAt", date_time()),
        ("retryCount", int64()),
    ])
    .required(["operation", "phase", "startedAt"])
}

fn hydrator_status() -> Schema {
    let last_success = object([
        ("drySHA", string()),
        ("hydratedSHA", string()),
        ("sourceHydrator", source_hydrator()),
    ]);
    let current = object([
        ("startedAt", date_time()),
        ("finishedAt", date_time()),
        ("phase", string().one_of_values(["Hydrating", "Failed", "Hydrated"])),
        ("message", string()),
        ("drySHA", string()),
        ("hydratedSHA", string()),
        ("sourceHydrator", source_hydrator()),
    ])
    .required(["phase", "message"]);
    object([
        ("lastSuccessfulOperation", last_success),
        ("currentOperation", current),
        ("lastComparedDryRevision", string()),
    ])
}

fn status() -> Schema {
    let compared_to = object([
        ("source", source()),
        ("destination", destination()),
        ("sources", sources()),
        ("ignoreDifferences", ignore_differences()),
    ])
    .required(["destination"]);
    let sync = object([
        ("status", string()),
        ("comparedTo", compared_to),
        ("revision", string()),
        ("revisions", strings()),
    ])
    .required(["status"]);
    let history = object([
        ("revision", string()),
        ("deployedAt", date_time()),
        ("id", int64()),
        ("source", source()),
        ("deployStartedAt", date_time()),
        ("sources", sources()),
        ("revisions", strings()),
        ("initiatedBy", initiated_by()),
    ])
    .required(["deployedAt", "id"]);
    let condition = object([
        ("type", string()),
        ("message", string()),
        ("lastTransitionTime", date_time()),
    ])
    .required(["type", "message"]);
    let summary = object([
        ("externalURLs", strings()),
        ("images", strings()),
        ("isAppOfApps", boolean()),
    ]);
    object([
        ("resources", array(resource_status())),
        ("sync", sync),
        ("health", health_status()),
        ("history", array(history)),
        ("conditions", array(condition)),
        ("reconciledAt", date_time()),
        ("operationState", operation_state()),
        ("observedAt", date_time()),
        ("sourceType", string()),
        ("summary", summary),
        ("resourceHealthSource", string()),
        ("sourceTypes", strings()),
        ("controllerNamespace", string()),
        ("sourceHydrator", hydrator_status()),
    ])
    .doc("Set by Argo CD")
}

pub(in super::super) fn application() -> Definition {
    let root = object([
        ("apiVersion", string()),
        ("kind", string()),
        ("metadata", bare_object()),
        ("spec", spec()),
        ("status", status()),
        ("operation", operation()),
    ])
    .required(["metadata", "spec"])
    .doc("Manifests from a repository that Argo CD applies to a cluster and keeps in sync.");
    let columns = vec![
        Column::new("Sync Status", "string", ".status.sync.status"),
        Column::new("Health Status", "string", ".status.health.status"),
        Column::new("Revision", "string", ".status.sync.revision").priority(10),
        Column::new("Project", "string", ".spec.project").priority(10),
    ];
    // Upstream declares no status subresource for Application (unlike ApplicationSet).
    Definition {
        group: ARGOPROJ,
        kind: "Application",
        plural: "applications",
        singular: "application",
        list_kind: true,
        short_names: &["app", "apps"],
        categories: &[],
        placeholder_status: false,
        extension: Some("argocd"),
        versions: vec![Version::new("v1alpha1", root).stored().columns(columns)],
    }
}
