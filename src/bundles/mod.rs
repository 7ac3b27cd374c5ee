//! The context each bundle's templates see: the values, plus derived views that
//! keep names, labels and certificate material consistent across objects.

pub mod dgraph;
pub mod linkerd;
pub mod pydgraph_client;
pub mod traffic;

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
    pub traffic: traffic::View,
    pub pydgraph_client: pydgraph_client::View,
}

impl<'a> Context<'a> {
    pub fn new(values: &'a Values, certs: &CertStore) -> Result<Self> {
        let dgraph = dgraph::View::new(&values.dgraph);
        Ok(Self {
            values,
            linkerd: linkerd::View::new(values, certs)?,
            traffic: traffic::View::new(values, &dgraph),
            pydgraph_client: pydgraph_client::View::new(values, &dgraph),
            dgraph,
        })
    }
}
