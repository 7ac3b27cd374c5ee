//! What the `cargo xtask certs` commands do to a [`CertStore`]: init, import, issuer and
//! webhook renewal, and the three steps of a trust-anchor rotation. Every operation only
//! changes the store in memory; [`CertStore::write`] puts it on disk.

use time::OffsetDateTime;

use super::store::{CA_BUNDLE, CA_CRT, CA_KEY, ISSUER_CRT, ISSUER_KEY, WEBHOOKS_DIR};
use super::verify::{is_signed_by_any, key_matches_any};
use super::{
    mint_identity, mint_issuer, mint_trust_anchor, mint_webhook, trust_bundle, verify_identity, CertError, CertStore,
    IdentityParams, KeyPair, MintError, PemSource, Role, StoreError, StoreSettings, Validity, Warning, ANCHOR_LIFETIME,
    ISSUER_LIFETIME, WEBHOOK_LIFETIME,
};

/// Supplies the private key for each key file an operation mints, called with the file's
/// path in the store (`ca.key`, `issuer.key`, `webhooks/<service>-ca.key`,
/// `webhooks/<service>.key`, in that order): `|_| KeyPair::generate()` for fresh keys, or
/// keys read back from a store to reproduce its certificates byte for byte.
pub type KeySource<'a> = dyn FnMut(&str) -> Result<KeyPair, MintError> + 'a;

/// How far a trust-anchor rotation has got (Linkerd's manual procedure, three steps).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AnchorRotation {
    /// No rotation under way: no `ca-bundle.crt`.
    NotStarted,
    /// Step 1 done: `ca.crt` is the new anchor, `ca-bundle.crt` holds old + new, the
    /// issuer is still signed by the old anchor.
    NewAnchorTrusted,
    /// Step 2 done: the issuer is signed by the new anchor; the bundle still holds both.
    IssuerReissued,
}

/// `webhooks/<service>.crt` and friends.
#[must_use]
pub(crate) fn webhook_file(service: &str, suffix: &str) -> String {
    format!("{WEBHOOKS_DIR}/{service}{suffix}")
}

impl CertStore {
    /// Labels of the certificate files present.
    #[must_use]
    pub fn certificates(&self) -> Vec<String> {
        self.files()
            .filter(|f| f.ends_with(".crt"))
            .map(|f| self.label(f))
            .collect()
    }

    /// Mints everything from scratch: trust anchor (10 years), issuer (1 year) and, for
    /// each of [`StoreSettings::webhooks`], a webhook CA and serving certificate (1 year),
    /// all starting at `not_before`. Without `force`, refuses when certificates exist; with
    /// it, every file of the store is replaced or removed.
    ///
    /// # Errors
    /// [`StoreError::Exists`], or minting errors.
    pub fn init(
        &mut self,
        settings: StoreSettings,
        not_before: OffsetDateTime,
        force: bool,
        keys: &mut KeySource<'_>,
    ) -> Result<(), StoreError> {
        let existing = self.certificates();
        if !existing.is_empty() && !force {
            return Err(StoreError::Exists {
                dir: self.label(""),
                files: existing,
            });
        }
        let old: Vec<String> = self.files().map(str::to_owned).collect();
        for file in old {
            self.remove(&file);
        }
        let mut params = IdentityParams::new(
            Validity::starting_at(not_before, ANCHOR_LIFETIME)?,
            Validity::starting_at(not_before, ISSUER_LIFETIME)?,
        );
        params.trust_domain = settings.trust_domain().to_owned();
        params.linkerd_namespace = settings.linkerd_namespace().to_owned();
        self.set_settings(settings);
        let anchor_key = keys(CA_KEY)?;
        let issuer_key = keys(ISSUER_KEY)?;
        let id = mint_identity(&params, &anchor_key, &issuer_key)?;
        self.set_cert(CA_CRT, id.trust_anchor.as_str(), Some(params.anchor_validity));
        self.set_key(CA_KEY, &id.trust_anchor_key);
        self.set_cert(ISSUER_CRT, id.issuer.as_str(), Some(params.issuer_validity));
        self.set_key(ISSUER_KEY, &id.issuer_key);
        self.renew_webhooks(not_before, keys)
    }

    /// Mints a webhook CA and serving certificate (1 year from `not_before`) for each of
    /// [`StoreSettings::webhooks`], replacing those present.
    ///
    /// # Errors
    /// Minting errors.
    pub fn renew_webhooks(&mut self, not_before: OffsetDateTime, keys: &mut KeySource<'_>) -> Result<(), StoreError> {
        let services: Vec<String> = self
            .settings()
            .webhooks()
            .iter()
            .map(|(s, _)| (*s).to_owned())
            .collect();
        self.mint_webhooks(&services, not_before, keys)
    }

    /// Mints, as [`Self::renew_webhooks`] does, only the webhooks whose certificates are
    /// absent (after an import, say), and returns their services.
    ///
    /// # Errors
    /// Minting errors.
    pub fn mint_missing_webhooks(
        &mut self,
        not_before: OffsetDateTime,
        keys: &mut KeySource<'_>,
    ) -> Result<Vec<String>, StoreError> {
        let missing: Vec<String> = (self.settings().webhooks().iter())
            .map(|(s, _)| (*s).to_owned())
            .filter(|s| self.get(&webhook_file(s, ".crt")).is_none() || self.get(&webhook_file(s, "-ca.crt")).is_none())
            .collect();
        self.mint_webhooks(&missing, not_before, keys)?;
        Ok(missing)
    }

    fn mint_webhooks(
        &mut self,
        services: &[String],
        not_before: OffsetDateTime,
        keys: &mut KeySource<'_>,
    ) -> Result<(), StoreError> {
        let validity = Validity::starting_at(not_before, WEBHOOK_LIFETIME)?;
        for service in services {
            let dns = self.settings().webhook_dns_name(service);
            let ca_key = keys(&webhook_file(service, "-ca.key"))?;
            let key = keys(&webhook_file(service, ".key"))?;
            let minted = mint_webhook(&dns, &validity, &ca_key, &key)?;
            self.set_cert(&webhook_file(service, "-ca.crt"), minted.ca.as_str(), Some(validity));
            self.set_key(&webhook_file(service, "-ca.key"), &ca_key.to_pkcs8_pem()?);
            self.set_cert(&webhook_file(service, ".crt"), minted.cert.as_str(), Some(validity));
            self.set_key(&webhook_file(service, ".key"), &minted.key);
        }
        Ok(())
    }

    /// Verifies trust anchors, issuer and issuer key (as the render does at `now`,
    /// expecting the issuer name of `settings`), then takes them over verbatim, like
    /// `linkerd install --identity-trust-anchors-file … --identity-issuer-certificate-file …
    /// --identity-issuer-key-file …`. Without `force`, refuses when `ca.crt` or
    /// `issuer.crt` exist. `ca.key` is kept only if it belongs to an imported anchor;
    /// `ca-bundle.crt` is removed (the anchors file is the whole bundle). Webhooks stay.
    ///
    /// # Errors
    /// [`StoreError::Cert`] when verification fails (nothing changes), [`StoreError::Exists`].
    pub fn import_identity(
        &mut self,
        anchors: PemSource<'_>,
        issuer: PemSource<'_>,
        issuer_key: PemSource<'_>,
        settings: StoreSettings,
        now: OffsetDateTime,
        force: bool,
    ) -> Result<Vec<Warning>, StoreError> {
        let warnings = verify_identity(anchors, issuer, issuer_key, &settings.issuer_common_name(), now)?;
        let existing: Vec<String> = [CA_CRT, CA_BUNDLE, ISSUER_CRT]
            .iter()
            .filter(|f| self.get(f).is_some())
            .map(|f| self.label(f))
            .collect();
        if !existing.is_empty() && !force {
            return Err(StoreError::Exists {
                dir: self.label(""),
                files: existing,
            });
        }
        let stale_anchor_key = self
            .source(CA_KEY)
            .is_some_and(|key| key_matches_any(anchors, Role::TrustAnchor, key, Role::TrustAnchorKey).is_err());
        if stale_anchor_key {
            self.remove(CA_KEY);
        }
        self.remove(CA_BUNDLE);
        self.set_cert(CA_CRT, anchors.text, None);
        self.set_cert(ISSUER_CRT, issuer.text, None);
        self.set(ISSUER_KEY, issuer_key.text.to_owned());
        self.set_settings(settings);
        Ok(warnings)
    }

    /// A new issuer key and certificate (1 year from `not_before`) from the anchor in
    /// `ca.crt` that `ca.key` belongs to.
    ///
    /// # Errors
    /// [`CertError::MissingFile`] without `ca.crt` or `ca.key`; minting errors.
    pub fn rotate_issuer(&mut self, not_before: OffsetDateTime, keys: &mut KeySource<'_>) -> Result<(), StoreError> {
        let validity = Validity::starting_at(not_before, ISSUER_LIFETIME)?;
        let anchor_key = self.key_pair(CA_KEY, Role::TrustAnchorKey)?;
        let key = keys(ISSUER_KEY)?;
        let cn = self.settings().issuer_common_name();
        let issuer = mint_issuer(
            self.require(CA_CRT, Role::TrustAnchor)?,
            &anchor_key,
            &key,
            &cn,
            &validity,
        )?;
        self.set_cert(ISSUER_CRT, issuer.as_str(), Some(validity));
        self.set_key(ISSUER_KEY, &key.to_pkcs8_pem()?);
        Ok(())
    }

    /// Where the trust-anchor rotation stands.
    ///
    /// # Errors
    /// [`CertError`] when `ca-bundle.crt` exists but `ca.crt` or `issuer.crt` is missing or unreadable.
    pub fn anchor_rotation(&self) -> Result<AnchorRotation, CertError> {
        if self.get(CA_BUNDLE).is_none() {
            return Ok(AnchorRotation::NotStarted);
        }
        let issuer = self.require(ISSUER_CRT, Role::Issuer)?;
        Ok(if is_signed_by_any(issuer, self.require(CA_CRT, Role::TrustAnchor)?)? {
            AnchorRotation::IssuerReissued
        } else {
            AnchorRotation::NewAnchorTrusted
        })
    }

    /// Anchor rotation, step 1: mints a new anchor (10 years from `not_before`) with the
    /// key `keys("ca.key")`, writes it to `ca.crt`/`ca.key` and `ca-bundle.crt` = old
    /// anchor(s) + new. The issuer, still signed by the old anchor, stays valid under the
    /// bundle. The old anchor's key is not needed any more and is dropped.
    ///
    /// # Errors
    /// [`StoreError::State`] when a rotation is already under way; missing files; minting errors.
    pub fn start_anchor_rotation(
        &mut self,
        not_before: OffsetDateTime,
        keys: &mut KeySource<'_>,
    ) -> Result<(), StoreError> {
        self.expect_rotation(AnchorRotation::NotStarted)?;
        self.require(ISSUER_CRT, Role::Issuer)?;
        let validity = Validity::starting_at(not_before, ANCHOR_LIFETIME)?;
        let key = keys(CA_KEY)?;
        let anchor = mint_trust_anchor(&key, &validity)?;
        let bundle = trust_bundle(&[
            self.require(CA_CRT, Role::TrustAnchor)?,
            anchor.source("new trust anchor"),
        ])?;
        self.set_cert(CA_BUNDLE, &bundle, None);
        self.set_cert(CA_CRT, anchor.as_str(), Some(validity));
        self.set_key(CA_KEY, &key.to_pkcs8_pem()?);
        Ok(())
    }

    /// Anchor rotation, step 2: [`Self::rotate_issuer`] under the new anchor.
    ///
    /// # Errors
    /// [`StoreError::State`] unless step 1 is the last step done; as [`Self::rotate_issuer`].
    pub fn rotate_anchor_issuer(
        &mut self,
        not_before: OffsetDateTime,
        keys: &mut KeySource<'_>,
    ) -> Result<(), StoreError> {
        self.expect_rotation(AnchorRotation::NewAnchorTrusted)?;
        self.rotate_issuer(not_before, keys)
    }

    /// Anchor rotation, step 3: removes `ca-bundle.crt`, so only the new anchor (`ca.crt`)
    /// is trusted.
    ///
    /// # Errors
    /// [`StoreError::State`] unless step 2 is the last step done.
    pub fn finish_anchor_rotation(&mut self) -> Result<(), StoreError> {
        self.expect_rotation(AnchorRotation::IssuerReissued)?;
        self.remove(CA_BUNDLE);
        Ok(())
    }

    fn expect_rotation(&self, wanted: AnchorRotation) -> Result<(), StoreError> {
        let state = self.anchor_rotation()?;
        if state == wanted {
            return Ok(());
        }
        let message = match state {
            AnchorRotation::NotStarted => {
                "no trust-anchor rotation is under way; start one with `cargo xtask certs rotate-anchor start`"
            }
            AnchorRotation::NewAnchorTrusted if wanted == AnchorRotation::IssuerReissued => {
                "the issuer is still signed by the old anchor; run step 2 (`cargo xtask certs rotate-anchor issuer`) first"
            }
            AnchorRotation::NewAnchorTrusted => {
                "a trust-anchor rotation is under way (step 1 of 3 done); continue with `cargo xtask certs rotate-anchor issuer`"
            }
            AnchorRotation::IssuerReissued => {
                "a trust-anchor rotation is under way (step 2 of 3 done); finish it with `cargo xtask certs rotate-anchor finish`"
            }
        };
        Err(StoreError::State {
            file: self.label(CA_BUNDLE),
            message: message.to_owned(),
        })
    }
}
