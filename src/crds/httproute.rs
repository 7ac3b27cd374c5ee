//! HTTPRoute (policy.linkerd.io): Linkerd's copy of the Gateway API HTTPRoute, in
//! four versions. Header modifiers, redirects and references appear several
//! times in each version, so each is built once here.

use serde_json::json;

use super::common::*;
use super::dsl::*;
use super::{age_column, Column, Definition, Version};

/// A hostname, optionally with a leading `*.` wildcard label.
const HOSTNAME: &str = r"^(\*\.)?[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$";
/// A controller name: a domain, a slash, then a path.
pub(super) const CONTROLLER: &str =
    r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*\/[A-Za-z0-9\/\-._~%!$&'()*+,;=:]+$";

/// How the versions differ: v1beta2 bounded ports and gave backendRefs the full
/// Gateway API shape; v1beta3 added per-rule timeouts. v1beta1 equals v1alpha1.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Rev {
    Alpha1,
    Beta1,
    Beta2,
    Beta3,
}

fn header_name() -> Schema {
    string().length(1, 256).pattern(HEADER_NAME)
}

fn match_type() -> Schema {
    string().default("Exact").one_of_values(["Exact", "RegularExpression"])
}

fn header_modifier() -> Schema {
    let header = || object([("name", header_name()), ("value", string().length(1, 4096))]).required(["name", "value"]);
    object([
        ("add", array(header()).max_items(16).list_map(["name"])),
        ("remove", array(string()).max_items(16)),
        ("set", array(header()).max_items(16).list_map(["name"])),
    ])
}

fn request_redirect() -> Schema {
    let path = object([
        ("replaceFullPath", string().max_len(1024)),
        ("replacePrefixMatch", string().max_len(1024)),
        (
            "type",
            string().one_of_values(["ReplaceFullPath", "ReplacePrefixMatch"]),
        ),
    ])
    .required(["type"]);
    object([
        ("hostname", string().length(1, 253).pattern(DNS_SUBDOMAIN)),
        ("path", path),
        ("port", port_number()),
        ("scheme", string().one_of_values(["http", "https"])),
        ("statusCode", integer().default(302).one_of_values([301, 302])),
    ])
}

/// Filters of a rule; a backend's filters may also modify response headers.
fn filters(backend: bool) -> Schema {
    let filter = if backend {
        object([
            ("requestHeaderModifier", header_modifier()),
            ("requestRedirect", request_redirect()),
            ("responseHeaderModifier", header_modifier()),
            (
                "type",
                string().one_of_values(["RequestHeaderModifier", "ResponseHeaderModifier", "RequestRedirect"]),
            ),
        ])
    } else {
        object([
            ("requestHeaderModifier", header_modifier()),
            ("requestRedirect", request_redirect()),
            (
                "type",
                string().one_of_values(["RequestHeaderModifier", "RequestRedirect"]),
            ),
        ])
    };
    array(filter.required(["type"])).max_items(16)
}

fn parent_ref(port: Schema) -> Schema {
    object([
        ("group", group_ref().default("policy.linkerd.io")),
        ("kind", kind_ref().default("Gateway")),
        ("name", name_ref()),
        ("namespace", namespace_ref()),
        ("port", port),
        ("sectionName", string().length(1, 253).pattern(DNS_SUBDOMAIN)),
    ])
    .required(["name"])
}

fn backend_refs(rev: Rev) -> Schema {
    if rev < Rev::Beta2 {
        // The first versions had a loose backend reference, defaulting its namespace.
        return array(object([
            ("name", string()),
            ("port", integer()),
            ("namespace", string().default("default")),
            ("filters", filters(true)),
        ]));
    }
    let backend = object([
        ("group", group_ref().default("")),
        ("kind", kind_ref().default("Service")),
        ("name", name_ref()),
        ("namespace", namespace_ref()),
        ("port", port_number()),
        ("weight", int32().default(1).range(0, 1_000_000)),
        ("filters", filters(true)),
    ])
    .required(["name"]);
    array(backend).max_items(16)
}

fn matches() -> Schema {
    let header = object([
        ("name", header_name()),
        ("type", match_type()),
        ("value", string().length(1, 4096)),
    ])
    .required(["name", "value"]);
    let query_param = object([
        ("name", string().length(1, 256)),
        ("type", match_type()),
        ("value", string().length(1, 1024)),
    ])
    .required(["name", "value"]);
    let path = object([
        (
            "type",
            string()
                .default("PathPrefix")
                .one_of_values(["Exact", "PathPrefix", "RegularExpression"]),
        ),
        ("value", string().default("/").max_len(1024)),
    ])
    .default(json!({"type": "PathPrefix", "value": "/"}));
    let methods = [
        "GET", "HEAD", "POST", "PUT", "DELETE", "CONNECT", "OPTIONS", "TRACE", "PATCH",
    ];
    let one = object([
        ("headers", array(header).max_items(16).list_map(["name"])),
        ("method", string().one_of_values(methods)),
        ("path", path),
        ("queryParams", array(query_param).max_items(16).list_map(["name"])),
    ]);
    array(one)
        .default(json!([{"path": {"type": "PathPrefix", "value": "/"}}]))
        .max_items(8)
}

fn schema(rev: Rev) -> Schema {
    let mut rule = object([
        ("backendRefs", backend_refs(rev)),
        ("filters", filters(false)),
        ("matches", matches()),
    ]);
    if rev >= Rev::Beta3 {
        let duration = || string().format("duration");
        rule = rule.prop(
            "timeouts",
            object([("backendRequest", duration()), ("request", duration())]),
        );
    }
    let spec_parent_port = if rev < Rev::Beta2 { integer() } else { port_number() };
    let spec = object([
        (
            "hostnames",
            array(string().length(1, 253).pattern(HOSTNAME)).max_items(16),
        ),
        ("parentRefs", array(parent_ref(spec_parent_port)).max_items(32)),
        (
            "rules",
            array(rule)
                .default(json!([{"matches": [{"path": {"type": "PathPrefix", "value": "/"}}]}]))
                .max_items(16),
        ),
    ]);
    let parent_status = object([
        ("conditions", meta_conditions()),
        ("controllerName", string().length(1, 253).pattern(CONTROLLER)),
        ("parentRef", parent_ref(port_number())),
    ])
    .required(["controllerName", "parentRef"]);
    let status = object([("parents", array(parent_status).max_items(32))]).required(["parents"]);
    root_with_meta(spec, status)
        .doc("Routes HTTP requests for the parents (Services or Servers) by path, header, query and method.")
}

pub(super) fn http_route() -> Definition {
    let version = |name, rev| {
        Version::new(name, schema(rev)).with_status().columns(vec![
            Column::new("Hostnames", "string", ".spec.hostnames"),
            age_column(),
        ])
    };
    Definition {
        group: "policy.linkerd.io",
        kind: "HTTPRoute",
        plural: "httproutes",
        singular: "httproute",
        list_kind: true,
        short_names: &[],
        categories: &[],
        placeholder_status: true,
        extension: None,
        versions: vec![
            version("v1alpha1", Rev::Alpha1),
            version("v1beta1", Rev::Beta1),
            version("v1beta2", Rev::Beta2),
            version("v1beta3", Rev::Beta3).stored(),
        ],
    }
}
