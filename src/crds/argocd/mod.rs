//! Argo CD's Application and ApplicationSet (`argoproj.io/v1alpha1`), as Argo CD v3.5.1
//! defines them (`pkg/apis/application/v1alpha1`, `types.go` and
//! `applicationset_types.go`, and `manifests/crds` at that tag). meshgen never renders
//! these CRDs: Argo CD installs its own (see `is_rendered`). They are here so that the
//! Applications a render writes for `gitops.engine: argocd` are checked like any other
//! custom resource, and an ApplicationSet written by hand can be checked the same way.
//!
//! An ApplicationSet's `spec.template.spec` is an Application's spec, built by the same
//! function ([`application::spec`]). Properties are in the order of the Go structs.
//! Everything is typed, status included, but for what upstream itself keeps as written
//! (`x-kubernetes-preserve-unknown-fields`): a Helm source's `valuesObject`, a list
//! generator's `elements`, a plugin generator's `input.parameters` values, and the
//! `matrix` and `merge` of a generator nested in a matrix or merge (upstream types those
//! as raw JSON, so a third level of nesting is not checked).

mod application;
mod applicationset;

pub(super) use application::application;
pub(super) use applicationset::application_set;

use super::dsl::*;

/// The API group of both kinds.
const ARGOPROJ: &str = "argoproj.io";

/// A list of strings.
fn strings() -> Schema {
    array(string())
}

/// A map of strings, such as labels or annotations.
fn string_map() -> Schema {
    map_of(string())
}
