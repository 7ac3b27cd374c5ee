//! ServiceProfile (linkerd.io): per-route metrics, retries and timeouts for a service.

use super::common::quantity;
use super::dsl::*;
use super::{Definition, Version};

/// The schema of either version; v1alpha1 also requires `spec.routes`.
fn schema(routes_required: bool) -> Schema {
    // Request and response matchers nest (all/any/not), so their inner levels are free-form.
    let matchers = || array(free_object());
    let request_match = object([
        ("pathRegex", string()),
        ("method", string()),
        ("all", matchers()),
        ("any", matchers()),
        ("not", matchers()),
    ]);
    let response_match = object([
        ("all", matchers()),
        ("any", matchers()),
        ("not", free_object()),
        ("status", object([("max", int32()), ("min", int32())])),
    ]);
    let response_class = object([("condition", response_match), ("isFailure", boolean())]).required(["condition"]);
    let route = object([
        ("condition", request_match),
        ("isRetryable", boolean()),
        ("name", string()),
        ("timeout", string()),
        ("responseClasses", array(response_class)),
    ])
    .required(["condition", "name"]);
    let weight = quantity();
    // Upstream puts `required` on the list, not on its items; kept for fidelity.
    let dst_overrides = array(object([("authority", string()), ("weight", weight)])).required(["authority", "weight"]);
    let retry_budget = object([
        ("minRetriesPerSecond", int32()),
        ("retryRatio", float()),
        ("ttl", string()),
    ])
    .required(["minRetriesPerSecond", "retryRatio", "ttl"]);
    let spec = object([
        ("dstOverrides", dst_overrides),
        ("opaquePorts", array(string())),
        ("retryBudget", retry_budget),
        ("routes", array(route)),
    ]);
    let spec = if routes_required {
        spec.required(["routes"])
    } else {
        spec
    };
    object([("spec", spec)])
        .doc("Routes of a service (by its FQDN name), with retry budget, timeouts and traffic split.")
}

pub(super) fn service_profile() -> Definition {
    Definition {
        group: "linkerd.io",
        kind: "ServiceProfile",
        plural: "serviceprofiles",
        singular: "serviceprofile",
        list_kind: false,
        short_names: &["sp"],
        categories: &[],
        placeholder_status: false,
        extension: None,
        versions: vec![
            Version::new("v1alpha1", schema(true)),
            Version::new("v1alpha2", schema(false)).stored(),
        ],
    }
}
