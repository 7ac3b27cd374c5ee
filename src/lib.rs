//! meshgen renders deterministic Kubernetes manifests for a Linkerd-meshed Dgraph
//! cluster: typed values and embedded templates in, schema-checked canonical YAML out.
//!
//! The pipeline, each step a pure function of its inputs:
//! [`Values::load`] → [`render()`] (templates, parse, strict schema check) →
//! [`output::Tree`] → [`output::write`] (atomic) or [`output::changes`] (`--check`).

pub mod bundles;
pub mod certs;
pub mod error;
pub mod manifest;
pub mod output;
pub mod render;
pub mod schema;
pub mod templates;
pub mod values;
pub mod yaml;

pub use camino::{Utf8Path, Utf8PathBuf};
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

/// The two output trees of a render.
#[derive(Debug, Clone)]
pub struct Trees {
    /// `generated/`: committed, reviewed, applied.
    pub generated: output::Tree,
    /// `secrets/`: private keys in Secret objects; `None` when nothing needs one.
    pub secrets: Option<output::Tree>,
}

/// Renders `templates` with `values` into the output trees, checking every object.
pub fn render_trees(values: &Values, templates: &TemplateSet) -> Result<Trees> {
    let rendered = render(values, templates)?;
    let secrets = (!rendered.secrets.is_empty()).then(|| output::Tree::private(rendered.secrets));
    Ok(Trees {
        generated: output::Tree::public(rendered.files),
        secrets,
    })
}

/// Renders, then writes both trees. The render completes (and every object is
/// checked) before anything is written, so a failure leaves both directories as
/// they were; each directory is then replaced atomically.
pub fn generate(values: &Values, templates: &TemplateSet, out: &Utf8Path, secrets_out: &Utf8Path) -> Result<Written> {
    let trees = render_trees(values, templates)?;
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
