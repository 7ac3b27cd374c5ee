//! The context each bundle's templates see: the values, plus derived views that
//! keep names, labels and certificate material consistent across objects.

pub mod dgraph;
pub mod linkerd;
pub mod tracing;

use serde::Serialize;

use crate::certs::CertStore;
use crate::error::Result;
use crate::values::Values;

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Context<'a> {
    pub values: &'a Values,
    pub dgraph: dgraph::View,
    pub linkerd: linkerd::View,
    pub tracing: tracing::View,
}

impl<'a> Context<'a> {
    pub fn new(values: &'a Values, certs: &CertStore) -> Result<Self> {
        Ok(Self {
            values,
            dgraph: dgraph::View::new(&values.dgraph),
            linkerd: linkerd::View::new(values, certs)?,
            tracing: tracing::View::new(values),
        })
    }
}

/// Whether `bundle`'s templates are rendered at all: a bundle switched off in the
/// values has no output folder.
pub fn is_rendered(bundle: &str, values: &Values) -> bool {
    match bundle {
        tracing::BUNDLE => values.tracing.enabled,
        _ => true,
    }
}
