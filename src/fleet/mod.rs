//! A fleet: many clusters rendered from one repository. The fleet file
//! (`fleet.yaml` at the top of the checkout, or `--fleet FILE`) lists each cluster
//! with its values overlays and its Links to other clusters; overlays under `values`
//! apply to every cluster first.
//!
//! ```yaml
//! values: [values/shared.yaml]          # every cluster, first
//! clusters:
//!   - name: east                        # a DNS label: generated/clusters/east/
//!     values: [values/east.yaml]        # then these, in order
//!     links:
//!       - to: west                      # east mirrors services from west
//!         gatewayAddress: west-gw.example.com
//! ```
//!
//! Paths are taken from the fleet file's directory. Without a fleet file nothing
//! here runs, and a render is the single cluster it always was.

mod anchor;
pub mod certs;
mod credentials;
mod derive;
mod render;

use camino::Utf8Path;
use serde::Deserialize;

use crate::error::{Error, Result};
use crate::values::ValuesSource;

pub use credentials::TargetAccess;
pub use render::FleetOutput;

/// The fleet file's name at the top of a checkout: its presence turns fleet mode on.
pub const FLEET_FILE: &str = "fleet.yaml";

/// Where each cluster's trees go, under the output, secrets and certificate
/// directories: `generated/clusters/<name>/`, the layout Flux documents.
pub const CLUSTERS_DIR: &str = crate::output::CLUSTERS_DIR;

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct FleetFile {
    #[serde(default)]
    values: Vec<String>,
    clusters: Vec<ClusterEntry>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct ClusterEntry {
    name: String,
    #[serde(default)]
    values: Vec<String>,
    #[serde(default)]
    links: Vec<LinkEntry>,
}

/// One Link of a cluster's entry: the target, and what only a deployed target knows.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct LinkEntry {
    /// The target cluster, whose services the cluster mirrors.
    pub to: String,
    /// The target gateway's load-balancer address (IP or DNS name), needed when the
    /// target has a gateway: it is assigned only after deploy, so no value holds it.
    #[serde(default)]
    pub gateway_address: Option<String>,
    /// The port to send to, when it is not the target's `multicluster.gateway.port`
    /// (a NodePort gateway: its node port).
    #[serde(default)]
    pub gateway_port: Option<u16>,
    /// The probe port, when it is not the target's `multicluster.gateway.probe.port`.
    #[serde(default)]
    pub probe_port: Option<u16>,
}

/// One cluster of the fleet.
#[derive(Debug, Clone)]
pub struct Cluster {
    /// Its name: a DNS label, naming its output directory and its Links.
    pub name: String,
    /// The fleet's shared overlays, then its own.
    overlays: Vec<ValuesSource>,
    /// Its Links, in the fleet file's order.
    pub links: Vec<LinkEntry>,
}

/// A parsed and checked fleet file, with every overlay it names read.
#[derive(Debug, Clone)]
pub struct Fleet {
    /// The fleet file, named as given.
    file: String,
    clusters: Vec<Cluster>,
}

impl Fleet {
    /// Reads the fleet file at `path` and every values file it names (relative to the
    /// fleet file's directory), then checks it: names, duplicates, Links.
    pub fn load(path: &Utf8Path) -> Result<Self> {
        let text = std::fs::read_to_string(path).map_err(|e| Error::io(path, "cannot read fleet file", e))?;
        let dir = path.parent().unwrap_or(Utf8Path::new(""));
        Self::parse(path.as_str(), &text, &mut |key, file| {
            let full = dir.join(file);
            ValuesSource::read(&full).map_err(|e| match e {
                Error::Io { source, .. } => Error::Values {
                    file: path.to_string(),
                    path: key.to_string(),
                    message: format!("cannot read {full}: {source}"),
                    help:
                        "values files are named relative to the fleet file's directory; fix the path or create the file"
                            .into(),
                },
                other => other,
            })
        })
    }

    /// Parses a fleet file's `text`, reported as `name`; `read` gives each values file
    /// it names, with the fleet-file key that names it (for errors).
    pub fn parse(
        name: &str,
        text: &str,
        read: &mut dyn FnMut(&str, &Utf8Path) -> Result<ValuesSource>,
    ) -> Result<Self> {
        let tree = crate::yaml::parse_named(text, name).map_err(|e| Error::ValuesSyntax {
            file: name.to_string(),
            message: e.message,
            help: e.help,
        })?;
        let file: FleetFile = serde_path_to_error::deserialize(tree).map_err(|e| {
            let message = e.inner().to_string();
            let help = if message.starts_with("unknown field") {
                "a fleet file has `values` and `clusters`; a cluster `name`, `values` and `links`; a link `to`, `gatewayAddress`, `gatewayPort` and `probePort`"
            } else {
                "see the README's \"Fleets\" for the fleet file's shape"
            };
            fleet_error(name, &e.path().to_string(), &message, help)
        })?;
        let mut shared = Vec::new();
        for (i, path) in file.values.iter().enumerate() {
            shared.push(read(&format!("values[{i}]"), Utf8Path::new(path))?);
        }
        let mut clusters = Vec::new();
        for (c, entry) in file.clusters.iter().enumerate() {
            let mut overlays = shared.clone();
            for (i, path) in entry.values.iter().enumerate() {
                overlays.push(read(&format!("clusters[{c}].values[{i}]"), Utf8Path::new(path))?);
            }
            clusters.push(Cluster {
                name: entry.name.clone(),
                overlays,
                links: entry.links.clone(),
            });
        }
        let fleet = Self {
            file: name.to_string(),
            clusters,
        };
        fleet.check()?;
        Ok(fleet)
    }

    /// The fleet file, named as given.
    pub fn file(&self) -> &str {
        &self.file
    }

    /// The clusters, in the fleet file's order.
    pub fn clusters(&self) -> &[Cluster] {
        &self.clusters
    }

    /// The clusters' names, in the fleet file's order.
    pub fn names(&self) -> Vec<&str> {
        self.clusters.iter().map(|c| c.name.as_str()).collect()
    }

    /// The cluster called `name`, or an error that lists the fleet's clusters.
    pub fn cluster(&self, name: &str) -> Result<&Cluster> {
        self.clusters
            .iter()
            .find(|c| c.name == name)
            .ok_or_else(|| Error::Values {
                file: self.file.clone(),
                path: "clusters".into(),
                message: format!("has no cluster `{name}`"),
                help: format!("name one of: {}", self.names().join(", ")),
            })
    }

    /// An error about the fleet file's key at `path`.
    pub(crate) fn error(&self, path: &str, message: &str, help: &str) -> Error {
        fleet_error(&self.file, path, message, help)
    }

    /// What the file alone can tell: names, duplicates, unknown and self Links.
    fn check(&self) -> Result<()> {
        if self.clusters.is_empty() {
            return Err(self.error(
                "clusters",
                "is empty",
                "list at least one cluster: clusters: [{name: east, values: [values/east.yaml]}]",
            ));
        }
        for (c, cluster) in self.clusters.iter().enumerate() {
            let key = format!("clusters[{c}].name");
            crate::api_rules::dns_label(&cluster.name)
                .map_err(|help| self.error(&key, &format!("`{}` is not a cluster name", cluster.name), &help))?;
            // controller-<name> and probe-<name> in the source cluster stay DNS labels.
            if cluster.name.len() > 52 {
                return Err(self.error(
                    &key,
                    &format!("`{}` is longer than 52 characters", cluster.name),
                    "a source cluster names its Deployment controller-<target>, which must stay within 63 characters",
                ));
            }
            if let Some(first) = self.clusters[..c].iter().position(|o| o.name == cluster.name) {
                return Err(self.error(
                    &key,
                    &format!("`{}` is also the name of clusters[{first}]", cluster.name),
                    "give every cluster a name of its own: it names its output directory and its Links",
                ));
            }
        }
        for (c, cluster) in self.clusters.iter().enumerate() {
            for (l, link) in cluster.links.iter().enumerate() {
                let key = format!("clusters[{c}].links[{l}].to");
                if link.to == cluster.name {
                    return Err(self.error(
                        &key,
                        &format!("`{}` links to itself", cluster.name),
                        "a Link mirrors another cluster's services; remove it",
                    ));
                }
                if !self.clusters.iter().any(|o| o.name == link.to) {
                    return Err(self.error(
                        &key,
                        &format!("`{}` is not a cluster of this fleet", link.to),
                        &format!("link to one of: {}", self.names().join(", ")),
                    ));
                }
                if cluster.links[..l].iter().any(|o| o.to == link.to) {
                    return Err(self.error(
                        &key,
                        &format!("`{}` is linked twice", link.to),
                        "a cluster holds one Link per target; remove the duplicate",
                    ));
                }
            }
        }
        Ok(())
    }
}

fn fleet_error(file: &str, path: &str, message: &str, help: &str) -> Error {
    Error::Values {
        file: file.to_string(),
        path: if path.is_empty() || path == "." {
            "(top level)".into()
        } else {
            path.to_string()
        },
        message: message.to_string(),
        help: help.to_string(),
    }
}
