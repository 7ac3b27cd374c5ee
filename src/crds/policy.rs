//! The authorization CRDs of policy.linkerd.io: AuthorizationPolicy, the two
//! authentication kinds, the older ServerAuthorization, and EgressNetwork.

use super::common::*;
use super::dsl::*;
use super::{Definition, Version};

const POLICY: &str = "policy.linkerd.io";

pub(super) fn authorization_policy() -> Definition {
    let authentication_ref = object([
        ("group", group_ref()),
        ("kind", kind_ref()),
        ("name", name_ref()),
        ("namespace", loose_namespace_ref()),
    ])
    .required(["kind", "name"]);
    let spec = object([
        ("targetRef", local_target_ref()),
        ("requiredAuthenticationRefs", array(authentication_ref)),
    ])
    .required(["targetRef", "requiredAuthenticationRefs"]);
    let root = object([("spec", spec)])
        .required(["spec"])
        .doc("Admits traffic to a target (Server, HTTPRoute, Namespace) once the listed authentications succeed.");
    Definition {
        group: POLICY,
        kind: "AuthorizationPolicy",
        plural: "authorizationpolicies",
        singular: "authorizationpolicy",
        list_kind: false,
        short_names: &["authzpolicy"],
        categories: &[],
        placeholder_status: false,
        extension: None,
        versions: vec![Version::new("v1alpha1", root).stored()],
    }
}

pub(super) fn egress_network() -> Definition {
    let spec = object([
        ("trafficPolicy", string().one_of_values(["Allow", "Deny"])),
        ("networks", networks()),
    ])
    .required(["trafficPolicy"]);
    let status = object([("conditions", linkerd_conditions(false))]);
    let root = root_with_meta(spec, status).doc("Names networks outside the cluster that meshed pods may reach.");
    Definition {
        group: POLICY,
        kind: "EgressNetwork",
        plural: "egressnetworks",
        singular: "egressnetwork",
        list_kind: true,
        short_names: &[],
        categories: &["policy"],
        placeholder_status: false,
        extension: None,
        versions: vec![Version::new("v1alpha1", root).stored().with_status()],
    }
}

pub(super) fn mesh_tls_authentication() -> Definition {
    let identity_ref = object([
        ("group", group_ref()),
        ("kind", kind_ref()),
        ("name", name_ref()),
        ("namespace", loose_namespace_ref()),
    ])
    .required(["kind"]);
    let spec = object([
        ("identities", array(string()).min_items(1)),
        ("identityRefs", array(identity_ref).min_items(1)),
    ])
    .one_of_required(["identities", "identityRefs"]);
    let root = object([("spec", spec)])
        .required(["spec"])
        .doc("Clients authenticated by their mesh TLS identity: names, or ServiceAccount references.");
    Definition {
        group: POLICY,
        kind: "MeshTLSAuthentication",
        plural: "meshtlsauthentications",
        singular: "meshtlsauthentication",
        list_kind: false,
        short_names: &["meshtlsauthn"],
        categories: &[],
        placeholder_status: false,
        extension: None,
        versions: vec![Version::new("v1alpha1", root).stored()],
    }
}

pub(super) fn network_authentication() -> Definition {
    let spec = object([("networks", networks())]).required(["networks"]);
    let root = object([("spec", spec)])
        .required(["spec"])
        .doc("Clients authenticated by their source network.");
    Definition {
        group: POLICY,
        kind: "NetworkAuthentication",
        plural: "networkauthentications",
        singular: "networkauthentication",
        list_kind: false,
        short_names: &["netauthn", "networkauthn"],
        categories: &[],
        placeholder_status: false,
        extension: None,
        versions: vec![Version::new("v1alpha1", root).stored()],
    }
}

/// Both versions share one schema.
fn server_authorization_schema() -> Schema {
    // Identities may be `*` or start with a `*` label, unlike plain DNS names.
    const IDENTITY: &str = r"^(\*|[a-z0-9]([-a-z0-9]*[a-z0-9])?)(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$";
    let server = object([("name", string().pattern(DNS_LABEL)), ("selector", label_selector())])
        .one_of_required(["name", "selector"]);
    let service_account = object([
        ("name", string().pattern(DNS_LABEL)),
        ("namespace", string().pattern(DNS_LABEL)),
    ])
    .required(["name"]);
    let mesh_tls = object([
        ("unauthenticatedTLS", boolean()),
        ("identities", array(string().pattern(IDENTITY))),
        ("serviceAccounts", array(service_account)),
    ]);
    let client = object([
        ("networks", networks()),
        ("unauthenticated", boolean()),
        ("meshTLS", mesh_tls),
    ]);
    let spec = object([("server", server), ("client", client)]).required(["server", "client"]);
    object([("spec", spec)])
        .required(["spec"])
        .doc("Admits clients to one Server or to the Servers a selector picks.")
}

pub(super) fn server_authorization() -> Definition {
    Definition {
        group: POLICY,
        kind: "ServerAuthorization",
        plural: "serverauthorizations",
        singular: "serverauthorization",
        list_kind: false,
        short_names: &["saz", "serverauthz", "srvauthz"],
        categories: &[],
        placeholder_status: false,
        extension: None,
        versions: vec![
            Version::new("v1alpha1", server_authorization_schema()).deprecated(
                "policy.linkerd.io/v1alpha1 ServerAuthorization is deprecated; use policy.linkerd.io/v1beta1 ServerAuthorization",
            ),
            Version::new("v1beta1", server_authorization_schema())
                .stored()
                .columns(vec![super::Column::new("Server", "string", ".spec.server.name")
                    .describe("The server that this grants access to")]),
        ],
    }
}
