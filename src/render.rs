//! Values and templates in, checked objects and file contents out. Nothing here
//! touches the filesystem, the clock or the environment.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, PoisonError};

use minijinja::Value;
use serde_json::Value as Json;

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
pub(crate) struct Rendered {
    /// Every object, Secrets included, in apply order ([`crate::order`]), then the
    /// GitOps wiring's ([`crate::gitops`]).
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
/// `cluster` names the cluster in a fleet, for the GitOps wiring ([`crate::gitops`]).
pub(crate) fn render(
    values: &Values,
    certs: &CertStore,
    templates: &TemplateSet,
    cluster: Option<&str>,
) -> Result<Rendered> {
    crate::agreement::check(values, certs)?;
    let env = templates.environment()?;
    let context = crate::bundles::Context::new(values, certs)?;
    let mut rendered = Rendered {
        skipped_secrets: context.skipped_secrets(),
        ..Rendered::default()
    };
    let identity_digest = context.linkerd.identity_sha256();
    let context = Value::from(minijinja::value::Serde(context));
    let mut origin: BTreeMap<String, String> = BTreeMap::new();
    let mut work = Vec::new();
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
        if crate::bundles::is_rendered(bundle, values) {
            work.push((bundle, file));
        }
    }
    // Each template is rendered and parsed on its own, and each object checked and
    // written on its own, so both run in parallel; the results are filed in template
    // order, and the first error in that order is the one reported, so neither bytes
    // nor errors depend on the thread count. The largest templates go first, so that
    // the threads finish together rather than one of them starting the control
    // plane's Deployments last.
    let mut by_size: Vec<usize> = (0..work.len()).collect();
    by_size.sort_by_key(|&i| std::cmp::Reverse(work[i].1.source.len()));
    let mut outputs: Vec<(usize, Result<Vec<Json>>)> = parallel_map(&by_size, |&i| {
        let (_, file) = work[i];
        (i, render_template(env, &context, &file.name))
    });
    outputs.sort_by_key(|(i, _)| *i);
    let mut origins: Vec<(&str, &str)> = Vec::new();
    let mut bodies: Vec<Json> = Vec::new();
    for (i, output) in outputs {
        let (bundle, file) = work[i];
        for body in output? {
            origins.push((bundle, file.name.as_str()));
            bodies.push(body);
        }
    }
    // The rollout annotation needs every object (a namespace can mesh a workload of
    // another template), so it goes on between rendering and checking.
    crate::rollout::annotate(&mut bodies, &identity_digest);
    // Each body is taken once, by the thread that checks it, so none is copied.
    let slots: Vec<(&(&str, &str), Mutex<Json>)> = origins.iter().zip(bodies.into_iter().map(Mutex::new)).collect();
    let checked: Vec<Result<Checked>> = parallel_map(&slots, |((bundle, name), body)| {
        let body = std::mem::take(&mut *body.lock().unwrap_or_else(PoisonError::into_inner));
        Checked::new(Manifest::from_json(bundle, name, body)?)
    });
    for object in checked {
        rendered.file(object?, &mut origin)?;
    }
    for object in crd_files(values)?.iter() {
        rendered.file(object.clone(), &mut origin)?;
    }
    rendered.manifests.sort_by(crate::order::apply_order);
    rendered.files.extend(crate::kustomize::files(&rendered.manifests));
    // The wiring lists the bundles in apply order, so it comes once they are sorted; its
    // objects follow every other, and its folder is not in the top kustomization.
    let wiring = crate::gitops::objects(values, cluster, &rendered.manifests)?;
    if !wiring.is_empty() {
        let checked: Vec<Checked> = wiring.into_iter().map(Checked::new).collect::<Result<_>>()?;
        let prefix = format!("{}/", crate::gitops::DIR);
        let listed: Vec<String> = (checked.iter())
            .map(|c| c.path.strip_prefix(&prefix).unwrap_or(&c.path).to_string())
            .collect();
        for object in checked {
            rendered.file(object, &mut origin)?;
        }
        let listing = crate::kustomize::listing(&listed);
        rendered
            .files
            .insert(format!("{prefix}{}", crate::kustomize::FILE), listing);
    }
    Ok(rendered)
}

/// An object that passed every check that needs no other object, with its file.
#[derive(Clone)]
struct Checked {
    manifest: Manifest,
    path: String,
    text: String,
}

impl Checked {
    /// Checks `manifest` on its own (its schema, its annotations' size, and that no key
    /// material sits outside a Secret) and writes its file. This is most of a render's
    /// work, so it runs on the template's thread; what needs every object (a file
    /// written twice, the apply order) is left to [`Rendered::file`].
    fn new(manifest: Manifest) -> Result<Self> {
        crate::validate::object(&manifest)?;
        check_annotation_size(&manifest)?;
        let text = manifest.to_file();
        // Defence in depth: only Secrets may carry keys, and they never reach generated/.
        if !manifest.is_private() && crate::key_material::holds_key_material(&text) {
            return Err(Error::KeyMaterial { object: manifest.id() });
        }
        Ok(Self {
            path: manifest.file_name(),
            manifest,
            text,
        })
    }
}

/// One template's documents, rendered and parsed.
fn render_template(env: &minijinja::Environment<'_>, context: &Value, name: &str) -> Result<Vec<Json>> {
    let text = env
        .get_template(name)
        .and_then(|t| t.render(context))
        .map_err(|e| template_error(name, &e))?;
    yaml::parse_stream(&text).map_err(|message| Error::Document {
        template: name.to_string(),
        message: format!("rendered text is not valid YAML: {message}"),
    })
}

/// `f` applied to every item, on as many threads as the machine has cores (at most one
/// per item), with the results in the items' order. Threads take the next item as they
/// finish one, so a slow template does not hold up a whole share. std's scoped threads
/// rather than rayon: one call per render does not need a pool.
fn parallel_map<T: Sync, R: Send>(items: &[T], f: impl Fn(&T) -> R + Sync) -> Vec<R> {
    parallel_map_on(std::thread::available_parallelism().map_or(1, usize::from), items, f)
}

/// [`parallel_map`] on at most `threads` threads.
pub(crate) fn parallel_map_on<T: Sync, R: Send>(threads: usize, items: &[T], f: impl Fn(&T) -> R + Sync) -> Vec<R> {
    let threads = threads.min(items.len());
    if threads <= 1 {
        return items.iter().map(f).collect();
    }
    let next = std::sync::atomic::AtomicUsize::new(0);
    let slots: Vec<Mutex<Option<R>>> = items.iter().map(|_| Mutex::new(None)).collect();
    let work = || loop {
        let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let Some(item) = items.get(i) else { break };
        let result = f(item);
        *slots[i].lock().unwrap_or_else(PoisonError::into_inner) = Some(result);
    };
    std::thread::scope(|scope| {
        // The calling thread is one of the workers rather than waiting for them.
        for _ in 1..threads {
            scope.spawn(work);
        }
        work();
    });
    slots
        .into_iter()
        .filter_map(|slot| slot.into_inner().unwrap_or_else(PoisonError::into_inner))
        .collect()
}

/// The CRD objects for `values`, checked and written once per process. They are built
/// in Rust (src/crds) and constant but for the control plane's namespace and version,
/// so every later render with the same [`crate::crds::key`] reuses them.
fn crd_files(values: &Values) -> Result<Arc<Vec<Checked>>> {
    static CACHE: crate::memo::Memo<String, Arc<Vec<Checked>>> = crate::memo::Memo::new(16);
    let selection = crate::crds::Selection {
        namespace: &values.linkerd.namespace,
        linkerd_version: &values.linkerd.version,
        multicluster: values.multicluster.enabled,
    };
    CACHE.get_or_try(crate::crds::key(&selection), || {
        let files: Result<Vec<Checked>> = crate::crds::all(&selection)
            .into_iter()
            .map(|crd| Checked::new(Manifest::from_json(crate::crds::BUNDLE, crate::crds::ORIGIN, crd)?))
            .collect();
        Ok(Arc::new(files?))
    })
}

impl Rendered {
    /// Files a checked object with its text; `origin` maps each output path to the
    /// template (or source) that produced it, so that two objects never share a file.
    fn file(&mut self, object: Checked, origin: &mut BTreeMap<String, String>) -> Result<()> {
        let Checked { manifest, path, text } = object;
        if let Some(first) = origin.insert(path.clone(), manifest.template.clone()) {
            return Err(Error::DuplicateObject {
                file: path,
                first,
                second: manifest.template.clone(),
            });
        }
        let tree = if manifest.is_private() {
            &mut self.secrets
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
        let size = crate::api_rules::annotations_size(
            annotations
                .iter()
                .map(|(k, v)| (k.as_str(), v.as_str().unwrap_or_default())),
        );
        if size > crate::api_rules::ANNOTATIONS_MAX_BYTES {
            return Err(Error::Schema {
                object: manifest.id(),
                path: format!("{}.annotations", at.trim_start_matches('/').replace('/', ".")),
                message: format!(
                    "the annotations total {size} bytes, keys and values included; the API server takes at most {}",
                    crate::api_rules::ANNOTATIONS_MAX_BYTES
                ),
            });
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::check_annotation_size;

    /// The block reader (`crate::yaml::block`) takes every template's output, on the
    /// default values and on every test configuration, and reads it exactly as
    /// serde-saphyr does; a template that makes it step aside costs the render time.
    #[test]
    fn template_output_takes_the_block_reader_and_reads_as_serde_saphyr_does() {
        let root = camino::Utf8PathBuf::from(env!("CARGO_MANIFEST_DIR"));
        let certs = crate::CertStore::load(&root.join("tests/fixtures/store")).expect("the test store");
        let templates = crate::TemplateSet::embedded();
        let env = templates.environment().expect("templates parse");
        let mut configs: Vec<_> = std::fs::read_dir(root.join("tests/configs"))
            .expect("tests/configs")
            .map(|e| e.expect("entry").path())
            .collect();
        configs.sort();
        let (mut checked, mut aside) = (0, Vec::new());
        for config in std::iter::once(None).chain(configs.iter().map(Some)) {
            let overlays: Vec<crate::ValuesSource> = config
                .iter()
                .map(|p| crate::ValuesSource::new(p.display().to_string(), std::fs::read_to_string(p).expect("read")))
                .collect();
            let values = crate::Values::with_overlays(&overlays).expect("values");
            let Ok(context) = crate::bundles::Context::new(&values, &certs) else {
                continue;
            };
            let context = minijinja::Value::from(minijinja::value::Serde(context));
            for file in templates.object_templates() {
                let bundle = file.name.split_once('/').map_or("", |(b, _)| b);
                if !crate::bundles::is_rendered(bundle, &values) {
                    continue;
                }
                let text = env
                    .get_template(&file.name)
                    .and_then(|t| t.render(&context))
                    .expect("renders");
                let slow: Vec<serde_json::Value> = serde_saphyr::from_multiple(&text).expect("valid YAML");
                let slow: Vec<_> = slow.into_iter().filter(|d| !d.is_null()).collect();
                match crate::yaml::block::parse_stream(&text) {
                    Some(fast) => assert!(fast == slow, "{} with {config:?} reads otherwise", file.name),
                    None => aside.push(format!("{} with {config:?}", file.name)),
                }
                checked += 1;
            }
        }
        assert!(checked > 200, "only {checked} template renders were compared");
        assert!(
            aside.is_empty(),
            "the block reader stepped aside for:\n{}",
            aside.join("\n")
        );
    }

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
        assert!(check_annotation_size(&manifest(crate::api_rules::ANNOTATIONS_MAX_BYTES - 1)).is_ok());
        let err = check_annotation_size(&manifest(crate::api_rules::ANNOTATIONS_MAX_BYTES))
            .expect_err("one byte over")
            .to_string();
        assert!(err.contains("`spec.template.metadata.annotations`"), "{err}");
        assert!(err.contains("help:"), "{err}");
    }
}
