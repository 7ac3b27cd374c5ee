//! What applying a render would do to a running cluster, read from the difference
//! between the new objects and the ones in the output directory they replace: which
//! pods are replaced and why, which objects are created or deleted, which Secrets must
//! be applied again, and which changes the API server refuses as an update.
//!
//! The refusals follow the update validation of the Kubernetes API server (v1.33),
//! field by field:
//! - StatefulSet (`ValidateStatefulSetSpecUpdate`, pkg/apis/apps/validation): only
//!   `replicas`, `ordinals`, `template`, `updateStrategy`, `revisionHistoryLimit`,
//!   `persistentVolumeClaimRetentionPolicy` and `minReadySeconds` may change; every
//!   other field of `spec` (`selector`, `serviceName`, `volumeClaimTemplates`,
//!   `podManagementPolicy`, ...) is forbidden;
//! - Deployment, DaemonSet, ReplicaSet (`ValidateDeploymentUpdate`,
//!   `ValidateDaemonSetUpdate`, `ValidateReplicaSetUpdate`): `spec.selector`;
//! - Job (`ValidateJobUpdate`, pkg/apis/batch/validation): `spec.selector` and
//!   `spec.template`;
//! - Service (`ValidateServiceUpdate`, pkg/apis/core/validation): `spec.clusterIP`,
//!   `spec.clusterIPs`, and the primary IP family `spec.ipFamilies[0]`;
//! - PersistentVolumeClaim (`ValidatePersistentVolumeClaimUpdate`): all of `spec` but
//!   `resources.requests` and `volumeAttributesClassName`, and a storage request may
//!   only grow;
//! - CustomResourceDefinition (`ValidateCustomResourceDefinitionUpdate`): `spec.scope`
//!   (and the group, which is in the object's name);
//! - RoleBinding, ClusterRoleBinding (`ValidateRoleBindingUpdate`): `roleRef`.

use std::collections::BTreeMap;
use std::fmt;

use camino::Utf8Path;
use serde_json::Value as Json;

use crate::error::Result;
use crate::manifest::Manifest;
use crate::output::Tree;

/// What applying a render would do, compared with the output directory it replaces.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Impact {
    /// Workloads whose pod template changes, so that their pods are replaced.
    pub rolled: Vec<Rolled>,
    /// Other objects an apply changes in place. A ConfigMap among them reaches running
    /// pods only as far as they read it again; nothing restarts for it.
    pub updated: Vec<String>,
    /// Objects an apply creates.
    pub created: Vec<String>,
    /// Objects meshgen no longer renders: `kubectl apply --prune`, Argo CD's prune and
    /// Flux's `prune: true` delete them.
    pub deleted: Vec<String>,
    /// Changes to fields the API server refuses to update: the object must be replaced.
    pub replaced: Vec<Refusal>,
    /// Files of the Secrets tree that changed: they must be applied (or sealed) again.
    pub secrets: Vec<String>,
    /// Sealed Secrets of the committed tree (`secrets.sops`) sealed anew, added or
    /// removed: the GitOps engine applies them with their bundle.
    pub sealed: Vec<String>,
}

/// A workload whose pods are replaced, and the fields of its pod template that changed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rolled {
    /// `Kind namespace/name`.
    pub object: String,
    /// The changed fields, as dotted paths below the pod template, such as
    /// `metadata.annotations.checksum/config` or `spec.containers[alpha].image`.
    pub fields: Vec<String>,
}

/// A change the API server refuses to make to a live object.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal {
    /// `Kind namespace/name`.
    pub object: String,
    /// The field, as a dotted path, such as `spec.volumeClaimTemplates`.
    pub field: String,
    /// How to make the change safely.
    pub procedure: String,
}

impl Impact {
    /// Nothing to report.
    pub fn is_empty(&self) -> bool {
        self.rolled.is_empty()
            && self.updated.is_empty()
            && self.created.is_empty()
            && self.deleted.is_empty()
            && self.replaced.is_empty()
            && self.secrets.is_empty()
            && self.sealed.is_empty()
    }

    /// The same impact, every object named as `cluster <name>: ...`.
    #[must_use]
    pub fn in_cluster(mut self, name: &str) -> Self {
        let tag = |s: &mut String| *s = format!("cluster {name}: {s}");
        self.rolled.iter_mut().for_each(|r| tag(&mut r.object));
        self.updated.iter_mut().for_each(tag);
        self.created.iter_mut().for_each(tag);
        self.deleted.iter_mut().for_each(tag);
        self.replaced.iter_mut().for_each(|r| tag(&mut r.object));
        self.secrets.iter_mut().for_each(tag);
        self.sealed.iter_mut().for_each(tag);
        self
    }

    /// Adds `other`'s findings after these.
    pub fn extend(&mut self, other: Impact) {
        self.rolled.extend(other.rolled);
        self.updated.extend(other.updated);
        self.created.extend(other.created);
        self.deleted.extend(other.deleted);
        self.replaced.extend(other.replaced);
        self.secrets.extend(other.secrets);
        self.sealed.extend(other.sealed);
    }
}

impl fmt::Display for Impact {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.is_empty() {
            return Ok(());
        }
        writeln!(f, "impact on the cluster when applied:")?;
        if !self.rolled.is_empty() {
            writeln!(f, "  pods replaced, their pod template changed:")?;
            for r in &self.rolled {
                writeln!(f, "    {}: {}", r.object, r.fields.join(", "))?;
            }
        }
        let lists = [
            ("updated in place, nothing restarts for them", &self.updated),
            ("created", &self.created),
            ("deleted (pruned)", &self.deleted),
        ];
        for (title, list) in lists {
            if !list.is_empty() {
                writeln!(f, "  {title}:")?;
                for object in list {
                    writeln!(f, "    {object}")?;
                }
            }
        }
        if !self.replaced.is_empty() {
            writeln!(f, "  replace, not update (the API server refuses the change):")?;
            for r in &self.replaced {
                writeln!(f, "    {}: {}", r.object, r.field)?;
            }
        }
        if !self.secrets.is_empty() {
            writeln!(f, "  Secrets to apply again (or seal again), from the secrets tree:")?;
            for file in &self.secrets {
                writeln!(f, "    {file}")?;
            }
        }
        if !self.sealed.is_empty() {
            writeln!(f, "  Secrets sealed for git, applied with their bundle:")?;
            for file in &self.sealed {
                writeln!(f, "    {file}")?;
            }
        }
        Ok(())
    }
}

/// The objects of an output directory's files, by file path; files that do not parse
/// as an object (a kustomization) are left out.
pub(crate) type OnDisk = BTreeMap<String, Json>;

/// The objects meshgen wrote to `dir` before, as `tree` would replace them: every file
/// it owns there that holds an object.
pub(crate) fn on_disk(dir: &Utf8Path, tree: &Tree) -> Result<OnDisk> {
    let mut objects = OnDisk::new();
    for path in crate::output::owned_files(dir, &tree.keep_clusters) {
        // Sealed Secrets and their generators are not objects of the render; the
        // impact lists them apart.
        if crate::sealing::is_sealing_file(&path) {
            continue;
        }
        let Ok(text) = std::fs::read_to_string(dir.join(&path)) else {
            continue;
        };
        let object = (crate::yaml::parse_stream(&text).ok().into_iter().flatten())
            .find(|doc| doc.get("metadata").is_some() && doc.get("kind").is_some());
        if let Some(object) = object {
            objects.insert(path, object);
        }
    }
    Ok(objects)
}

/// How `new` (the render's objects, by file path) changes `old` (the directory's).
pub(crate) fn compare(old: &OnDisk, new: &[&Manifest]) -> Impact {
    let mut impact = Impact::default();
    let mut seen = std::collections::BTreeSet::new();
    for m in new {
        let path = m.file_name();
        seen.insert(path.clone());
        let Some(before) = old.get(&path) else {
            impact.created.push(object_id(&m.body));
            continue;
        };
        let template = crate::rollout::pod_template_pointer(&m.body);
        let rolled = template.map(|p| differences(before.pointer(p), m.body.pointer(p)));
        match rolled {
            Some(fields) if !fields.is_empty() => impact.rolled.push(Rolled {
                object: object_id(&m.body),
                fields: shortened(fields),
            }),
            _ if *before != *m.body => impact.updated.push(object_id(&m.body)),
            _ => {}
        }
        impact.replaced.extend(refusals(before, &m.body));
    }
    for (path, before) in old {
        if !seen.contains(path) {
            impact.deleted.push(object_id(before));
        }
    }
    impact
}

/// At most five fields, then how many more.
fn shortened(mut fields: Vec<String>) -> Vec<String> {
    const SHOWN: usize = 5;
    if fields.len() > SHOWN {
        let more = fields.len() - SHOWN;
        fields.truncate(SHOWN);
        fields.push(format!("and {more} more"));
    }
    fields
}

/// `Kind namespace/name`, or `Kind name` for a cluster-scoped object.
fn object_id(body: &Json) -> String {
    let text = |p: &str| body.pointer(p).and_then(Json::as_str).unwrap_or_default();
    match text("/metadata/namespace") {
        "" => format!("{} {}", text("/kind"), text("/metadata/name")),
        ns => format!("{} {ns}/{}", text("/kind"), text("/metadata/name")),
    }
}

/// Every leaf where `a` and `b` differ, as dotted paths. Items of a list of named
/// objects (containers, volumes, ports) are named `[name]` rather than numbered.
fn differences(a: Option<&Json>, b: Option<&Json>) -> Vec<String> {
    let mut out = Vec::new();
    walk(a, b, String::new(), &mut out);
    out
}

fn walk(a: Option<&Json>, b: Option<&Json>, at: String, out: &mut Vec<String>) {
    match (a, b) {
        (Some(Json::Object(x)), Some(Json::Object(y))) => {
            let keys: std::collections::BTreeSet<&String> = x.keys().chain(y.keys()).collect();
            // In the order the new object writes its keys, then the removed ones.
            let ordered = y.keys().chain(keys.into_iter().filter(|k| !y.contains_key(*k)));
            for key in ordered {
                let path = if at.is_empty() {
                    key.clone()
                } else {
                    format!("{at}.{key}")
                };
                walk(x.get(key), y.get(key), path, out);
            }
        }
        (Some(Json::Array(x)), Some(Json::Array(y))) if named(x) && named(y) => {
            let name = |v: &Json| v.get("name").and_then(Json::as_str).map(str::to_string);
            let old: BTreeMap<String, &Json> = x.iter().filter_map(|v| Some((name(v)?, v))).collect();
            let mut names: Vec<String> = y.iter().filter_map(name).collect();
            names.extend(old.keys().filter(|n| !names.contains(n)).cloned().collect::<Vec<_>>());
            for n in names {
                let new = y.iter().find(|v| name(v).as_deref() == Some(&n));
                walk(old.get(&n).copied(), new, format!("{at}[{n}]"), out);
            }
        }
        (Some(Json::Array(x)), Some(Json::Array(y))) if x.len() == y.len() => {
            for (i, (p, q)) in x.iter().zip(y).enumerate() {
                walk(Some(p), Some(q), format!("{at}[{i}]"), out);
            }
        }
        (a, b) if a == b => {}
        _ => out.push(at),
    }
}

/// Whether every item of a list is an object with a `name`.
fn named(items: &[Json]) -> bool {
    !items.is_empty() && items.iter().all(|v| v.get("name").is_some_and(Json::is_string))
}

/// The API server's refusals for this change of object, if any (see the module's
/// comment for the rules).
fn refusals(old: &Json, new: &Json) -> Vec<Refusal> {
    let id = object_id(new);
    let name = new.pointer("/metadata/name").and_then(Json::as_str).unwrap_or_default();
    let ns = new
        .pointer("/metadata/namespace")
        .and_then(Json::as_str)
        .unwrap_or_default();
    let changed = |pointer: &str| old.pointer(pointer) != new.pointer(pointer);
    let refuse = |field: &str, procedure: String| Refusal {
        object: id.clone(),
        field: field.to_string(),
        procedure,
    };
    let mut found = Vec::new();
    let kind = new.get("kind").and_then(Json::as_str).unwrap_or_default();
    match kind {
        "StatefulSet" => {
            const MUTABLE: [&str; 7] = [
                "replicas",
                "ordinals",
                "template",
                "updateStrategy",
                "revisionHistoryLimit",
                "persistentVolumeClaimRetentionPolicy",
                "minReadySeconds",
            ];
            let orphan = format!(
                "delete the StatefulSet and keep its pods, `kubectl -n {ns} delete statefulset {name} --cascade=orphan`, then apply: the new StatefulSet adopts the pods, and rolls them if their template changed. To grow a volume, expand each PersistentVolumeClaim in place instead (`kubectl -n {ns} patch pvc ...`), where its StorageClass allows expansion"
            );
            for field in spec_fields(old, new)
                .into_iter()
                .filter(|f| !MUTABLE.contains(&f.as_str()))
            {
                if changed(&format!("/spec/{field}")) {
                    found.push(refuse(&format!("spec.{field}"), orphan.clone()));
                }
            }
        }
        "Deployment" | "DaemonSet" | "ReplicaSet" if changed("/spec/selector") => {
            let lower = kind.to_ascii_lowercase();
            found.push(refuse(
                "spec.selector",
                format!("delete the {kind} (`kubectl -n {ns} delete {lower} {name}`) and apply; its pods are replaced"),
            ));
        }
        "Job" => {
            for field in ["selector", "template"] {
                if changed(&format!("/spec/{field}")) {
                    found.push(refuse(
                        &format!("spec.{field}"),
                        format!("delete the Job (`kubectl -n {ns} delete job {name}`) and apply: it runs again"),
                    ));
                }
            }
        }
        "Service" => {
            for (pointer, field) in [
                ("/spec/clusterIP", "spec.clusterIP"),
                ("/spec/clusterIPs", "spec.clusterIPs"),
                ("/spec/ipFamilies/0", "spec.ipFamilies[0]"),
            ] {
                if changed(pointer) {
                    found.push(refuse(
                        field,
                        format!("delete the Service (`kubectl -n {ns} delete service {name}`) and apply; its clients see it missing until then"),
                    ));
                }
            }
        }
        "PersistentVolumeClaim" => {
            for field in spec_fields(old, new) {
                if field == "volumeAttributesClassName" {
                    continue;
                }
                if field == "resources" {
                    let (before, after) = (
                        storage(old.pointer("/spec/resources/requests/storage")),
                        storage(new.pointer("/spec/resources/requests/storage")),
                    );
                    let mut rest = (
                        old.pointer("/spec/resources").cloned(),
                        new.pointer("/spec/resources").cloned(),
                    );
                    for r in [&mut rest.0, &mut rest.1].into_iter().flatten() {
                        if let Some(requests) = r.get_mut("requests").and_then(Json::as_object_mut) {
                            requests.remove("storage");
                        }
                    }
                    let shrinks = matches!((before, after), (Some(b), Some(a)) if a < b);
                    let limits =
                        rest.0.as_ref().and_then(|r| r.get("limits")) != rest.1.as_ref().and_then(|r| r.get("limits"));
                    if shrinks || limits {
                        found.push(refuse(
                            "spec.resources",
                            format!("a volume only grows: keep the request, or move the data to a new claim and delete this one (`kubectl -n {ns} delete pvc {name}`)"),
                        ));
                    }
                    continue;
                }
                if changed(&format!("/spec/{field}")) {
                    found.push(refuse(
                        &format!("spec.{field}"),
                        format!("make a new claim and move the data to it, then delete this one (`kubectl -n {ns} delete pvc {name}`)"),
                    ));
                }
            }
        }
        "CustomResourceDefinition" if changed("/spec/scope") => {
            found.push(refuse(
                "spec.scope",
                format!("delete the CRD (`kubectl delete crd {name}`), which deletes every resource of it, then apply"),
            ));
        }
        "RoleBinding" | "ClusterRoleBinding" if changed("/roleRef") => {
            let lower = kind.to_ascii_lowercase();
            let ns = if kind == "RoleBinding" {
                format!("-n {ns} ")
            } else {
                String::new()
            };
            found.push(refuse(
                    "roleRef",
                    format!("delete the binding (`kubectl {ns}delete {lower} {name}`) and apply; until then its subjects keep the old role"),
                ));
        }
        _ => {}
    }
    found
}

/// The keys of `spec` on either side, in the order the new object writes them.
fn spec_fields(old: &Json, new: &Json) -> Vec<String> {
    let keys = |v: &Json| {
        v.get("spec")
            .and_then(Json::as_object)
            .map(|m| m.keys().cloned().collect::<Vec<_>>())
            .unwrap_or_default()
    };
    let mut fields = keys(new);
    fields.extend(
        keys(old)
            .into_iter()
            .filter(|k| !fields.contains(k))
            .collect::<Vec<_>>(),
    );
    fields
}

/// A storage quantity in bytes, for comparing two requests; `None` if unreadable.
fn storage(value: Option<&Json>) -> Option<f64> {
    crate::api_rules::quantity_value(value?.as_str()?).ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn named_lists_are_compared_by_name() {
        let a = json!({"spec": {"containers": [{"name": "app", "image": "a:1"}, {"name": "side", "image": "s:1"}]}});
        let b = json!({"spec": {"containers": [{"name": "side", "image": "s:1"}, {"name": "app", "image": "a:2"}]}});
        assert_eq!(differences(Some(&a), Some(&b)), ["spec.containers[app].image"]);
    }

    #[test]
    fn a_storage_request_may_grow_and_not_shrink() {
        let pvc = |size: &str| {
            json!({"kind": "PersistentVolumeClaim", "metadata": {"name": "data", "namespace": "ns"},
                   "spec": {"accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": size}}}})
        };
        assert!(refusals(&pvc("10Gi"), &pvc("20Gi")).is_empty());
        let shrink = refusals(&pvc("20Gi"), &pvc("10Gi"));
        assert_eq!(shrink.len(), 1, "{shrink:?}");
        assert_eq!(shrink[0].field, "spec.resources");
    }

    /// The rules for kinds that the default render has none of, each refused with its
    /// field, and a mutable change of the same kind let through.
    #[test]
    fn rules_for_kinds_outside_the_default_render() {
        let object = |kind: &str, spec: serde_json::Value| json!({"kind": kind, "metadata": {"name": "x", "namespace": "ns"}, "spec": spec});
        let selector = |app: &str| json!({"matchLabels": {"app": app}});
        let cases = [
            (
                "DaemonSet",
                json!({"selector": selector("a")}),
                json!({"selector": selector("b")}),
                Some("spec.selector"),
            ),
            (
                "ReplicaSet",
                json!({"selector": selector("a")}),
                json!({"selector": selector("b")}),
                Some("spec.selector"),
            ),
            (
                "Job",
                json!({"template": {"spec": {"restartPolicy": "Never"}}}),
                json!({"template": {"spec": {"restartPolicy": "OnFailure"}}}),
                Some("spec.template"),
            ),
            (
                "Job",
                json!({"selector": selector("a")}),
                json!({"selector": selector("b")}),
                Some("spec.selector"),
            ),
            (
                "DaemonSet",
                json!({"selector": selector("a"), "minReadySeconds": 1}),
                json!({"selector": selector("a"), "minReadySeconds": 5}),
                None,
            ),
        ];
        for (kind, old, new, field) in cases {
            let found = refusals(&object(kind, old), &object(kind, new));
            let fields: Vec<&str> = found.iter().map(|r| r.field.as_str()).collect();
            assert_eq!(fields, field.into_iter().collect::<Vec<_>>(), "{kind}");
        }
    }
}
