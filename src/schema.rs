//! Strict schema checks. A typed Kubernetes object is deserialised into its
//! k8s-openapi type and serialised back; any field that does not survive the round
//! trip is unknown to the API (a typo, or a field the server would silently drop)
//! and is reported with its path.

use k8s_openapi::api::admissionregistration::v1 as admission;
use k8s_openapi::api::{apps, batch, core, networking, policy, rbac};
use k8s_openapi::apiextensions_apiserver::pkg::apis::apiextensions::v1 as apiext;
use k8s_openapi::kube_aggregator::pkg::apis::apiregistration::v1 as apireg;
use k8s_openapi::Resource;
use serde::de::DeserializeOwned;
use serde::Serialize;
use serde_json::Value as Json;

use crate::error::{Error, Result};
use crate::manifest::Manifest;

/// Checks `m` against the schema of its kind.
pub fn check(m: &Manifest) -> Result<()> {
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
    Err(Error::Schema {
        object: m.id(),
        path: "apiVersion/kind".into(),
        message: format!(
            "meshgen has no schema for {} {}; add the type to schema::check before rendering it",
            m.api_version, m.kind
        ),
    })
}

fn round_trip<T: DeserializeOwned + Serialize>(m: &Manifest) -> Result<()> {
    let typed: T = serde_path_to_error::deserialize(&m.body).map_err(|e| Error::Schema {
        object: m.id(),
        path: e.path().to_string(),
        message: e.inner().to_string(),
    })?;
    let back = serde_json::to_value(&typed).map_err(|e| Error::Schema {
        object: m.id(),
        path: String::new(),
        message: format!("cannot serialise: {e}"),
    })?;
    match first_difference(&m.body, &back, String::new()) {
        None => Ok(()),
        Some((path, message)) => Err(Error::Schema {
            object: m.id(),
            path,
            message,
        }),
    }
}

/// The first place where `original` holds something the typed round trip lost or changed.
pub(crate) fn first_difference(original: &Json, back: &Json, path: String) -> Option<(String, String)> {
    let join = |key: &str| {
        if path.is_empty() {
            key.to_string()
        } else {
            format!("{path}.{key}")
        }
    };
    match (original, back) {
        (Json::Object(a), Json::Object(b)) => {
            for (key, value) in a {
                match b.get(key) {
                    Some(other) => {
                        if let Some(found) = first_difference(value, other, join(key)) {
                            return Some(found);
                        }
                    }
                    // An explicit null means "absent" to the API server; upstream
                    // charts write some (an empty `resources:`), so they are kept.
                    None if value.is_null() => {}
                    None => {
                        return Some((
                            join(key),
                            "unknown field: the schema has no such field (check the spelling and nesting)".into(),
                        ));
                    }
                }
            }
            // k8s-openapi writes apiVersion/kind into embedded objects such as
            // volumeClaimTemplates; the API server accepts them either way.
            b.keys()
                .find(|k| !a.contains_key(*k) && !matches!(k.as_str(), "apiVersion" | "kind"))
                .map(|k| {
                    (
                        join(k),
                        "appeared in the round trip; the template must write it explicitly".into(),
                    )
                })
        }
        (Json::Array(a), Json::Array(b)) if a.len() == b.len() => a
            .iter()
            .zip(b)
            .enumerate()
            .find_map(|(i, (x, y))| first_difference(x, y, format!("{path}[{i}]"))),
        (a, b) if a == b => None,
        (a, b) => Some((path, format!("written as {a} but the schema reads it as {b}"))),
    }
}
