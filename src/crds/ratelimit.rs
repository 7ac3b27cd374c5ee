//! HTTPLocalRateLimitPolicy: per-proxy request-rate limits on a Server.

use super::common::*;
use super::dsl::*;
use super::{Column, Definition, Version};

pub(super) fn http_local_rate_limit_policy() -> Definition {
    let rate = || object([("requestsPerSecond", int64())]).required(["requestsPerSecond"]);
    let client_ref = object([
        ("group", group_ref()),
        ("kind", kind_ref()),
        ("namespace", namespace_ref()),
        ("name", name_ref()),
    ])
    .required(["kind", "name"]);
    let override_ = object([("requestsPerSecond", int64()), ("clientRefs", array(client_ref))])
        .required(["requestsPerSecond", "clientRefs"]);
    let spec = object([
        ("targetRef", local_target_ref()),
        ("total", rate()),
        ("identity", rate()),
        ("overrides", array(override_)),
    ])
    .required(["targetRef"]);
    // The status names the Server the policy was accepted for.
    let status_target = object([
        ("group", group_ref().default("policy.linkerd.io")),
        ("kind", kind_ref().default("Server")),
        ("name", name_ref()),
    ])
    .required(["name"]);
    let status =
        object([("conditions", linkerd_conditions(false)), ("targetRef", status_target)]).required(["targetRef"]);
    let root = object([("spec", spec), ("status", status)])
        .required(["spec"])
        .doc("Limits the request rate a Server's proxies admit: overall, per client identity, and per listed client.");
    let columns = vec![
        Column::new("Target_kind", "string", ".spec.targetRef.kind")
            .describe("The resource kind to which the rate-limit applies"),
        Column::new("Target_name", "string", ".spec.targetRef.name")
            .describe("The resource name to which the rate-limit applies"),
        Column::new("Total_RPS", "integer", ".spec.total.requestsPerSecond")
            .format("int32")
            .describe("The overall rate-limit"),
        Column::new("Identity_RPS", "integer", ".spec.identity.requestsPerSecond")
            .format("int32")
            .describe("The rate-limit per identity"),
    ];
    Definition {
        group: "policy.linkerd.io",
        kind: "HTTPLocalRateLimitPolicy",
        plural: "httplocalratelimitpolicies",
        singular: "httplocalratelimitpolicy",
        list_kind: true,
        short_names: &[],
        categories: &[],
        placeholder_status: false,
        extension: None,
        versions: vec![Version::new("v1alpha1", root).stored().with_status().columns(columns)],
    }
}
