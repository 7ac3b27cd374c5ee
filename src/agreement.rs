//! The values and the certificate store must describe the same mesh. The issuer is
//! named `identity.<linkerd namespace>.<trust domain>` and each webhook certificate
//! names its Service's DNS name, so a render whose values moved the control plane,
//! the trust domain or the viz extension would ship certificates the proxies and the
//! API server reject. `certs check` has already verified the certificates against the
//! names recorded in `certs/validity.yaml`; this compares those names with the values.

use crate::certs::store::VALIDITY_FILE;
use crate::certs::CertStore;
use crate::error::Result;
use crate::Values;

/// Refuses values that disagree with the names the certificates were minted for, and
/// names the `certs init` command that re-mints for the values.
pub(crate) fn check(values: &Values, certs: &CertStore) -> Result<()> {
    // With cert-manager, the issuer and the webhook certificates are issued in the
    // cluster for the names the values give; the trust anchor carries none.
    if values.cert_manager.enabled {
        return Ok(());
    }
    let minted = certs.settings();
    let viz_rendered = crate::bundles::is_rendered("linkerd-viz", values);
    let pairs = [
        (
            "linkerd.namespace",
            values.linkerd.namespace.as_str(),
            minted.linkerd_namespace(),
            "the issuer and the Linkerd webhook certificates",
        ),
        (
            "linkerd.trustDomain",
            values.linkerd.trust_domain.as_str(),
            minted.trust_domain(),
            "the issuer",
        ),
        (
            "viz.namespace",
            values.viz.namespace.as_str(),
            minted.viz_namespace(),
            "the tap and tap-injector certificates",
        ),
    ];
    for (path, wanted, minted_for, what) in pairs {
        if wanted == minted_for || (path == "viz.namespace" && !viz_rendered) {
            continue;
        }
        let message = format!(
            "`{path}` is `{wanted}`, but {what} in {} were minted for `{minted_for}` (issuer {}); proxies and the API server would reject them",
            certs.label(VALIDITY_FILE),
            minted.issuer_common_name(),
        );
        let help = format!(
            "set `{path}: {minted_for}` back, or mint certificates for these values with `cargo xtask certs init --force --namespace {} --trust-domain {} --viz-namespace {}` (a new trust anchor: redeploy every proxy)",
            values.linkerd.namespace, values.linkerd.trust_domain, values.viz.namespace
        );
        return Err(values.error(path, &message, &help));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use crate::test_support::values;
    use crate::{CertStore, Error};

    fn certs() -> CertStore {
        crate::test_support::test_certs()
    }

    #[test]
    fn each_name_the_certificates_carry_is_checked_and_blamed_on_its_file() {
        assert!(super::check(&values("{}"), &certs()).is_ok());
        for (overlay, path) in [
            ("linkerd: {namespace: mesh}", "linkerd.namespace"),
            ("linkerd: {trustDomain: example.org}", "linkerd.trustDomain"),
            ("viz: {namespace: viz-two}", "viz.namespace"),
        ] {
            match super::check(&values(overlay), &certs()) {
                Err(Error::Values {
                    file, path: at, help, ..
                }) => {
                    assert_eq!((file.as_str(), at.as_str()), ("test-overlay.yaml", path), "{overlay}");
                    assert!(help.contains("cargo xtask certs init --force"), "{help}");
                }
                other => panic!("{overlay}: expected a values error, got {other:?}"),
            }
        }
    }
}
