//! Server: a port of a set of pods (or external workloads) that policy applies to.

use super::common::*;
use super::dsl::*;
use super::{Column, Definition, Version};

/// The schema of `version`. Each version adds to the one before: v1beta1 drops
/// the selector's oneOf, v1beta2 adds external workloads, v1beta3 an access policy.
fn schema(version: &str) -> Schema {
    let pod_selector = match version {
        "v1alpha1" => label_selector().one_of_required(["matchExpressions", "matchLabels"]),
        _ => label_selector(),
    };
    let mut spec = object([]);
    if version == "v1beta3" {
        spec = spec.prop("accessPolicy", string().default("deny"));
    }
    spec = spec.prop("podSelector", pod_selector);
    if matches!(version, "v1beta2" | "v1beta3") {
        spec = spec.prop("externalWorkloadSelector", label_selector());
    }
    spec = spec
        .prop("port", int_or_string())
        .prop("proxyProtocol", string().default("unknown"));
    spec = match version {
        "v1beta2" | "v1beta3" => spec
            .required(["port"])
            .one_of_required(["podSelector", "externalWorkloadSelector"]),
        _ => spec.required(["podSelector", "port"]),
    };
    object([("spec", spec)])
        .required(["spec"])
        .doc("A port (by number or name) of the selected workloads, with its protocol and default access policy.")
}

pub(super) fn server() -> Definition {
    let port = || Column::new("Port", "string", ".spec.port").describe("The port the server is listening on");
    let protocol = || Column::new("Protocol", "string", ".spec.proxyProtocol").describe("The protocol of the server");
    let access = Column::new("Access Policy", "string", ".spec.accessPolicy")
        .describe("The default access policy applied when the traffic doesn't match any of the policy rules");
    Definition {
        group: "policy.linkerd.io",
        kind: "Server",
        plural: "servers",
        singular: "server",
        list_kind: false,
        short_names: &["srv"],
        categories: &[],
        placeholder_status: false,
        extension: None,
        versions: vec![
            Version::new("v1alpha1", schema("v1alpha1"))
                .deprecated("policy.linkerd.io/v1alpha1 Server is deprecated; use policy.linkerd.io/v1beta1 Server"),
            Version::new("v1beta1", schema("v1beta1"))
                .deprecated("policy.linkerd.io/v1beta1 Server is deprecated; use policy.linkerd.io/v1beta3 Server")
                .columns(vec![port(), protocol()]),
            Version::new("v1beta2", schema("v1beta2")).columns(vec![port(), protocol()]),
            Version::new("v1beta3", schema("v1beta3"))
                .stored()
                .columns(vec![port(), protocol(), access]),
        ],
    }
}
