//! Schema fragments that several CRDs share: Kubernetes name patterns,
//! object references, label selectors, network lists and status conditions.

use super::dsl::*;

/// An API group: empty (the core group) or a DNS subdomain.
pub(super) const GROUP: &str = r"^$|^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$";
/// A kind: a letter, then letters, digits and inner dashes.
pub(super) const KIND: &str = r"^[a-zA-Z]([-a-zA-Z0-9]*[a-zA-Z0-9])?$";
/// An RFC 1123 label, such as a namespace.
pub(super) const DNS_LABEL: &str = r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$";
/// An RFC 1123 subdomain: labels joined by dots.
pub(super) const DNS_SUBDOMAIN: &str = r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$";
/// An HTTP header name (an RFC 7230 token); `\x60` is the backtick.
pub(super) const HEADER_NAME: &str = r"^[A-Za-z0-9!#$%&'*+\-.^_\x60|~]+$";
/// A Kubernetes resource.Quantity, such as `500m` or `1`.
const QUANTITY: &str = r"^(\+|-)?(([0-9]+(\.[0-9]*)?)|(\.[0-9]+))(([KMGTPE]i)|[numkMGTPE]|([eE](\+|-)?(([0-9]+(\.[0-9]*)?)|(\.[0-9]+))))?$";
/// A condition type: an optional DNS-subdomain prefix and a slash, then a name.
const CONDITION_TYPE: &str =
    r"^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*/)?(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])$";
/// A condition reason: CamelCase-like, as metav1.Condition requires.
const CONDITION_REASON: &str = r"^[A-Za-z]([A-Za-z0-9_,:]*[A-Za-z0-9_])?$";

/// `group` of a reference (at most 253 characters).
pub(super) fn group_ref() -> Schema {
    string().max_len(253).pattern(GROUP)
}

/// `kind` of a reference.
pub(super) fn kind_ref() -> Schema {
    string().length(1, 63).pattern(KIND)
}

/// `name` of a reference: any non-empty string up to a DNS subdomain's length.
pub(super) fn name_ref() -> Schema {
    string().length(1, 253)
}

/// `namespace` as Gateway API spells it: a non-empty DNS label.
pub(super) fn namespace_ref() -> Schema {
    string().length(1, 63).pattern(DNS_LABEL)
}

/// `namespace` as the older policy CRDs spell it: only a length limit.
pub(super) fn loose_namespace_ref() -> Schema {
    string().max_len(253)
}

/// A resource.Quantity, written as an integer or a string.
pub(super) fn quantity() -> Schema {
    int_or_string().any_of([integer(), string()]).pattern(QUANTITY)
}

/// A TCP port number.
pub(super) fn port_number() -> Schema {
    int32().range(1, 65535)
}

/// A reference to a resource in the same namespace (a policy's target).
pub(super) fn local_target_ref() -> Schema {
    object([("group", group_ref()), ("kind", kind_ref()), ("name", name_ref())]).required(["kind", "name"])
}

/// A Kubernetes label selector.
pub(super) fn label_selector() -> Schema {
    let requirement = object([
        ("key", string()),
        (
            "operator",
            string().one_of_values(["In", "NotIn", "Exists", "DoesNotExist"]),
        ),
        ("values", array(string())),
    ])
    .required(["key", "operator"]);
    object([("matchLabels", free_object()), ("matchExpressions", array(requirement))])
}

/// Client networks: CIDRs, each with optional exceptions.
pub(super) fn networks() -> Schema {
    array(object([("cidr", string()), ("except", array(string()))]).required(["cidr"]))
}

pub(super) fn condition_status() -> Schema {
    string().one_of_values(["True", "False", "Unknown"])
}

pub(super) fn condition_type() -> Schema {
    string().max_len(316).pattern(CONDITION_TYPE)
}

pub(super) fn condition_reason() -> Schema {
    string().length(1, 1024).pattern(CONDITION_REASON)
}

fn condition_message() -> Schema {
    string().max_len(32768)
}

/// `status.conditions` of the Linkerd-owned CRDs. Upstream puts `required` on the
/// list rather than on its items (the server ignores it there); kept for fidelity.
/// `probe` adds `lastProbeTime`, which ExternalWorkload carries.
pub(super) fn linkerd_conditions(probe: bool) -> Schema {
    let mut item = object([]);
    if probe {
        item = item.prop("lastProbeTime", date_time());
    }
    let item = item
        .prop("lastTransitionTime", date_time())
        .prop("status", condition_status())
        .prop("type", condition_type())
        .prop("reason", condition_reason())
        .prop("message", condition_message());
    array(item).required(["status", "type"])
}

/// One metav1.Condition, every field but observedGeneration required.
pub(super) fn meta_condition() -> Schema {
    object([
        ("lastTransitionTime", date_time()),
        ("message", condition_message()),
        ("observedGeneration", int64().min(0)),
        ("reason", condition_reason()),
        ("status", condition_status()),
        ("type", condition_type()),
    ])
    .required(["lastTransitionTime", "message", "reason", "status", "type"])
}

/// `conditions` as metav1.Condition defines them, in a list keyed by type (Gateway API).
pub(super) fn meta_conditions() -> Schema {
    array(meta_condition()).min_items(1).max_items(8).list_map(["type"])
}

/// A metav1.LabelSelector as Kubernetes' own types write it: operators are not
/// enumerated, lists and the selector itself are replaced whole by server-side apply.
pub(super) fn k8s_label_selector() -> Schema {
    let strings = || array(string()).atomic_list();
    let requirement =
        object([("key", string()), ("operator", string()), ("values", strings())]).required(["key", "operator"]);
    object([
        ("matchExpressions", array(requirement).atomic_list()),
        ("matchLabels", map_of(string())),
    ])
    .atomic_map()
}

/// The root of a schema that also declares the standard top-level fields.
pub(super) fn root_with_meta(spec: Schema, status: Schema) -> Schema {
    object([
        ("apiVersion", string()),
        ("kind", string()),
        ("metadata", bare_object()),
        ("spec", spec),
        ("status", status),
    ])
    .required(["spec"])
}
