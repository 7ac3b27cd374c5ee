//! Label selectors, with the semantics of kube-rs (`kube-core`), which follow the
//! API server's: matchLabels and matchExpressions are ANDed, an empty selector
//! selects everything.

use k8s_openapi::apimachinery::pkg::apis::meta::v1::LabelSelector;
use kube_core::{Selector, SelectorExt};

use super::cluster::Labels;

/// Whether `selector` selects an object with `labels`. `None` (no selector) selects
/// everything; a malformed selector (an `In` without values) selects nothing, as
/// the API server would have refused it.
pub(crate) fn matches(selector: Option<&LabelSelector>, labels: &Labels) -> bool {
    let Some(selector) = selector else { return true };
    Selector::try_from(selector.clone()).is_ok_and(|s| s.matches(labels))
}

#[cfg(test)]
mod tests {
    use super::*;
    use k8s_openapi::apimachinery::pkg::apis::meta::v1::LabelSelectorRequirement;

    fn labels(pairs: &[(&str, &str)]) -> Labels {
        pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
    }

    #[test]
    fn labels_and_expressions_are_anded() {
        let sel = LabelSelector {
            match_labels: Some(labels(&[("app", "dgraph")]).into_iter().collect()),
            match_expressions: Some(vec![LabelSelectorRequirement {
                key: "component".into(),
                operator: "NotIn".into(),
                values: Some(vec!["zero".into()]),
            }]),
        };
        assert!(matches(
            Some(&sel),
            &labels(&[("app", "dgraph"), ("component", "alpha")])
        ));
        assert!(
            matches(Some(&sel), &labels(&[("app", "dgraph")])),
            "NotIn admits an absent key"
        );
        assert!(!matches(
            Some(&sel),
            &labels(&[("app", "dgraph"), ("component", "zero")])
        ));
        assert!(matches(Some(&LabelSelector::default()), &labels(&[])));
    }
}
