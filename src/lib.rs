//! meshgen renders deterministic Kubernetes manifests for a Linkerd-meshed Dgraph
//! cluster: typed values and embedded templates in, schema-checked canonical YAML out.
//!
//! Start with [`Renderer`]: defaults plus overlays plus `--set` assignments, a
//! certificate store, then [`Renderer::render`]. The [`Output`] it returns can be
//! written ([`Output::write`]), checked against a directory ([`Output::check`]),
//! streamed in apply order ([`Output::stream`]) or inspected ([`Output::objects`]).
//!
//! ```
//! # let certs = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/store");
//! let output = meshgen::Renderer::new()
//!     .set("dgraph.alpha.replicas=5")?
//!     .certs_dir(certs.into())?
//!     .render(meshgen::certs::time::OffsetDateTime::now_utc())?;
//! assert!(output.stream(false).contains("name: demo-dgraph-alpha\n"));
//! # Ok::<(), meshgen::Error>(())
//! ```
//!
//! Each step is a pure function of its inputs: the library reads no clock (the caller
//! passes the time the certificates are checked at), no environment and no network.

mod agreement;
mod api_rules;
mod bundles;
pub mod certs;
mod crds;
mod digest;
mod error;
pub mod fleet;
mod gitops;
mod impact;
mod key_material;
mod kustomize;
mod located;
mod manifest;
mod memo;
mod order;
mod output;
pub mod reach;
mod render;
mod renderer;
mod rollout;
mod sealing;
pub mod service_profile;
mod sops;
mod templates;
// The unit tests share the integration tests' helpers, which name the crate `meshgen`.
#[cfg(test)]
extern crate self as meshgen;
#[cfg(test)]
#[path = "../tests/it/common.rs"]
mod test_support;
mod validate;
pub mod values;
mod yaml;

pub use camino::{Utf8Path, Utf8PathBuf};
pub use certs::CertStore;
pub use error::{CertsSource, Error, Result};
pub use fleet::{Fleet, FleetOutput};
pub use impact::{Impact, Refusal, Rolled};
pub use manifest::Manifest;
pub use output::{resolved as resolved_path, Change, Tree};
pub use renderer::{trust_anchor_secret, Output, Renderer, WriteReport};
pub use rollout::IDENTITY_ANNOTATION;
pub use sealing::ANNOTATION as SEALED_ANNOTATION;
pub use templates::{TemplateFile, TemplateSet};
pub use values::{Values, ValuesSource};

/// The default values, as shipped in `values/default.yaml`.
pub const DEFAULT_VALUES: &str = include_str!("../values/default.yaml");

/// The Linkerd release the default values pin (`linkerd.version`).
pub const LINKERD_VERSION: &str = "edge-26.8.3";

/// The Dgraph release the default values pin (`dgraph.image.tag`).
pub const DGRAPH_VERSION: &str = "v25.4.0";

/// Loads the certificate store in `dir` (the committed `certs/`). Private keys are
/// optional: without them the render skips the Secrets that hold them.
pub fn load_certs(dir: &Utf8Path) -> Result<CertStore> {
    CertStore::load(dir).map_err(|e| Error::Certs {
        message: e.to_string(),
        help: error::MINT_OR_IMPORT.into(),
        source: Some(Box::new(CertsSource::Store(e))),
    })
}

/// Verifies the certificates at `now` (the caller's clock: the library reads none).
/// Errors (expired, wrong algorithm, broken chain, ...) fail the render. The report
/// returned carries the warnings (such as "expires within 60 days") and the key files
/// absent on this machine, for which the Secrets are skipped.
pub fn check_certs(certs: &CertStore, now: certs::time::OffsetDateTime) -> Result<certs::CheckReport> {
    let report = certs.check(now);
    if report.is_ok() {
        return Ok(report);
    }
    Err(Error::Certs {
        message: report
            .errors
            .iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>()
            .join("\n"),
        help: format!(
            "fix or replace the certificates named above ({}); nothing was written",
            error::CERT_COMMANDS
        ),
        source: Some(Box::new(CertsSource::Certificates(report.errors))),
    })
}

#[cfg(test)]
mod tests {
    #[test]
    fn pinned_versions_are_the_defaults() {
        let values = crate::Values::defaults().expect("defaults load");
        assert_eq!(values.linkerd.version, super::LINKERD_VERSION);
        assert_eq!(values.dgraph.image.tag, super::DGRAPH_VERSION);
    }
}

/// The README's Rust examples, compiled as doctests: they are what a crate outside
/// this repository writes.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeExamples;
