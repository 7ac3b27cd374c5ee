//! ServiceProfiles from protobuf definitions: what `linkerd profile --proto FILE`
//! does at edge-26.8.3 (`pkg/profiles/proto.go`), as a library function.
//!
//! For every rpc of every service, in file order, one route:
//! - named for the bare rpc name;
//! - matching `method: POST` and `pathRegex: /<package>.<Service>/<Rpc>`, with the
//!   regex metacharacters escaped as Go's `regexp.QuoteMeta` does (without a
//!   `package` statement, the path is `/<Service>/<Rpc>`);
//! - streaming rpcs alike;
//! - `isRetryable` when the rpc's first `idempotency_level` option is `IDEMPOTENT`
//!   or `NO_SIDE_EFFECTS`; service-level options are not read.
//!
//! A file without rpcs gives a profile with an empty spec. The profile is named
//! `<service>.<namespace>.svc.<cluster domain>`, in the service's namespace.
//!
//! # Differences from upstream
//!
//! Upstream walks the file with `github.com/emicklei/proto`, a lenient parser;
//! meshgen parses it with `protox-parse`, which reads it as protoc does (syntax only:
//! no imported file is opened, no type name is resolved). So:
//! - `package` applies to the whole file, as in protobuf. Upstream applies it only
//!   to the services declared after the statement.
//! - A second `package` statement is an error. Upstream uses the latest one.
//! - Files that protoc rejects are rejected, with a line and a column: for example
//!   `required` in proto3, a field number out of range, or an `optional` label in an
//!   editions file. Upstream accepts some of these. Editions files (2023 and 2024),
//!   which protox-parse 0.10 does not read, are read as their proto3 twins (see
//!   `proto/editions.rs`), as upstream's walk reads them.
//! - The output has no `metadata.creationTimestamp: null`, which upstream's
//!   serialiser adds, and strings holding `\` are double-quoted (canonical YAML).
//!   Keys are in the same (sorted) order as upstream's.
//! - The service, namespace and cluster domain are checked as upstream's CLI
//!   checks them, and the profile against the project's ServiceProfile CRD schema.

pub(crate) mod dgraph;
mod proto;
mod route;

use serde_json::{json, Value as Json};

pub(crate) use proto::grpc_routes;
pub use route::Route;

use crate::api_rules::{dns_label, dns_subdomain};
use crate::error::{Error, Result};
use crate::manifest::Manifest;

/// The ServiceProfile API version that `linkerd profile` writes.
pub(crate) const API_VERSION: &str = "linkerd.io/v1alpha2";

/// The Service a profile is for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    /// The Service the profile is for.
    pub service: String,
    /// The Service's namespace.
    pub namespace: String,
    /// The cluster's DNS domain, such as `cluster.local`.
    pub cluster_domain: String,
}

impl Target {
    /// `<service>.<namespace>.svc.<cluster domain>`: the name Linkerd looks a profile up by.
    pub fn profile_name(&self) -> String {
        format!("{}.{}.svc.{}", self.service, self.namespace, self.cluster_domain)
    }

    /// Upstream's CLI checks: the service is a DNS-1035 label (a Service name), the
    /// namespace a DNS-1123 label; meshgen also checks the cluster domain.
    pub fn validate(&self) -> Result<()> {
        let fail = |what: &'static str, value: &str, help: String| Error::Profile {
            what,
            value: value.to_string(),
            help,
        };
        if !self.service.starts_with(|c: char| c.is_ascii_lowercase()) || dns_label(&self.service).is_err() {
            return Err(fail(
                "service",
                &self.service,
                "a Service name starts with a lowercase letter, then up to 62 lowercase letters, digits or '-', and does not end with '-'".into(),
            ));
        }
        dns_label(&self.namespace).map_err(|help| fail("namespace", &self.namespace, help))?;
        dns_subdomain(&self.cluster_domain).map_err(|help| fail("cluster domain", &self.cluster_domain, help))
    }
}

/// The ServiceProfile for `target` with `routes`, checked against the project's
/// ServiceProfile CRD schema. `origin` names what it was made from in errors.
pub(crate) fn service_profile(target: &Target, routes: &[Route], origin: &str) -> Result<Manifest> {
    target.validate()?;
    let mut spec = json!({});
    if !routes.is_empty() {
        spec["routes"] = Json::Array(routes.iter().map(Route::to_json).collect());
    }
    let body = json!({
        "apiVersion": API_VERSION,
        "kind": "ServiceProfile",
        "metadata": { "name": target.profile_name(), "namespace": target.namespace },
        "spec": spec,
    });
    let manifest = Manifest::from_json("profile", origin, body)?;
    crate::validate::object(&manifest)?;
    Ok(manifest)
}

/// `linkerd profile --proto`: the ServiceProfile of `source`, a `.proto` file
/// shown as `file` in errors.
///
/// ```
/// use meshgen::service_profile::{from_proto, to_yaml, Target};
///
/// let target = Target {
///     service: "vote-svc".into(),
///     namespace: "emojivoto".into(),
///     cluster_domain: "cluster.local".into(),
/// };
/// let source = "syntax = \"proto3\"; package emojivoto.v1;\n\
///               service VotingService { rpc VotePoop (VoteRequest) returns (VoteResponse); }";
/// let profile = from_proto("Voting.proto", source, &target)?;
/// let route = &profile.body["spec"]["routes"][0];
/// assert_eq!(route["name"], "VotePoop");
/// assert_eq!(route["condition"]["pathRegex"], r"/emojivoto\.v1\.VotingService/VotePoop");
/// assert!(to_yaml(&profile).starts_with("apiVersion: linkerd.io/v1alpha2\n"));
/// # Ok::<(), meshgen::Error>(())
/// ```
pub fn from_proto(file: &str, source: &str, target: &Target) -> Result<Manifest> {
    target.validate()?;
    service_profile(target, &grpc_routes(file, source)?, file)
}

/// The profile as canonical YAML, without the `generated/` file header.
pub fn to_yaml(profile: &Manifest) -> String {
    crate::yaml::to_canonical(&profile.body)
}
