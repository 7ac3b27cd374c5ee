//! Values and templates in, checked objects and file contents out. Nothing here
//! touches the filesystem, the clock or the environment.

use std::collections::BTreeMap;

use minijinja::Value;

use crate::certs::CertStore;
use crate::error::{Error, Result};
use crate::manifest::Manifest;
use crate::templates::{template_error, TemplateSet};
use crate::values::Values;
use crate::yaml;

/// The complete output of a render: every object, and every file to write,
/// keyed by its path relative to its output directory.
#[derive(Debug, Clone, Default)]
pub struct Rendered {
    pub manifests: Vec<Manifest>,
    /// Files for `generated/`, which is committed.
    pub files: BTreeMap<String, String>,
    /// Secret objects: they hold key material, so they go to the gitignored
    /// `secrets/` tree and never to `generated/`.
    pub secrets: BTreeMap<String, String>,
}

/// Renders every template with `values`, parses and schema-checks every object.
/// Any failure fails the whole render, so a caller never holds a partial result.
pub fn render(values: &Values, certs: &CertStore, templates: &TemplateSet) -> Result<Rendered> {
    let env = templates.environment()?;
    let context = Value::from(minijinja::value::Serde(crate::bundles::Context::new(values, certs)?));
    let mut rendered = Rendered::default();
    let mut origin: BTreeMap<String, String> = BTreeMap::new();
    for file in templates.object_templates() {
        let Some((bundle, _)) = file.name.split_once('/') else {
            return Err(Error::Document {
                template: file.name.clone(),
                message: "templates must sit in a bundle folder, such as templates/dgraph/".into(),
            });
        };
        let text = env
            .get_template(&file.name)
            .and_then(|t| t.render(&context))
            .map_err(|e| template_error(&file.name, &e))?;
        let docs = yaml::parse_stream(&text).map_err(|message| Error::Document {
            template: file.name.clone(),
            message: format!("rendered text is not valid YAML: {message}"),
        })?;
        for doc in docs {
            rendered.add(Manifest::from_json(bundle, &file.name, doc)?, &mut origin)?;
        }
    }
    // The CRDs are built in Rust (src/crds), then checked and written like template output.
    for crd in crate::crds::all(values) {
        rendered.add(
            Manifest::from_json(crate::crds::BUNDLE, crate::crds::ORIGIN, crd)?,
            &mut origin,
        )?;
    }
    Ok(rendered)
}

impl Rendered {
    /// Checks one object and files it; `origin` maps each output path to what produced it.
    fn add(&mut self, manifest: Manifest, origin: &mut BTreeMap<String, String>) -> Result<()> {
        manifest.check()?;
        let path = manifest.file_name();
        if let Some(first) = origin.insert(path.clone(), manifest.template.clone()) {
            return Err(Error::DuplicateObject {
                file: path,
                first,
                second: manifest.template.clone(),
            });
        }
        let tree = if manifest.kind == "Secret" {
            &mut self.secrets
        } else {
            &mut self.files
        };
        tree.insert(path, manifest.to_file());
        self.manifests.push(manifest);
        Ok(())
    }
}
