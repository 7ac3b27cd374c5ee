//! Every object validated against its schema before anything is written. A typed
//! Kubernetes object is deserialised into its k8s-openapi type and serialised back;
//! any field that does not survive the round trip is unknown to the API (a typo, or a
//! field the server would silently drop) and is reported with its path. Custom
//! resources of the CRDs in `crate::crds` are validated against their version's
//! openAPIV3Schema instead ([`openapi`]).

pub(crate) mod openapi;
#[cfg(test)]
mod tests;

use k8s_openapi::api::admissionregistration::v1 as admission;
use k8s_openapi::api::{apps, batch, core, networking, policy, rbac};
use k8s_openapi::apiextensions_apiserver::pkg::apis::apiextensions::v1 as apiext;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use k8s_openapi::kube_aggregator::pkg::apis::apiregistration::v1 as apireg;
use k8s_openapi::Resource;
use serde::de::DeserializeOwned;
use serde::Serialize;
use serde_json::Value as Json;

use crate::error::{Error, Result};
use crate::located::deserialize as deserialize_located;
use crate::manifest::Manifest;
use openapi::{dotted, Step};

/// Checks `m` against the schema of its kind.
pub(crate) fn object(m: &Manifest) -> Result<()> {
    macro_rules! typed {
        ($($ty:ty),* $(,)?) => {
            $(
                if m.api_version == <$ty as Resource>::API_VERSION && m.kind == <$ty as Resource>::KIND {
                    return round_trip::<$ty>(m);
                }
            )*
        };
    }
    typed!(
        core::v1::Namespace,
        core::v1::ServiceAccount,
        core::v1::ConfigMap,
        core::v1::Secret,
        core::v1::Service,
        core::v1::PersistentVolumeClaim,
        apps::v1::StatefulSet,
        apps::v1::Deployment,
        apps::v1::DaemonSet,
        batch::v1::CronJob,
        batch::v1::Job,
        rbac::v1::Role,
        rbac::v1::RoleBinding,
        rbac::v1::ClusterRole,
        rbac::v1::ClusterRoleBinding,
        policy::v1::PodDisruptionBudget,
        networking::v1::NetworkPolicy,
        admission::MutatingWebhookConfiguration,
        admission::ValidatingWebhookConfiguration,
        apiext::CustomResourceDefinition,
        apireg::APIService,
    );
    if let Some(schema) = crate::crds::schema_for(&m.api_version, &m.kind) {
        return custom_resource(m, schema);
    }
    if let Some(served) = served_versions(m) {
        return Err(Error::Schema {
            object: m.id(),
            path: "apiVersion".into(),
            message: format!(
                "{} is not a served version of {}; use one of {served}",
                m.api_version, m.kind
            ),
        });
    }
    Err(Error::Schema {
        object: m.id(),
        path: "apiVersion/kind".into(),
        message: format!(
            "meshgen has no schema for {} {}; add the type to validate::object before rendering it",
            m.api_version, m.kind
        ),
    })
}

/// The versions our CRDs serve for `m`'s group and kind, if one of them defines it.
fn served_versions(m: &Manifest) -> Option<String> {
    let group = m.api_version.split_once('/').map_or("", |(g, _)| g);
    let def = crate::crds::definitions()
        .iter()
        .find(|d| d.group == group && d.kind == m.kind)?;
    let names: Vec<String> = def.versions.iter().map(|v| format!("{group}/{}", v.name)).collect();
    Some(names.join(", "))
}

/// A custom resource of one of our CRDs: `metadata` is the API server's ObjectMeta,
/// everything else must satisfy the version's openAPIV3Schema. The first violation
/// is reported; the message counts the others.
fn custom_resource(m: &Manifest, schema: &Json) -> Result<()> {
    let fail = |path: String, message: String| Error::Schema {
        object: m.id(),
        path,
        message,
    };
    if let Some(meta) = m.body.get("metadata") {
        let typed: ObjectMeta = deserialize_located(meta).map_err(|e| {
            fail(
                format!("metadata.{}", e.path()).trim_end_matches('.').into(),
                e.inner().to_string(),
            )
        })?;
        let back =
            serde_json::to_value(&typed).map_err(|e| fail("metadata".into(), format!("cannot serialise: {e}")))?;
        if let Some((path, message)) = first_difference(meta, &back, "metadata") {
            return Err(fail(path, message));
        }
    }
    // apiVersion, kind and metadata belong to the server, whatever the schema declares.
    let found = openapi::violations_except(&m.body, schema, &["apiVersion", "kind", "metadata"]);
    let mut found = found.into_iter();
    match found.next() {
        None => Ok(()),
        Some(first) => {
            let more = found.len();
            let message = match more {
                0 => first.message,
                n => format!(
                    "{} (and {n} more problem{})",
                    first.message,
                    if n == 1 { "" } else { "s" }
                ),
            };
            Err(fail(first.path, message))
        }
    }
}

fn round_trip<T: DeserializeOwned + Serialize>(m: &Manifest) -> Result<()> {
    let typed: T = deserialize_located(&m.body).map_err(|e| Error::Schema {
        object: m.id(),
        path: e.path().to_string(),
        message: e.inner().to_string(),
    })?;
    let back = serde_json::to_value(&typed).map_err(|e| Error::Schema {
        object: m.id(),
        path: String::new(),
        message: format!("cannot serialise: {e}"),
    })?;
    match first_difference(&m.body, &back, "") {
        None => Ok(()),
        Some((path, message)) => Err(Error::Schema {
            object: m.id(),
            path,
            message,
        }),
    }
}

/// The first place where `original` holds something the typed round trip lost or changed,
/// as a dotted path under `prefix` and a message.
pub(crate) fn first_difference(original: &Json, back: &Json, prefix: &str) -> Option<(String, String)> {
    let mut path = Vec::new();
    let message = difference(original, back, &mut path)?;
    Some((dotted(prefix, &path), message))
}

/// Walks both documents with a stack of steps; the path string is built only when a
/// difference is found, so a valid object allocates nothing.
fn difference<'a>(original: &'a Json, back: &'a Json, path: &mut Vec<Step<'a>>) -> Option<String> {
    match (original, back) {
        (Json::Object(a), Json::Object(b)) => {
            for (key, value) in a {
                path.push(Step::Key(key));
                match b.get(key) {
                    Some(other) => {
                        if let Some(found) = difference(value, other, path) {
                            return Some(found);
                        }
                    }
                    // An explicit null means "absent" to the API server; upstream
                    // charts write some (an empty `resources:`), so they are kept.
                    None if value.is_null() => {}
                    None => {
                        return Some(
                            "unknown field: the schema has no such field (check the spelling and nesting)".into(),
                        );
                    }
                }
                path.pop();
            }
            // k8s-openapi writes apiVersion/kind into embedded objects such as
            // volumeClaimTemplates; the API server accepts them either way.
            let appeared = b
                .keys()
                .find(|k| !a.contains_key(*k) && !matches!(k.as_str(), "apiVersion" | "kind"))?;
            path.push(Step::Key(appeared));
            Some("appeared in the round trip; the template must write it explicitly".into())
        }
        (Json::Array(a), Json::Array(b)) if a.len() == b.len() => {
            for (i, (x, y)) in a.iter().zip(b).enumerate() {
                path.push(Step::Index(i));
                if let Some(found) = difference(x, y, path) {
                    return Some(found);
                }
                path.pop();
            }
            None
        }
        (a, b) if a == b => None,
        // k8s-openapi reads some integers as floats (a CRD schema's `maximum`); the
        // server treats 65535 and 65535.0 alike.
        (Json::Number(a), Json::Number(b)) if a.as_f64() == b.as_f64() => None,
        (a, b) => Some(format!("written as {a} but the schema reads it as {b}")),
    }
}
