//! The context each bundle's templates see: the values, plus derived views that
//! keep names, labels and certificate material consistent across objects.

pub(crate) mod cert_manager;
pub(crate) mod dgraph;
pub(crate) mod linkerd;
pub(crate) mod multicluster;
pub(crate) mod pydgraph_client;
pub(crate) mod tracing;
pub(crate) mod traffic;
pub(crate) mod viz;

use serde::Serialize;

use crate::certs::CertStore;
use crate::error::Result;
use crate::values::Values;

/// What a bundle is to the cluster, which decides when its objects are applied
/// (see [`crate::order`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Layer {
    /// Custom resource definitions.
    Crds,
    /// The Linkerd control plane.
    ControlPlane,
    /// Linkerd extensions: they need the control plane, and applications need them.
    Extension,
    /// The workloads that the mesh serves.
    Application,
}

/// Every bundle (a folder of `templates/` and of `generated/`), in apply order.
pub(crate) const ALL: &[(&str, Layer)] = &[
    (crate::crds::BUNDLE, Layer::Crds),
    ("linkerd", Layer::ControlPlane),
    ("linkerd-viz", Layer::Extension),
    (tracing::BUNDLE, Layer::Extension),
    (multicluster::BUNDLE, Layer::Extension),
    ("dgraph", Layer::Application),
    ("pydgraph-client", Layer::Application),
];

/// The layer of `bundle`; `None` for a folder that is not a bundle.
pub(crate) fn layer(bundle: &str) -> Option<Layer> {
    ALL.iter().find(|(name, _)| *name == bundle).map(|(_, layer)| *layer)
}

/// A Secret that a render leaves out because this machine lacks its private key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SkippedSecret {
    /// `namespace/name` of the Secret.
    pub secret: String,
    /// The key file it needs, as the certificate store names it.
    pub key_file: String,
    /// The bundle it belongs to (`linkerd`), whose folder it would be written to.
    pub bundle: String,
}

impl SkippedSecret {
    /// Its name, without the namespace.
    pub fn name(&self) -> &str {
        self.secret.split_once('/').map_or(self.secret.as_str(), |(_, n)| n)
    }
}

/// What the templates of every bundle see.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Context<'a> {
    /// The merged values.
    pub values: &'a Values,
    /// Derived facts of the Dgraph bundle.
    pub dgraph: dgraph::View,
    /// Alpha's ServiceProfile (its name needs the cluster domain, outside `dgraph`).
    pub dgraph_profile: dgraph::service_profile::View,
    /// Derived facts of the Linkerd bundles.
    pub linkerd: linkerd::View,
    pub viz: viz::View,
    pub tracing: tracing::View,
    pub multicluster: multicluster::View,
    pub traffic: traffic::View,
    pub pydgraph_client: pydgraph_client::View,
    /// cert-manager's Issuers and Certificates, with `certManager.enabled`.
    pub cert_manager: cert_manager::View,
}

impl<'a> Context<'a> {
    /// Builds every view; fails when a certificate the values need is missing.
    pub(crate) fn new(values: &'a Values, certs: &CertStore) -> Result<Self> {
        let dgraph = dgraph::View::new(&values.dgraph);
        Ok(Self {
            values,
            dgraph_profile: dgraph::service_profile::View::new(values),
            linkerd: linkerd::View::new(values, certs)?,
            viz: viz::View::new(values, certs)?,
            tracing: tracing::View::new(values),
            multicluster: multicluster::View::new(values),
            traffic: traffic::View::new(values, &dgraph),
            pydgraph_client: pydgraph_client::View::new(values, &dgraph),
            cert_manager: cert_manager::View::new(values),
            dgraph,
        })
    }
}

impl Context<'_> {
    /// The Secrets left out of this render for want of their keys.
    pub(crate) fn skipped_secrets(&self) -> Vec<SkippedSecret> {
        let mut all = self.linkerd.skipped_secrets.clone();
        all.extend(self.viz.skipped_secrets.iter().cloned());
        all
    }
}

/// Whether `bundle`'s templates are rendered at all: a bundle switched off in the
/// values has no output folder.
pub(crate) fn is_rendered(bundle: &str, values: &Values) -> bool {
    match bundle {
        tracing::BUNDLE => values.tracing.enabled,
        multicluster::BUNDLE => values.multicluster.enabled,
        _ => true,
    }
}
