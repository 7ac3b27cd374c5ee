//! Typed values: `values/default.yaml` plus overlays, merged, deserialised with
//! unknown keys rejected, then validated. Every error names the file that set the
//! offending key and its dotted path.

pub mod cert_manager;
pub mod dgraph;
pub mod gitops;
mod image;
pub mod link;
pub mod linkerd;
pub mod multicluster;
pub mod pydgraph_client;
pub mod secrets;
pub mod service_profile;
mod set;
pub mod tracing;
pub mod traffic;
pub mod viz;

use std::sync::Arc;

use camino::Utf8Path;
use serde::{Deserialize, Serialize};
use serde_json::Value as Json;

use crate::api_rules;
use crate::error::{Error, Result};
use crate::yaml;

pub use image::{Image, PullPolicy};
pub(crate) use set::assignment;

/// The file, at the top of the checkout, that [`schema_json`] is written to.
pub const SCHEMA_FILE: &str = "values.schema.json";

/// The JSON schema of a values overlay, derived from the [`Values`] types: editors that
/// read it (through a `# yaml-language-server: $schema=` line) complete keys and flag
/// unknown ones. Every key is optional, since an overlay sets only what it changes.
pub fn schema_json() -> String {
    let mut schema = serde_json::to_value(schemars::schema_for!(Values)).unwrap_or_default();
    drop_required(&mut schema);
    if let Some(top) = schema.as_object_mut() {
        top.insert("title".into(), "meshgen values overlay".into());
    }
    let mut text = serde_json::to_string_pretty(&schema).unwrap_or_default();
    text.push('\n');
    text
}

/// Removes every `required` list: the merged values need every key, an overlay none.
fn drop_required(node: &mut Json) {
    match node {
        Json::Object(map) => {
            map.remove("required");
            map.values_mut().for_each(drop_required);
        }
        Json::Array(items) => items.iter_mut().for_each(drop_required),
        _ => {}
    }
}

/// Everything meshgen renders is a function of these values (and, later, the certificates).
#[derive(Debug, Clone, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Values {
    /// The cluster's DNS domain, as configured in kubelet (`--cluster-domain`).
    pub cluster_domain: String,
    /// Which source set which key, so that checks made after loading (against the
    /// certificates, say) still name the file to fix.
    #[serde(skip)]
    #[schemars(skip)]
    origins: Origins,
    /// The Linkerd CRDs and control plane.
    pub linkerd: linkerd::Linkerd,
    /// The Linkerd viz extension.
    pub viz: viz::Viz,
    /// The Linkerd multicluster extension (off by default).
    pub multicluster: multicluster::Multicluster,
    /// The Dgraph cluster: Zero and Alpha StatefulSets.
    pub dgraph: dgraph::Dgraph,
    /// The Jaeger collector, and where the control plane sends its spans.
    pub tracing: tracing::Tracing,
    /// The pydgraph test client.
    pub pydgraph_client: pydgraph_client::PydgraphClient,
    /// cert-manager renews the identity issuer and the webhook certificates (off by
    /// default).
    pub cert_manager: cert_manager::CertManager,
    /// The GitOps engine that applies the output (none by default).
    pub gitops: gitops::Gitops,
    /// How the Secrets that hold key material reach the cluster besides `secrets/`.
    pub secrets: secrets::Secrets,
}

/// The parsed sources, in merge order.
#[derive(Debug, Clone, Default)]
struct Origins(Vec<(String, Arc<Json>)>);

/// One values document and the name it is reported under.
#[derive(Debug, Clone)]
pub struct ValuesSource {
    /// How errors name it: a file path, or `--set path.to.key`.
    pub name: String,
    /// The YAML text.
    pub text: String,
}

impl ValuesSource {
    /// `values/default.yaml` as compiled into meshgen.
    pub fn defaults() -> Self {
        Self {
            name: "values/default.yaml".into(),
            text: crate::DEFAULT_VALUES.into(),
        }
    }

    /// A values document held in memory, reported as `name`.
    pub fn new(name: impl Into<String>, text: impl Into<String>) -> Self {
        Self {
            name: name.into(),
            text: text.into(),
        }
    }

    /// Reads a values file; errors name it as `path` is written.
    pub fn read(path: &Utf8Path) -> Result<Self> {
        let text = std::fs::read_to_string(path).map_err(|e| Error::io(path, "cannot read values file", e))?;
        Ok(Self {
            name: path.to_string(),
            text,
        })
    }
}

impl Values {
    /// The default values, as shipped in `values/default.yaml`.
    pub fn defaults() -> Result<Self> {
        Self::with_overlays(&[])
    }

    /// The default values with `overlays` merged on top, in order.
    pub fn with_overlays(overlays: &[ValuesSource]) -> Result<Self> {
        let mut sources = vec![ValuesSource::defaults()];
        sources.extend_from_slice(overlays);
        Self::from_sources(&sources)
    }

    /// Exactly `sources`, without the defaults: the first is the base and each later
    /// one an overlay. Merges in order (maps merge deeply; lists and scalars replace), then
    /// deserialises and validates the result.
    pub fn from_sources(sources: &[ValuesSource]) -> Result<Self> {
        let trees = sources
            .iter()
            .map(|s| parse_tree(s).map(|tree| (s.name.clone(), tree)))
            .collect::<Result<Vec<_>>>()?;
        let mut merged = Json::Object(Default::default());
        for (_, tree) in &trees {
            merge(&mut merged, tree);
        }
        let mut values: Values = crate::located::deserialize(&merged).map_err(|e| {
            let path = e.path().to_string();
            // serde names Rust types; a values author thinks in YAML.
            let message = e
                .inner()
                .to_string()
                .replace("expected u32", "expected a whole number")
                .replace("expected u16", "expected a port number");
            let help = if message.starts_with("invalid type: boolean") {
                "YAML reads on/off/yes/no/true/false as booleans; quote the value, e.g. \"on\"".to_string()
            } else if path.starts_with("multicluster.controllers[") && message.contains("untagged enum") {
                multicluster::CONTROLLER_FORMS.to_string()
            } else if let Some(moved) = moved_key(&path) {
                moved.to_string()
            } else if message.starts_with("unknown field") {
                "remove the key or fix its spelling; the allowed keys are listed above".to_string()
            } else if message.starts_with("invalid value: integer") {
                "the number is out of range for this key; give a value like the one in values/default.yaml".to_string()
            } else if message.starts_with("missing field") {
                "add the key; values/default.yaml shows every key with its default".to_string()
            } else {
                "give a value of the type shown in values/default.yaml".to_string()
            };
            Error::Values {
                file: blame(&trees, &path),
                path,
                message,
                help,
            }
        })?;
        values.origins = Origins(trees);
        // One switch: with cert-manager, the issuer's Secret is cert-manager's.
        if values.cert_manager.enabled {
            values.linkerd.identity.issuer.scheme = linkerd::IssuerScheme::KubernetesTls;
        }
        let mut problems = Problems::default();
        values.validate(&mut problems);
        match problems.0.into_iter().next() {
            None => Ok(values),
            Some((path, message, help)) => Err(values.error(&path, &message, &help)),
        }
    }

    /// An error about the key at dotted `path`, naming the values file that set it.
    pub(crate) fn error(&self, path: &str, message: &str, help: &str) -> Error {
        Error::Values {
            file: blame(&self.origins.0, path),
            path: path.to_string(),
            message: message.to_string(),
            help: help.to_string(),
        }
    }

    /// Values that templates write into labels, as (key, label, value as rendered).
    /// Labels have a stricter grammar than an image tag (63 characters, not 128), and
    /// the API server rejects the object, not the value, so each is checked here and
    /// blamed on its key. Pod label maps are checked where they are set; namespaces
    /// and `dgraph.release` become labels too (`name`, `release`,
    /// `linkerd.io/control-plane-ns`, ...), but their own check, a DNS label, is
    /// stricter than a label value, so it is theirs that speaks.
    fn rendered_labels(&self) -> Vec<(&'static str, &'static str, String)> {
        let (l, d, t) = (&self.linkerd, &self.dgraph, &self.tracing);
        vec![
            ("dgraph.image.tag", "app.kubernetes.io/version", d.image.tag.clone()),
            ("linkerd.version", "app.kubernetes.io/version", l.version.clone()),
            ("linkerd.version", "linkerd.io/proxy-version", l.version.clone()),
            ("tracing.image.tag", "app.kubernetes.io/version", t.image.tag.clone()),
        ]
    }

    fn validate(&self, p: &mut Problems) {
        // First, so that a value that is also a malformed tag or name is reported
        // by what it breaks in the output: the label.
        for (key, label, value) in self.rendered_labels() {
            if let Err(help) = api_rules::label_value(&value) {
                p.add(
                    key,
                    &format!("becomes the label `{label}: {value:?}`, which is not a valid label value"),
                    &help,
                );
            }
        }
        p.check("clusterDomain", api_rules::dns_subdomain(&self.cluster_domain));
        self.linkerd.validate(p);
        let taken = [
            ("linkerd.namespace", self.linkerd.namespace.as_str()),
            ("dgraph.namespace", self.dgraph.namespace.as_str()),
        ];
        self.viz.validate(p, &taken);
        let mut mc_taken = taken.to_vec();
        mc_taken.push(("viz.namespace", self.viz.namespace.as_str()));
        mc_taken.push(("tracing.namespace", self.tracing.namespace.as_str()));
        self.multicluster.validate(p, &mc_taken);
        self.dgraph.validate(p);
        let exported = self.dgraph.export.mode == traffic::ExportMode::Gateway;
        if exported && !(self.multicluster.enabled && self.multicluster.gateway.enabled) {
            p.add(
                "dgraph.export.mode",
                "is gateway, but this cluster renders no multicluster gateway",
                "set multicluster.enabled and multicluster.gateway.enabled to true, or export pod to pod (remote-discovery or federated)",
            );
        }
        self.pydgraph_client.validate(&taken, p);
        self.tracing.validate(p);
        self.cert_manager.validate(p);
        self.gitops.validate(p);
        self.secrets.validate(p);
        let ns = &self.tracing.namespace;
        if [&self.linkerd.namespace, &self.dgraph.namespace].contains(&ns) {
            p.add(
                "tracing.namespace",
                &format!("`{ns}` is already another bundle's namespace"),
                "give the collector a namespace of its own, such as linkerd-jaeger: each bundle renders and labels its Namespace",
            );
        }
    }
}

/// A resource quantity must parse and must not be negative.
fn check_amount(p: &mut Problems, path: &str, amount: &str) {
    match api_rules::quantity_value(amount) {
        Err(help) => p.add(path, "is not valid", &help),
        Ok(v) if v < 0.0 => p.add(
            path,
            &format!("`{amount}` is negative"),
            "requests and limits are amounts of a resource: give 0 or more, such as 100m or 256Mi",
        ),
        Ok(_) => {}
    }
}

/// A limit below its request is refused by the API server: the container could
/// never be given what the scheduler reserved for it.
fn check_limit(p: &mut Problems, path: &str, request: &str, limit: &str, request_path: &str) {
    if let (Ok(r), Ok(l)) = (api_rules::quantity_value(request), api_rules::quantity_value(limit)) {
        if l < r {
            p.add(
                path,
                &format!("the limit `{limit}` is below its request `{request}` (`{request_path}`)"),
                "raise the limit to at least the request, or lower the request",
            );
        }
    }
}

/// A volume size: a quantity greater than zero.
fn check_size(p: &mut Problems, path: &str, size: &str) {
    match api_rules::quantity_value(size) {
        Err(help) => p.add(path, "is not valid", &help),
        Ok(v) if v <= 0.0 => p.add(
            path,
            &format!("`{size}` is not a size a volume can have"),
            "give the claim a size greater than zero, such as 10Gi",
        ),
        Ok(_) => {}
    }
}

/// `<registry>/<repository>:<tag>`, each part under its own key (`at.registry`, ...),
/// then the reference as a container's `image` gets it, for its total length.
/// An empty registry means an image already on the nodes: `<repository>:<tag>`.
fn check_image(p: &mut Problems, at: &str, registry: &str, repository: &str, tag: &str) {
    let registry_ok = registry.is_empty() || api_rules::image_registry(registry).is_ok();
    if !registry.is_empty() {
        p.check(&format!("{at}.registry"), api_rules::image_registry(registry));
    }
    let repository_ok = api_rules::image_path(repository).is_ok();
    p.check(&format!("{at}.repository"), api_rules::image_path(repository));
    p.check(&format!("{at}.tag"), api_rules::image_tag(tag));
    if registry_ok && repository_ok {
        let reference = match registry {
            "" => format!("{repository}:{tag}"),
            r => format!("{r}/{repository}:{tag}"),
        };
        if api_rules::image_reference(&reference).is_err() {
            p.add(
                &format!("{at}.repository"),
                &format!("makes the image name `{reference}`, longer than the 255 characters a registry accepts"),
                "shorten the registry or the repository",
            );
        }
    }
}

/// Keys that moved, with where they went: an old overlay gets a pointer, not just
/// "unknown field".
fn moved_key(path: &str) -> Option<&'static str> {
    match path {
        "linkerd.tracing" => Some(
            "tracing moved to the top-level `tracing:` section (enabled, namespace, serviceAccount, collector.service, ...); the control plane's collector address is derived from it",
        ),
        _ => None,
    }
}

/// `source` as a tree. The compiled-in defaults are the base of every render, and a
/// library caller, a benchmark or a fleet renders many times, so they are parsed once
/// per process (the parse was a fifth of a render's serial part).
fn parse_tree(source: &ValuesSource) -> Result<Arc<Json>> {
    static DEFAULTS: std::sync::OnceLock<Arc<Json>> = std::sync::OnceLock::new();
    if source.text != crate::DEFAULT_VALUES {
        return parse_tree_uncached(source).map(Arc::new);
    }
    if let Some(tree) = DEFAULTS.get() {
        return Ok(tree.clone());
    }
    let tree = Arc::new(parse_tree_uncached(source)?);
    Ok(DEFAULTS.get_or_init(|| tree).clone())
}

fn parse_tree_uncached(source: &ValuesSource) -> Result<Json> {
    let tree = yaml::parse_named(&source.text, &source.name).map_err(|e| Error::ValuesSyntax {
        file: source.name.clone(),
        message: e.message,
        help: e.help,
    })?;
    match tree {
        Json::Object(_) => Ok(tree),
        // An empty overlay file is harmless; treat it as no changes.
        Json::Null => Ok(Json::Object(Default::default())),
        _ => Err(Error::Values {
            file: source.name.clone(),
            path: "(top level)".into(),
            message: "is not a mapping".into(),
            help: "a values file is a YAML mapping of keys, like values/default.yaml".into(),
        }),
    }
}

/// Maps merge key by key; anything else in `overlay` replaces what `base` had.
fn merge(base: &mut Json, overlay: &Json) {
    match (base, overlay) {
        (Json::Object(b), Json::Object(o)) => {
            for (key, value) in o {
                match b.get_mut(key) {
                    Some(slot) => merge(slot, value),
                    None => {
                        b.insert(key.clone(), value.clone());
                    }
                }
            }
        }
        (slot, value) => *slot = value.clone(),
    }
}

/// The last file that sets the deepest existing prefix of `path` is the one to fix.
fn blame(trees: &[(String, Arc<Json>)], path: &str) -> String {
    let segments = split_path(path);
    let depth = |tree: &Json| {
        let mut node = tree;
        let mut depth = 0;
        for seg in &segments {
            let next = match seg {
                Segment::Key(k) => node.get(k.as_str()),
                Segment::Index(i) => node.get(*i),
            };
            match next {
                Some(n) => {
                    node = n;
                    depth += 1;
                }
                None => break,
            }
        }
        depth
    };
    let best = trees.iter().map(|(_, t)| depth(t)).max().unwrap_or(0);
    trees
        .iter()
        .rev()
        .find(|(_, t)| depth(t) == best)
        .map_or_else(|| "values".to_string(), |(name, _)| name.to_string())
}

enum Segment {
    Key(String),
    Index(usize),
}

/// Splits `a.b[2].c` into its keys and indices. A key that itself holds dots (a
/// label key such as `linkerd.io/inject`) splits wrongly, so `blame` stops at its
/// parent map, which the same file set.
fn split_path(path: &str) -> Vec<Segment> {
    let mut out = Vec::new();
    for part in path.split('.') {
        let mut rest = part;
        if let Some(i) = rest.find('[') {
            out.push(Segment::Key(rest[..i].to_string()));
            rest = &rest[i..];
            while let Some(end) = rest.find(']') {
                if let Ok(n) = rest[1..end].parse() {
                    out.push(Segment::Index(n));
                }
                rest = &rest[end + 1..];
            }
        } else if !rest.is_empty() {
            out.push(Segment::Key(rest.to_string()));
        }
    }
    out
}

/// Validation findings: (dotted path, what is wrong, what to do).
#[derive(Default)]
pub(crate) struct Problems(Vec<(String, String, String)>);

impl Problems {
    pub(crate) fn add(&mut self, path: &str, message: &str, help: &str) {
        self.0.push((path.to_string(), message.to_string(), help.to_string()));
    }

    pub(crate) fn check(&mut self, path: &str, result: Result<(), String>) {
        if let Err(help) = result {
            self.add(path, "is not valid", &help);
        }
    }

    pub(crate) fn non_empty(&mut self, path: &str, value: &str) {
        if value.trim().is_empty() {
            self.add(path, "is empty", "give a non-empty value");
        }
    }
}
