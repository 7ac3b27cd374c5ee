//! Values and templates in, checked objects and file contents out. Nothing here
//! touches the filesystem, the clock or the environment.

use std::collections::BTreeMap;

use minijinja::Value;

use crate::bundles::SkippedSecret;
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
    /// Every object, Secrets included, in apply order ([`crate::order`]).
    pub manifests: Vec<Manifest>,
    /// Files for `generated/`, which is committed.
    pub files: BTreeMap<String, String>,
    /// Secret objects: they hold key material, so they go to the gitignored
    /// `secrets/` tree and never to `generated/`.
    pub secrets: BTreeMap<String, String>,
    /// Secrets left out because this machine lacks their private keys.
    pub skipped_secrets: Vec<SkippedSecret>,
}

/// Renders every template with `values`, parses and schema-checks every object.
/// Any failure fails the whole render, so a caller never holds a partial result.
pub fn render(values: &Values, certs: &CertStore, templates: &TemplateSet) -> Result<Rendered> {
    let env = templates.environment()?;
    let context = crate::bundles::Context::new(values, certs)?;
    let mut rendered = Rendered {
        skipped_secrets: context.skipped_secrets(),
        ..Rendered::default()
    };
    let context = Value::from(minijinja::value::Serde(context));
    let mut origin: BTreeMap<String, String> = BTreeMap::new();
    for file in templates.object_templates() {
        let Some((bundle, _)) = file.name.split_once('/') else {
            return Err(Error::Document {
                template: file.name.clone(),
                message: "templates must sit in a bundle folder, such as templates/dgraph/".into(),
            });
        };
        if crate::bundles::layer(bundle).is_none() {
            return Err(Error::Document {
                template: file.name.clone(),
                message: format!(
                    "`{bundle}` is not a bundle; add it to meshgen::bundles::ALL, which fixes its apply order"
                ),
            });
        }
        if !crate::bundles::is_rendered(bundle, values) {
            continue;
        }
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
    rendered.manifests.sort_by(crate::order::apply_order);
    rendered.files.extend(crate::kustomize::files(&rendered.manifests));
    Ok(rendered)
}

impl Rendered {
    /// Checks one object and files it; `origin` maps each output path to what produced it.
    fn add(&mut self, manifest: Manifest, origin: &mut BTreeMap<String, String>) -> Result<()> {
        manifest.check()?;
        check_annotation_size(&manifest)?;
        let path = manifest.file_name();
        if let Some(first) = origin.insert(path.clone(), manifest.template.clone()) {
            return Err(Error::DuplicateObject {
                file: path,
                first,
                second: manifest.template.clone(),
            });
        }
        let text = manifest.to_file();
        let tree = if manifest.kind == "Secret" {
            &mut self.secrets
        } else if holds_key_material(&text) {
            // Defence in depth: only Secrets may carry keys, and they never reach generated/.
            return Err(Error::KeyMaterial { object: manifest.id() });
        } else {
            &mut self.files
        };
        tree.insert(path, text);
        self.manifests.push(manifest);
        Ok(())
    }
}

/// The last guard before anything is written: the API server refuses an object whose
/// annotations (or its pod template's) total more than 256 KiB, so meshgen refuses to
/// write one, whatever value or template put them there.
fn check_annotation_size(manifest: &Manifest) -> Result<()> {
    for at in ["/metadata", "/spec/template/metadata"] {
        let Some(annotations) = manifest
            .body
            .pointer(&format!("{at}/annotations"))
            .and_then(serde_json::Value::as_object)
        else {
            continue;
        };
        let size = crate::values::annotations_size(
            annotations
                .iter()
                .map(|(k, v)| (k.as_str(), v.as_str().unwrap_or_default())),
        );
        if size > crate::values::ANNOTATIONS_MAX_BYTES {
            return Err(Error::Schema {
                object: manifest.id(),
                path: format!("{}.annotations", at.trim_start_matches('/').replace('/', ".")),
                message: format!(
                    "the annotations total {size} bytes, keys and values included; the API server takes at most {}",
                    crate::values::ANNOTATIONS_MAX_BYTES
                ),
            });
        }
    }
    Ok(())
}

/// A PEM private key, plain or base64-encoded (as in a Secret's `data`).
fn holds_key_material(text: &str) -> bool {
    const MARKERS: &[&str] = &[
        "PRIVATE KEY-----",
        "UFJJVkFURSBLRVkt",
        "BSSVZBVEUgS0VZLS",
        "QUklWQVRFIEtFWS0t",
    ];
    MARKERS.iter().any(|m| text.contains(m))
}

#[cfg(test)]
mod tests {
    use super::{check_annotation_size, holds_key_material};

    #[test]
    fn oversized_annotations_are_never_written() {
        let body = |size: usize| {
            serde_json::json!({
                "apiVersion": "apps/v1",
                "kind": "Deployment",
                "metadata": {"name": "x", "annotations": {"a": "small"}},
                "spec": {"template": {"metadata": {"annotations": {"k": "v".repeat(size)}}}},
            })
        };
        let manifest = |size| crate::Manifest::from_json("b", "t", body(size)).expect("an object");
        assert!(check_annotation_size(&manifest(crate::values::ANNOTATIONS_MAX_BYTES - 1)).is_ok());
        let err = check_annotation_size(&manifest(crate::values::ANNOTATIONS_MAX_BYTES))
            .expect_err("one byte over")
            .to_string();
        assert!(err.contains("`spec.template.metadata.annotations`"), "{err}");
        assert!(err.contains("help:"), "{err}");
    }

    #[test]
    fn finds_keys_plain_and_base64_at_any_alignment() {
        assert!(holds_key_material("-----BEGIN EC PRIVATE KEY-----"));
        for prefix in ["", "x", "xy"] {
            let encoded = <base64ct::Base64 as base64ct::Encoding>::encode_string(
                format!("{prefix}-----BEGIN PRIVATE KEY-----").as_bytes(),
            );
            assert!(holds_key_material(&encoded), "{prefix:?}: {encoded}");
        }
        assert!(!holds_key_material("-----BEGIN CERTIFICATE-----"));
    }
}
