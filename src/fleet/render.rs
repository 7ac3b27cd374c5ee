//! Rendering a fleet: every cluster's values first (a Link needs its target's), then
//! each cluster rendered on its own thread, then the checks that span clusters. Each
//! cluster's output is an ordinary [`Output`], written to `<out>/clusters/<name>/`.

use std::collections::BTreeMap;

use camino::{Utf8Path, Utf8PathBuf};

use super::{Fleet, CLUSTERS_DIR};
use crate::certs::time::OffsetDateTime;
use crate::certs::CertStore;
use crate::error::{Error, Result};
use crate::impact::Impact;
use crate::output::Change;
use crate::output::Tree;
use crate::renderer::{Output, Renderer, WriteReport};
use crate::values::Values;

/// The rendered clusters of a fleet, in the fleet file's order.
#[derive(Debug, Clone)]
pub struct FleetOutput {
    clusters: Vec<(String, Output)>,
    /// Every cluster of the fleet, rendered or not (`--cluster` renders one): their
    /// trees stay when the top of the output is cleaned.
    names: Vec<String>,
}

impl Fleet {
    /// Cluster `name`'s values: `base` (defaults and templates) with the fleet's
    /// shared overlays and its own, before what the fleet derives (the Links), which
    /// changes no name a certificate carries.
    pub fn values(&self, base: &Renderer, name: &str) -> Result<Values> {
        self.cluster(name)?;
        self.renderer(base, self.index(name)).values()
    }

    /// `base` with cluster `c`'s overlays, and the multicluster extension switched on
    /// when a Link starts or ends there, so that its values can be checked as a whole.
    /// With a GitOps engine, `gitops.path` moves to the cluster's tree
    /// (`<gitops.path>/clusters/<name>`), where its bundles are in the repository.
    fn renderer(&self, base: &Renderer, c: usize) -> Renderer {
        let name = &self.clusters[c].name;
        let mut r = (self.clusters[c].overlays.iter()).fold(base.clone(), |r, source| r.values_source(source.clone()));
        if self.is_linked(c) {
            r = r.values_source(crate::ValuesSource::new(
                format!("{} (cluster {name} is linked)", self.file),
                r#"{"multicluster": {"enabled": true}}"#,
            ));
        }
        // Values that do not load get no such overlay: the error shows where the
        // caller loads them.
        if let Ok(values) = r.values() {
            if values.gitops.enabled() {
                let path = format!("{}/{CLUSTERS_DIR}/{name}", values.gitops.path);
                r = r.values_source(crate::ValuesSource::new(
                    format!("{} (cluster {name}'s folder)", self.file),
                    serde_json::json!({"gitops": {"path": path}}).to_string(),
                ));
            }
        }
        r.in_fleet(name)
    }

    /// Renders every cluster (or only `only`) with `base` (defaults and templates)
    /// plus the fleet's overlays, each with its own certificates from `certs`
    /// (`certs/clusters/<name>/`), on at most `threads` threads. The bytes do not
    /// depend on `threads`: each cluster renders alone and results keep the file's order.
    ///
    /// Every render first checks that all clusters, not only those rendered, trust
    /// the same anchors: `linkerd multicluster check` fails otherwise after deploy.
    pub fn render(
        &self,
        base: &Renderer,
        certs: &BTreeMap<String, CertStore>,
        now: OffsetDateTime,
        threads: usize,
        only: Option<&str>,
    ) -> Result<FleetOutput> {
        if let Some(name) = only {
            self.cluster(name)?;
        }
        let stores: Vec<&CertStore> = (self.clusters.iter())
            .map(|c| {
                certs.get(&c.name).ok_or_else(|| Error::Certs {
                    message: format!("no certificates for cluster `{}`", c.name),
                    help: format!("mint them with `cargo xtask certs init --cluster {}`", c.name),
                    source: None,
                })
            })
            .collect::<Result<_>>()?;
        super::anchor::check_shared(&self.names(), &stores)?;
        let renderer = |c: usize| self.renderer(base, c);
        let own: Vec<Values> = (0..self.clusters.len())
            .map(|c| renderer(c).values())
            .collect::<Result<_>>()?;
        let selected: Vec<usize> = (0..self.clusters.len())
            .filter(|&c| only.is_none_or(|name| self.clusters[c].name == name))
            .collect();
        let outputs = crate::render::parallel_map_on(threads.max(1), &selected, |&c| {
            let derived = self.derived(c, &own)?;
            let output = renderer(c)
                .values_source(derived)
                .certs(stores[c].clone())
                .render(now)?;
            self.check_mirror_namespaces(c, &output, &own)?;
            Ok((self.clusters[c].name.clone(), output))
        });
        Ok(FleetOutput {
            clusters: outputs.into_iter().collect::<Result<_>>()?,
            names: self.names().into_iter().map(str::to_string).collect(),
        })
    }

    /// A mirrored Service lands in the namespace it has in the exporting cluster, and
    /// the service mirror does not create namespaces: cluster `c` must render the
    /// Dgraph namespace of every target it links to that exports Alpha.
    fn check_mirror_namespaces(&self, c: usize, output: &Output, own: &[Values]) -> Result<()> {
        let cluster = &self.clusters[c];
        for (l, link) in cluster.links.iter().enumerate() {
            let target = &own[self.index(&link.to)];
            if target.dgraph.export.mode == crate::values::traffic::ExportMode::None {
                continue;
            }
            let ns = &target.dgraph.namespace;
            if !output.objects().any(|m| m.kind == "Namespace" && &m.name == ns) {
                return Err(self.error(
                    &format!("clusters[{c}].links[{l}]"),
                    &format!(
                        "`{}` exports Dgraph's Alpha Service from namespace `{ns}`; {}'s service mirror puts its mirror there, but `{}` has no namespace `{ns}`",
                        link.to, cluster.name, cluster.name
                    ),
                    &format!("give both clusters the same dgraph.namespace (`{ns}`), or set dgraph.export.mode: none in {}'s values", link.to),
                ));
            }
        }
        Ok(())
    }
}

impl FleetOutput {
    /// Each rendered cluster's name and output, in the fleet file's order.
    pub fn clusters(&self) -> &[(String, Output)] {
        &self.clusters
    }

    /// `<dir>/clusters/<name>`.
    pub fn dir_of(dir: &Utf8Path, name: &str) -> Utf8PathBuf {
        dir.join(CLUSTERS_DIR).join(name)
    }

    /// Writes each cluster's trees to `<out>/clusters/<name>/` and
    /// `<secrets_out>/clusters/<name>/`, each tree replaced atomically as a single
    /// render's are. Every placement is checked before anything is written.
    ///
    /// The tops of `out` and `secrets_out` are cleaned first: the files of a
    /// single-cluster render and the trees of clusters the fleet no longer lists go.
    /// Their removal is the first entry, named `""`, when there is any.
    pub fn write(&self, out: &Utf8Path, secrets_out: &Utf8Path) -> Result<Vec<(String, WriteReport)>> {
        crate::output::guard::check_placement(out, secrets_out, None)?;
        for (name, output) in &self.clusters {
            output.check_placement(&Self::dir_of(out, name), &Self::dir_of(secrets_out, name))?;
        }
        let mut reports = Vec::new();
        let top = crate::output::write(out, &self.top(false))?;
        let top_secrets = crate::output::write(secrets_out, &self.top(true))?;
        if !top.is_empty() || !top_secrets.is_empty() {
            let report = WriteReport {
                files: 0,
                generated: top,
                secrets: Some(top_secrets),
            };
            reports.push((String::new(), report));
        }
        for (name, output) in &self.clusters {
            let report = output.write(&Self::dir_of(out, name), &Self::dir_of(secrets_out, name))?;
            reports.push((name.clone(), report));
        }
        Ok(reports)
    }

    /// Every cluster's output, allowed to be written with changes the API server
    /// refuses to update (see [`Output::allowing_replacements`]).
    #[must_use]
    pub fn allowing_replacements(mut self) -> Self {
        self.clusters = (self.clusters.into_iter())
            .map(|(name, output)| (name, output.allowing_replacements()))
            .collect();
        self
    }

    /// What applying every cluster's render would do (see [`Output::impact`]), each
    /// object named with its cluster; what a single-cluster render or a dropped
    /// cluster left at the top of `out` is deleted.
    pub fn impact(&self, out: &Utf8Path, secrets_out: &Utf8Path) -> Result<Impact> {
        let stale = crate::impact::on_disk(out, &self.top(false))?;
        let mut all = crate::impact::compare(&stale, &[]);
        for (name, output) in &self.clusters {
            let cluster = output.impact(&Self::dir_of(out, name), &Self::dir_of(secrets_out, name))?;
            all.extend(cluster.in_cluster(name));
        }
        Ok(all)
    }

    /// The top of the output: no file of its own, every cluster's tree kept.
    fn top(&self, private: bool) -> Tree {
        Tree::fleet_top(self.names.clone(), private)
    }

    /// What writing would change under `out`, paths relative to `out`: the stale files
    /// at its top first, then each cluster's changes.
    pub fn check(&self, out: &Utf8Path) -> Result<Vec<Change>> {
        let mut all = crate::output::changes(out, &self.top(false))?;
        for (name, output) in &self.clusters {
            let prefix = format!("{CLUSTERS_DIR}/{name}/");
            all.extend(
                output
                    .check(&Self::dir_of(out, name))?
                    .into_iter()
                    .map(|c| c.prefixed(&prefix)),
            );
        }
        Ok(all)
    }

    /// The sealed Secrets (`secrets.sops`) that no cluster can keep or seal, for want of
    /// both a sealed copy under `out` and the key (see [`Output::unsealed`]), paths
    /// relative to `out`.
    pub fn unsealed(&self, out: &Utf8Path) -> Result<Vec<String>> {
        let mut all = Vec::new();
        for (name, output) in &self.clusters {
            let missing = output.unsealed(&Self::dir_of(out, name))?;
            all.extend(missing.into_iter().map(|p| format!("{CLUSTERS_DIR}/{name}/{p}")));
        }
        Ok(all)
    }

    /// What writing would change under `secrets_out`; empty when nothing holds a key.
    pub fn check_secrets(&self, secrets_out: &Utf8Path) -> Result<Vec<Change>> {
        let mut all = crate::output::changes(secrets_out, &self.top(true))?;
        for (name, output) in &self.clusters {
            let prefix = format!("{CLUSTERS_DIR}/{name}/");
            let changes = output
                .check_secrets(&Self::dir_of(secrets_out, name))?
                .unwrap_or_default();
            all.extend(changes.into_iter().map(|c| c.prefixed(&prefix)));
        }
        Ok(all)
    }

    /// A unified diff of every cluster's directory against this render.
    pub fn diff(&self, out: &Utf8Path, shown: &str, color: bool) -> Result<String> {
        let mut text = crate::output::diff(out, &self.top(false), shown, color)?;
        for (name, output) in &self.clusters {
            let shown = format!("{shown}/{CLUSTERS_DIR}/{name}");
            text.push_str(&output.diff(&Self::dir_of(out, name), &shown, color)?);
        }
        Ok(text)
    }

    /// Every cluster's stream (see [`Output::stream`]), each after a comment naming
    /// the cluster: pipe one cluster's into its `kubectl --context`.
    pub fn stream(&self, with_secrets: bool) -> String {
        let mut text = String::new();
        for (name, output) in &self.clusters {
            if self.clusters.len() > 1 {
                text.push_str(&format!("# cluster: {name}\n"));
            }
            text.push_str(&output.stream(with_secrets));
        }
        text
    }
}
