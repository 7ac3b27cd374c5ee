//! [`Renderer`]: the one entry point for tooling that renders meshgen's system. It
//! gathers the defaults, overlays, `--set` assignments and a certificate store, and
//! returns an [`Output`] that can be written, checked against a directory, diffed,
//! streamed in apply order or inspected object by object.

use camino::Utf8Path;

use crate::certs::{time::OffsetDateTime, CertStore, Warning};
use crate::error::{Error, Result};
use crate::impact::{self, Impact};
use crate::manifest::{Manifest, HEADER};
use crate::output::{self, Change, Tree};
use crate::render::{render, Rendered};
use crate::sealing;
use crate::templates::TemplateSet;
use crate::values::{Values, ValuesSource};

/// Builds a render: the default values, then overlays and assignments in the order
/// they are added (later ones win), a certificate store, and the templates.
///
/// ```
/// # let certs = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/store");
/// use meshgen::{certs::time::OffsetDateTime, Renderer};
///
/// let output = Renderer::new()
///     .values_text("prod.yaml", "dgraph: {alpha: {replicas: 5}}")
///     .set("dgraph.release=prod")?
///     .certs_dir(certs.into())?
///     .render(OffsetDateTime::now_utc())?;
/// let alpha = output.objects().find(|m| m.kind == "StatefulSet" && m.name == "prod-dgraph-alpha");
/// assert_eq!(alpha.map(|m| &m.body["spec"]["replicas"]), Some(&5.into()));
/// # Ok::<(), meshgen::Error>(())
/// ```
#[derive(Debug, Clone)]
pub struct Renderer {
    defaults: ValuesSource,
    overlays: Vec<ValuesSource>,
    templates: TemplateSet,
    certs: Option<CertStore>,
    /// The cluster's name when a fleet renders it (see [`Self::in_fleet`]).
    cluster: Option<String>,
}

impl Default for Renderer {
    fn default() -> Self {
        Self::new()
    }
}

impl Renderer {
    /// The defaults and templates compiled into this build of meshgen.
    pub fn new() -> Self {
        Self {
            defaults: ValuesSource::defaults(),
            overlays: Vec::new(),
            templates: TemplateSet::embedded(),
            certs: None,
            cluster: None,
        }
    }

    /// The defaults (`values/default.yaml`) and templates (`templates/`) of a meshgen
    /// checkout, read now rather than compiled in, so that a binary built elsewhere
    /// renders this checkout's files.
    pub fn from_checkout(root: &Utf8Path) -> Result<Self> {
        let defaults = ValuesSource::read(&root.join("values/default.yaml"))?;
        Ok(Self {
            defaults: ValuesSource {
                name: "values/default.yaml".into(),
                text: defaults.text,
            },
            overlays: Vec::new(),
            templates: TemplateSet::from_dir(&root.join("templates"))?,
            certs: None,
            cluster: None,
        })
    }

    /// Merges a values file on top of what is there.
    pub fn values_file(mut self, path: &Utf8Path) -> Result<Self> {
        self.overlays.push(ValuesSource::read(path)?);
        Ok(self)
    }

    /// Merges a values document on top of what is there.
    pub fn values_source(mut self, source: ValuesSource) -> Self {
        self.overlays.push(source);
        self
    }

    /// Merges values given as YAML text, reported as `name` in errors.
    pub fn values_text(mut self, name: &str, text: &str) -> Self {
        self.overlays.push(ValuesSource::new(name, text));
        self
    }

    /// Sets one key, as `--set path.to.key=value` does: the value is read as YAML,
    /// and `\.` is a dot inside a key.
    pub fn set(mut self, assignment: &str) -> Result<Self> {
        self.overlays.push(crate::values::assignment(assignment)?);
        Ok(self)
    }

    /// Renders with these templates instead.
    pub fn templates(mut self, templates: TemplateSet) -> Self {
        self.templates = templates;
        self
    }

    /// Uses this certificate store.
    pub fn certs(mut self, store: CertStore) -> Self {
        self.certs = Some(store);
        self
    }

    /// Renders cluster `name` of a fleet: the GitOps wiring then names its objects and
    /// their destination after it.
    pub(crate) fn in_fleet(mut self, name: &str) -> Self {
        self.cluster = Some(name.to_string());
        self
    }

    /// Loads the certificate store in `dir` (public certificates and, where present,
    /// private keys) and uses it.
    pub fn certs_dir(self, dir: &Utf8Path) -> Result<Self> {
        Ok(self.certs(crate::load_certs(dir)?))
    }

    /// The merged, validated values.
    pub fn values(&self) -> Result<Values> {
        let mut sources = vec![self.defaults.clone()];
        sources.extend(self.overlays.iter().cloned());
        Values::from_sources(&sources)
    }

    /// The `linkerd-trust-anchor` Secret for these values and this store; see
    /// [`trust_anchor_secret`].
    pub fn trust_anchor_secret(&self) -> Result<(String, String)> {
        let certs = self.certs.as_ref().ok_or_else(|| Error::Certs {
            message: "no certificate store was given".into(),
            help: "call Renderer::certs or Renderer::certs_dir first".into(),
            source: None,
        })?;
        trust_anchor_secret(&self.values()?, certs)
    }

    /// Checks the values and the certificates (their validity at `now`: the library
    /// reads no clock), then renders and checks every object. Nothing is written.
    pub fn render(&self, now: OffsetDateTime) -> Result<Output> {
        let values = self.values()?;
        let certs = self.certs.as_ref().ok_or_else(|| Error::Certs {
            message: "no certificate store was given".into(),
            help: "call Renderer::certs or Renderer::certs_dir before rendering".into(),
            source: None,
        })?;
        // The certificate check (signatures, chains) needs nothing from the render, so
        // it runs alongside; its error, if any, is still the one reported.
        let (report, rendered) = std::thread::scope(|scope| {
            let checking = scope.spawn(|| crate::check_certs(certs, now));
            let rendered = render(&values, certs, &self.templates, self.cluster.as_deref());
            let report = checking.join().unwrap_or_else(|panic| std::panic::resume_unwind(panic));
            (report, rendered)
        });
        let (report, rendered) = (report?, rendered?);
        let sealing = match values.secrets.sops.enabled() {
            true => Some(sealing_plan(&values, &rendered, certs, now)?),
            false => None,
        };
        let mut output = Output::new(values, rendered, report.warnings);
        output.certs_dir = Some(certs.dir().to_owned());
        output.sealing = sealing;
        Ok(output)
    }
}

/// The Secrets to seal (`secrets.sops`): every Secret of the render, those whose keys
/// are not on this machine without their plaintext, and with cert-manager the trust
/// anchor's Secret, which its CA Issuer reads.
fn sealing_plan(values: &Values, rendered: &Rendered, certs: &CertStore, now: OffsetDateTime) -> Result<sealing::Plan> {
    let mut secrets: Vec<sealing::Candidate> = (rendered.manifests.iter())
        .filter(|m| m.is_private())
        .map(|m| sealing::Candidate::new(&m.bundle, &m.name, Some((*m.body).clone())))
        .collect();
    let skipped = rendered.skipped_secrets.iter();
    secrets.extend(skipped.map(|s| sealing::Candidate::new(&s.bundle, s.name(), None)));
    // The Links' credentials hold a token that only the live target knows: a render
    // never has it, and keeps what `fleet credentials` sealed.
    if values.multicluster.enabled {
        let mc = &values.multicluster;
        let targets: std::collections::BTreeSet<&str> = (mc.controllers.iter().map(|c| c.target()))
            .chain(mc.links.iter().map(|l| l.target.as_str()))
            .collect();
        for target in targets {
            let name = crate::bundles::multicluster::credentials_secret_name(target);
            for bundle in [crate::bundles::multicluster::BUNDLE, "linkerd"] {
                secrets.push(sealing::Candidate::credentials(bundle, &name));
            }
        }
    }
    if values.cert_manager.enabled {
        let anchor = trust_anchor_manifest(values, certs);
        let name = crate::bundles::cert_manager::TRUST_ANCHOR_SECRET;
        secrets.push(sealing::Candidate::new(
            "linkerd",
            name,
            anchor.ok().map(|m| (*m.body).clone()),
        ));
    }
    Ok(sealing::Plan {
        recipients: values.secrets.sops.age_recipients.clone(),
        lastmodified: sealing::lastmodified(now)?,
        secrets,
    })
}

/// The `linkerd-trust-anchor` Secret that cert-manager's CA Issuer reads to sign the
/// identity issuer (`certManager.enabled`): the trust anchor's certificate and key from
/// `certs` (in a fleet, the fleet's anchor), in the Linkerd namespace of `values`, as
/// `(path below secrets/, file text)`. The key is `ca.key`, so this is for the machine
/// that holds it; the Secret goes to `secrets/`, never to `generated/`.
pub fn trust_anchor_secret(values: &Values, certs: &CertStore) -> Result<(String, String)> {
    let manifest = trust_anchor_manifest(values, certs)?;
    Ok((format!("trust-anchor/{}", manifest.file_name()), manifest.to_file()))
}

/// The `linkerd-trust-anchor` Secret as an object, checked; see [`trust_anchor_secret`].
fn trust_anchor_manifest(values: &Values, certs: &CertStore) -> Result<Manifest> {
    let missing = |e: crate::certs::CertError| {
        Error::Certs {
        message: e.to_string(),
        help: "the trust anchor's key is in the certificate store only on the machine that minted it; run this there, or mint a new anchor with `cargo xtask certs init --force`".into(),
        source: Some(Box::new(crate::error::CertsSource::Certificates(vec![e]))),
    }
    };
    let crt = certs
        .require("ca.crt", crate::certs::Role::TrustAnchor)
        .map_err(missing)?;
    let key = certs
        .require("ca.key", crate::certs::Role::TrustAnchorKey)
        .map_err(missing)?;
    let b64 = |pem: &str| <base64ct::Base64 as base64ct::Encoding>::encode_string(pem.trim().as_bytes());
    let namespace = &values.linkerd.namespace;
    let body = serde_json::json!({
        "apiVersion": "v1",
        "kind": "Secret",
        "metadata": {
            "name": crate::bundles::cert_manager::TRUST_ANCHOR_SECRET,
            "namespace": namespace,
            "labels": {"linkerd.io/control-plane-ns": namespace},
        },
        "type": "kubernetes.io/tls",
        "data": {"tls.crt": b64(crt.text), "tls.key": b64(key.text)},
    });
    let manifest = Manifest::from_json("linkerd", "src/renderer.rs", body)?;
    crate::validate::object(&manifest)?;
    Ok(manifest)
}

/// A finished render: every object checked, nothing written yet.
#[derive(Debug, Clone)]
pub struct Output {
    values: Values,
    rendered: Rendered,
    generated: Tree,
    secrets: Option<Tree>,
    warnings: Vec<Warning>,
    /// The certificate store rendered from: no output may overlap it.
    certs_dir: Option<camino::Utf8PathBuf>,
    /// Whether a write may go ahead with changes the API server refuses to update.
    replacements_allowed: bool,
    /// The Secrets to seal for git, with `secrets.sops`.
    sealing: Option<sealing::Plan>,
    /// The sealed files for the one output directory this output was compared with or
    /// written to, sealed once: the impact, the check and the write then name and write
    /// the same bytes, and nothing is sealed twice.
    sealed_at: std::sync::OnceLock<(camino::Utf8PathBuf, std::sync::Arc<sealing::Sealed>)>,
}

/// What [`Output::write`] changed.
#[derive(Debug, Clone)]
pub struct WriteReport {
    /// Number of files in the generated tree, lock file included.
    pub files: usize,
    /// The changes to the generated tree; empty when it was up to date.
    pub generated: Vec<Change>,
    /// The changes to the secrets tree; `None` when the render has no Secret, so the
    /// secrets directory was left alone.
    pub secrets: Option<Vec<Change>>,
}

impl Output {
    pub(crate) fn new(values: Values, mut rendered: Rendered, warnings: Vec<Warning>) -> Self {
        // The trees take the file texts; `rendered` keeps the objects.
        let files = std::mem::take(&mut rendered.files);
        let secrets = std::mem::take(&mut rendered.secrets);
        // With cert-manager no Secret is meshgen's: the tree is written empty, so that
        // the issuer's and the webhooks' Secrets of an earlier render go. Otherwise an
        // empty tree (no key on this machine) leaves the directory alone.
        let secrets_tree = !secrets.is_empty() || values.cert_manager.enabled;
        Self {
            generated: Tree::public(files),
            secrets: secrets_tree.then(|| Tree::private(secrets)),
            values,
            rendered,
            warnings,
            certs_dir: None,
            replacements_allowed: false,
            sealing: None,
            sealed_at: std::sync::OnceLock::new(),
        }
    }

    /// The same output, allowed to be written even where it changes a field that the
    /// API server refuses to update (`--allow-replace`): the objects concerned must
    /// then be replaced, as [`Impact::replaced`] lists.
    #[must_use]
    pub fn allowing_replacements(mut self) -> Self {
        self.replacements_allowed = true;
        self
    }

    /// What applying this render would do to the cluster that runs what `out` holds:
    /// the pods replaced and why, the objects created and deleted, the refused changes
    /// (replace, not update), and the Secrets of `secrets_out` that changed. A CI job
    /// can post it on a pull request.
    pub fn impact(&self, out: &Utf8Path, secrets_out: &Utf8Path) -> Result<Impact> {
        let generated = self.tree_at(out)?;
        let old = impact::on_disk(out, &generated)?;
        if old.is_empty() {
            // The first render into `out`: the file list already names every object.
            return Ok(Impact::default());
        }
        let new: Vec<&Manifest> = self.objects().collect();
        let mut found = impact::compare(&old, &new);
        found.sealed = (output::changes(out, &generated)?.into_iter())
            .map(|c| c.path().to_string())
            .filter(|path| sealing::is_sealed_secret(path))
            .collect();
        found.secrets = (self.check_secrets(secrets_out)?.into_iter().flatten())
            .map(|c| c.path().to_string())
            .filter(|path| path != output::LOCK_FILE)
            .collect();
        Ok(found)
    }

    /// The values it was rendered from.
    pub fn values(&self) -> &Values {
        &self.values
    }

    /// Every object of `generated/`, in apply order, and the GitOps wiring's objects
    /// (`gitops.engine`) after them.
    pub fn objects(&self) -> impl Iterator<Item = &Manifest> {
        self.rendered.manifests.iter().filter(|m| !m.is_private())
    }

    /// Every Secret holding key material (the `secrets/` tree), in apply order.
    pub fn secret_objects(&self) -> impl Iterator<Item = &Manifest> {
        self.rendered.manifests.iter().filter(|m| m.is_private())
    }

    /// The files of `generated/`. With `secrets.sops`, the sealed Secrets are not among
    /// them: which are kept and which sealed anew depends on the directory written to,
    /// so [`Self::generated_at`] has them.
    pub fn generated(&self) -> &Tree {
        &self.generated
    }

    /// The files a write to `out` puts there: [`Self::generated`], and with
    /// `secrets.sops` the sealed Secrets, each kept as `out` has it where it seals the
    /// same Secret to the same recipients (or where this machine lacks the Secret's
    /// key), sealed anew otherwise, with the kustomizations that list them.
    pub fn generated_at(&self, out: &Utf8Path) -> Result<Tree> {
        Ok(self.tree_at(out)?.into_owned())
    }

    /// The sealed Secrets (`secrets.sops`) this machine cannot bring up to date in `out`,
    /// for want of their keys, each as `<path>: <why>`: one that the values call for
    /// but `out` lacks, or one kept although it is sealed to other recipients.
    pub fn unsealed(&self, out: &Utf8Path) -> Result<Vec<String>> {
        Ok(self.sealed(out)?.map(|s| s.unsealed.clone()).unwrap_or_default())
    }

    /// The sealed files for `out` (see [`sealing::files`]); `None` without `secrets.sops`.
    fn sealed(&self, out: &Utf8Path) -> Result<Option<std::sync::Arc<sealing::Sealed>>> {
        let Some(plan) = &self.sealing else {
            return Ok(None);
        };
        if let Some((dir, sealed)) = self.sealed_at.get() {
            if dir == out {
                return Ok(Some(sealed.clone()));
            }
        }
        output::guard::check_tree(out)?;
        let sealed = std::sync::Arc::new(sealing::files(plan, out)?);
        let _ = self.sealed_at.set((out.to_owned(), sealed.clone()));
        Ok(Some(sealed))
    }

    /// [`Self::generated_at`], borrowed when nothing is sealed.
    fn tree_at(&self, out: &Utf8Path) -> Result<std::borrow::Cow<'_, Tree>> {
        let Some(sealed) = self.sealed(out)? else {
            return Ok(std::borrow::Cow::Borrowed(&self.generated));
        };
        let sealed = &sealed.files;
        let mut per_bundle: std::collections::BTreeMap<String, Vec<String>> = Default::default();
        for path in sealed.keys() {
            if let Some((bundle, local)) = path.split_once('/') {
                per_bundle
                    .entry(bundle.to_string())
                    .or_default()
                    .push(local.to_string());
            }
        }
        let ksops = self.values.gitops.engine == crate::values::gitops::Engine::Argocd;
        let manifests = &self.rendered.manifests;
        let mut files = self.generated.files.clone();
        files.extend(crate::kustomize::sealed_files(manifests, &per_bundle, ksops));
        files.extend(sealed.iter().map(|(p, t)| (p.clone(), t.clone())));
        let mut tree = Tree::public(files);
        tree.keep_clusters = self.generated.keep_clusters.clone();
        Ok(std::borrow::Cow::Owned(tree))
    }

    /// The files of `secrets/`; `None` when nothing holds a key.
    pub fn secrets(&self) -> Option<&Tree> {
        self.secrets.as_ref()
    }

    /// Certificate warnings, such as one expiring within 60 days.
    pub fn warnings(&self) -> &[Warning] {
        &self.warnings
    }

    /// The Secrets left out because their private keys are absent here.
    pub fn skipped_secrets(&self) -> &[crate::bundles::SkippedSecret] {
        &self.rendered.skipped_secrets
    }

    /// Every object as one multi-document YAML stream in apply order, for
    /// `kubectl apply -f -`. With `with_secrets`, the Secrets of `secrets/` are placed
    /// at their turn in the order; they hold private keys, so never store the stream.
    /// The GitOps wiring is left out: it needs its engine's CRDs, and it is what
    /// applies the bundles when a stream is not.
    pub fn stream(&self, with_secrets: bool) -> String {
        let mut out = String::from(HEADER);
        for m in &self.rendered.manifests {
            if (m.is_private() && !with_secrets) || m.bundle == crate::gitops::DIR {
                continue;
            }
            out.push_str("---\n");
            out.push_str(&crate::yaml::to_canonical(&m.body));
        }
        out
    }

    /// Writes `generated/` to `out` and, when anything holds a key, `secrets/` to
    /// `secrets_out`, each replaced atomically and durably. Files meshgen did not write
    /// are kept. Refused before anything is written: two trees that overlap each other
    /// or the certificate store, a symbolic link in either, a directory holding `.git`.
    ///
    /// A change that the API server refuses to update (a StatefulSet's
    /// `volumeClaimTemplates`, a Deployment's selector, ...) fails the write, naming the
    /// object, the field and the safe procedure, unless [`Self::allowing_replacements`].
    pub fn write(&self, out: &Utf8Path, secrets_out: &Utf8Path) -> Result<WriteReport> {
        self.check_placement(out, secrets_out)?;
        let tree = self.tree_at(out)?;
        if !self.replacements_allowed {
            self.refuse_replacements(out, &tree)?;
        }
        let generated = output::write(out, &tree)?;
        let secrets = match &self.secrets {
            Some(tree) => Some(output::write(secrets_out, tree)?),
            None => None,
        };
        Ok(WriteReport {
            files: tree.files.len(),
            generated,
            secrets,
        })
    }

    /// Fails on the first change to `out` that the API server would refuse.
    fn refuse_replacements(&self, out: &Utf8Path, generated: &Tree) -> Result<()> {
        if output::changes(out, generated)?.is_empty() {
            return Ok(());
        }
        let old = impact::on_disk(out, generated)?;
        let new: Vec<&Manifest> = self.objects().collect();
        let refused = impact::compare(&old, &new).replaced;
        match refused.first() {
            None => Ok(()),
            Some(first) => Err(Error::Immutable {
                object: first.object.clone(),
                field: first.field.clone(),
                others: refused.len() - 1,
                help: first.procedure.clone(),
            }),
        }
    }

    /// Whether [`Self::write`] may write to `out` and `secrets_out`: the checks it
    /// makes before writing anything.
    pub fn check_placement(&self, out: &Utf8Path, secrets_out: &Utf8Path) -> Result<()> {
        output::guard::check_placement(out, secrets_out, self.certs_dir.as_deref())?;
        output::guard::check_tree(out)?;
        output::guard::check_tree(secrets_out)
    }

    /// What writing would change in `out`, the generated tree; empty when `out` is
    /// up to date.
    pub fn check(&self, out: &Utf8Path) -> Result<Vec<Change>> {
        output::changes(out, &*self.tree_at(out)?)
    }

    /// What writing would change in `secrets_out`; `None` when this render has no
    /// Secret (no keys on this machine). A write that stopped between the two trees
    /// leaves one of them out of date, and this is how it shows.
    pub fn check_secrets(&self, secrets_out: &Utf8Path) -> Result<Option<Vec<Change>>> {
        self.secrets
            .as_ref()
            .map(|tree| output::changes(secrets_out, tree))
            .transpose()
    }

    /// A unified diff of `out` against this render, headed `a/<shown>/...` and
    /// `b/<shown>/...` so that `git apply` and `patch -p1` take it; coloured if `color`.
    pub fn diff(&self, out: &Utf8Path, shown: &str, color: bool) -> Result<String> {
        output::diff(out, &*self.tree_at(out)?, shown, color)
    }
}
