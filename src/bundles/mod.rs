//! The context each bundle's templates see: the values, plus derived views that
//! keep names, labels and certificate material consistent across objects.

pub mod dgraph;
pub mod linkerd;

use serde::Serialize;

use crate::certs::CertStore;
use crate::error::Result;
use crate::values::Values;

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Context<'a> {
    pub values: &'a Values,
    pub dgraph: dgraph::View,
    /// Alpha's ServiceProfile (its name needs the cluster domain, outside `dgraph`).
    pub dgraph_profile: dgraph::profile::View,
    pub linkerd: linkerd::View,
}

impl<'a> Context<'a> {
    pub fn new(values: &'a Values, certs: &CertStore) -> Result<Self> {
        Ok(Self {
            values,
            dgraph: dgraph::View::new(&values.dgraph),
            dgraph_profile: dgraph::profile::View::new(values),
            linkerd: linkerd::View::new(values, certs)?,
        })
    }
}
