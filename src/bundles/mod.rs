//! The context each bundle's templates see: the values, plus derived views that
//! keep names and labels consistent across objects.

pub mod dgraph;

use serde::Serialize;

use crate::values::Values;

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Context<'a> {
    pub values: &'a Values,
    pub dgraph: dgraph::View,
}

impl<'a> Context<'a> {
    pub fn new(values: &'a Values) -> Self {
        Self {
            values,
            dgraph: dgraph::View::new(&values.dgraph),
        }
    }
}
