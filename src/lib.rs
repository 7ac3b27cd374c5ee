//! meshgen renders deterministic Kubernetes manifests for a Linkerd-meshed Dgraph
//! cluster: typed values and embedded templates in, schema-checked canonical YAML out.
//!
//! The pipeline, each step a pure function of its inputs:
//! [`Values::load`] → [`render()`] (templates, parse, strict schema check) →
//! [`output::Tree`] → [`output::write`] (atomic) or [`output::changes`] (`--check`).

pub mod bundles;
pub mod certs;
pub mod crds;
mod digest;
pub mod error;
pub mod manifest;
pub mod output;
pub mod reach;
pub mod render;
pub mod schema;
pub mod templates;
pub mod values;
pub mod yaml;

pub use camino::{Utf8Path, Utf8PathBuf};
pub use certs::CertStore;
pub use error::{Error, Result};
pub use manifest::Manifest;
pub use render::{render, Rendered};
pub use templates::TemplateSet;
pub use values::{Values, ValuesSource};

/// The default values, as shipped in `values/default.yaml`.
pub const DEFAULT_VALUES: &str = include_str!("../values/default.yaml");

/// Loads the default values with `overlays` merged on top, in order.
pub fn load_values(overlays: &[ValuesSource]) -> Result<Values> {
    let mut sources = vec![ValuesSource {
        name: "values/default.yaml".into(),
        text: DEFAULT_VALUES.into(),
    }];
    sources.extend_from_slice(overlays);
    Values::from_sources(&sources)
}

/// Loads the certificate store in `dir` (the committed `certs/`). Private keys are
/// optional: without them the render skips the Secrets that hold them.
pub fn load_certs(dir: &Utf8Path) -> Result<CertStore> {
    CertStore::load(dir).map_err(|e| Error::Certs {
        message: e.to_string(),
        help: error::MINT_OR_IMPORT.into(),
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
        message: report.errors.iter().map(ToString::to_string).collect::<Vec<_>>().join("\n"),
        help: "fix or replace the certificates named above (`cargo xtask certs --help` lists the commands); nothing was written".into(),
    })
}

/// The two output trees of a render.
#[derive(Debug, Clone)]
pub struct Trees {
    /// `generated/`: committed, reviewed, applied.
    pub generated: output::Tree,
    /// `secrets/`: private keys in Secret objects; `None` when nothing needs one.
    pub secrets: Option<output::Tree>,
}

/// Renders `templates` with `values` into the output trees, checking every object.
pub fn render_trees(values: &Values, certs: &CertStore, templates: &TemplateSet) -> Result<Trees> {
    let rendered = render(values, certs, templates)?;
    let secrets = (!rendered.secrets.is_empty()).then(|| output::Tree::private(rendered.secrets));
    Ok(Trees {
        generated: output::Tree::public(rendered.files),
        secrets,
    })
}

/// Renders, then writes both trees. The render completes (and every object is
/// checked) before anything is written, so a failure leaves both directories as
/// they were; each directory is then replaced atomically.
pub fn generate(
    values: &Values,
    certs: &CertStore,
    templates: &TemplateSet,
    out: &Utf8Path,
    secrets_out: &Utf8Path,
) -> Result<Written> {
    let trees = render_trees(values, certs, templates)?;
    let generated = output::write(out, &trees.generated)?;
    let secrets = match &trees.secrets {
        Some(tree) => Some(output::write(secrets_out, tree)?),
        None => None,
    };
    Ok(Written {
        files: trees.generated.files.len(),
        generated,
        secrets,
    })
}

/// What [`generate`] changed.
#[derive(Debug, Clone)]
pub struct Written {
    /// Number of files in the generated tree, lock file included.
    pub files: usize,
    pub generated: Vec<output::Change>,
    /// `None` when the render has no Secrets, so the secrets directory was left alone.
    pub secrets: Option<Vec<output::Change>>,
}
