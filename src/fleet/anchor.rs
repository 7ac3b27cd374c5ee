//! Every cluster of a fleet must trust the same anchors: a proxy in one cluster
//! accepts a peer from another only if its issuer chains to an anchor it trusts, and
//! `linkerd multicluster check` fails after deploy when the bundles differ. meshgen
//! refuses before.

use crate::certs::CertStore;
use crate::error::{Error, Result};

/// Fails unless every store's trust anchors (`ca-bundle.crt` during a rotation, else
/// `ca.crt`) are the same text as the first's.
pub(crate) fn check_shared(names: &[&str], stores: &[&CertStore]) -> Result<()> {
    let anchors = |s: &CertStore| s.trust_anchors().map(|p| p.text.trim().to_owned());
    let Some((first_name, first)) = names.iter().zip(stores).next() else {
        return Ok(());
    };
    let want = anchors(first);
    for (name, store) in names.iter().zip(stores).skip(1) {
        if store.trust_anchors().is_none() {
            return Err(Error::Certs {
                message: format!("cluster `{name}` has no trust anchor yet ({})", store.label("ca.crt")),
                help: format!(
                    "mint its issuer from the fleet's anchor with `cargo xtask certs init --cluster {name}`, or import one with `cargo xtask certs import --cluster {name}`"
                ),
                source: None,
            });
        }
        if anchors(store) != want {
            let file = store
                .trust_anchors()
                .map_or_else(|| store.label("ca.crt"), |p| p.label.to_owned());
            return Err(Error::Certs {
                message: format!(
                    "cluster `{name}` trusts other anchors ({file}) than cluster `{first_name}`: proxies of the two would refuse each other"
                ),
                help: "every cluster carries the fleet's anchor bundle; mint its issuer from the fleet's anchor with `cargo xtask certs init --cluster NAME --force`, or finish the anchor rotation across the whole fleet".into(),
                source: None,
            });
        }
    }
    Ok(())
}
