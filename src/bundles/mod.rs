//! The context each bundle's templates see: the values, plus derived views that
//! keep names, labels and certificate material consistent across objects.

pub mod dgraph;
pub mod linkerd;
pub mod viz;

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
    pub viz: viz::View,
}

impl<'a> Context<'a> {
    pub fn new(values: &'a Values, certs: &CertStore) -> Result<Self> {
        Ok(Self {
            values,
            dgraph: dgraph::View::new(&values.dgraph),
            linkerd: linkerd::View::new(values, certs)?,
            viz: viz::View::new(values, certs)?,
        })
    }
}
