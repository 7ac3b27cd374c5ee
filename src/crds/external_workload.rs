//! ExternalWorkload (workload.linkerd.io): a meshed process outside Kubernetes.

use super::common::*;
use super::dsl::*;
use super::{age_column, Column, Definition, Version};

/// v1beta1 renamed `meshTls` to `meshTLS` and allows a second (IPv6) address.
fn schema(version: &str) -> Schema {
    let (mesh_tls, max_ips) = match version {
        "v1alpha1" => ("meshTls", 1),
        _ => ("meshTLS", 2),
    };
    let tls = object([
        ("identity", string().length(1, 253)),
        ("serverName", string().length(1, 253)),
    ])
    .required(["identity", "serverName"]);
    let port = object([
        ("name", string()),
        ("port", port_number()),
        ("protocol", string().default("TCP")),
    ])
    .required(["port"]);
    let spec = object([
        (mesh_tls, tls),
        ("ports", array(port)),
        ("workloadIPs", array(object([("ip", string())])).max_items(max_ips)),
    ])
    .required([mesh_tls]);
    let status = object([("conditions", linkerd_conditions(true))]);
    root_with_meta(spec, status)
        .doc("A workload outside the cluster that joins the mesh: its addresses, ports and identity.")
}

pub(super) fn external_workload() -> Definition {
    let identity = |path| Column::new("Identity", "string", path);
    Definition {
        group: "workload.linkerd.io",
        kind: "ExternalWorkload",
        plural: "externalworkloads",
        singular: "externalworkload",
        list_kind: true,
        short_names: &[],
        categories: &["external"],
        placeholder_status: false,
        extension: None,
        versions: vec![
            Version::new("v1alpha1", schema("v1alpha1"))
                .columns(vec![identity(".spec.meshTls.identity"), age_column()]),
            Version::new("v1beta1", schema("v1beta1"))
                .stored()
                .with_status()
                .columns(vec![identity(".spec.meshTLS.identity"), age_column()]),
        ],
    }
}
