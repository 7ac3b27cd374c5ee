//! A fleet's certificates: one trust anchor (`certs/ca.crt`, its key `certs/ca.key`,
//! and `certs/ca-bundle.crt` during a rotation) and, per cluster, an ordinary store
//! in `certs/clusters/<name>/` with a copy of the anchor (bundle), its own issuer and
//! its own webhook certificates. A cluster's directory never holds the anchor's key:
//! operations lend it from the fleet's store in memory and drop it before writing.
//! Each operation is the single-store one (`crate::certs::ops`), so minting from the
//! same keys and dates gives the same bytes.

use std::collections::BTreeMap;

use camino::{Utf8Path, Utf8PathBuf};
use time::OffsetDateTime;

use super::CLUSTERS_DIR;
use crate::certs::store::{CA_BUNDLE, CA_CRT, CA_KEY};
use crate::certs::{
    mint_trust_anchor, trust_bundle, AnchorRotation, CertStore, CheckReport, KeySource, PemSource, Role, StoreChange,
    StoreError, StoreSettings, Validity, Warning, ANCHOR_LIFETIME,
};

/// What `certs import` brings for one cluster, as `linkerd install --identity-*-file` takes it.
#[derive(Debug, Clone, Copy)]
pub struct IdentityPems<'a> {
    /// The trust anchors (the fleet's bundle).
    pub anchors: PemSource<'a>,
    /// The cluster's issuer certificate, signed by one of them.
    pub issuer: PemSource<'a>,
    /// Its private key.
    pub issuer_key: PemSource<'a>,
}

/// The anchor store and every cluster's store.
#[derive(Debug, Clone)]
pub struct FleetCerts {
    /// `certs/`: the trust anchor only.
    pub anchor: CertStore,
    /// `certs/clusters/<name>/`, by cluster name.
    pub clusters: BTreeMap<String, CertStore>,
}

impl FleetCerts {
    /// Loads `dir` and `dir/clusters/<name>/` for each of `names`; a directory that does
    /// not exist loads empty. Files are named in messages under `shown`.
    pub fn load(dir: &Utf8Path, shown: &Utf8Path, names: &[&str]) -> Result<Self, StoreError> {
        let anchor = CertStore::load(dir)?.shown_as(shown);
        let mut clusters = BTreeMap::new();
        for name in names {
            let sub = Utf8PathBuf::from(CLUSTERS_DIR).join(name);
            let store = CertStore::load(&dir.join(&sub))?.shown_as(shown.join(&sub));
            clusters.insert((*name).to_owned(), store);
        }
        Ok(Self { anchor, clusters })
    }

    fn selected(&self, only: Option<&str>) -> Result<Vec<String>, StoreError> {
        match only {
            None => Ok(self.clusters.keys().cloned().collect()),
            Some(name) if self.clusters.contains_key(name) => Ok(vec![name.to_owned()]),
            Some(name) => Err(StoreError::State {
                file: self.anchor.label(""),
                message: format!(
                    "the fleet has no cluster `{name}`; name one of: {}",
                    self.clusters.keys().cloned().collect::<Vec<_>>().join(", ")
                ),
            }),
        }
    }

    /// Gives cluster `name` the fleet's anchor (and bundle), runs `op` on it with the
    /// anchor key lent, and takes the key back out before anything is written.
    fn with_anchor(
        &mut self,
        name: &str,
        op: &mut dyn FnMut(&mut CertStore) -> Result<(), StoreError>,
    ) -> Result<(), StoreError> {
        self.anchor.require(CA_CRT, Role::TrustAnchor)?;
        let key = self.anchor.require(CA_KEY, Role::TrustAnchorKey)?.text.to_owned();
        self.carry_anchor(name)?;
        let Some(store) = self.clusters.get_mut(name) else {
            return Ok(());
        };
        store.set(CA_KEY, key);
        let result = op(store);
        store.remove(CA_KEY);
        result
    }

    /// Mints the fleet's anchor when it has none (or, with `force` and no `only`,
    /// anew), then each selected cluster's issuer and webhooks for its `settings`.
    /// Without `force`, refuses clusters that hold certificates.
    pub fn init(
        &mut self,
        settings: &BTreeMap<String, StoreSettings>,
        only: Option<&str>,
        not_before: OffsetDateTime,
        force: bool,
        keys: &mut KeySource<'_>,
    ) -> Result<(), StoreError> {
        let names = self.selected(only)?;
        for name in &names {
            let existing = self.clusters[name].certificates();
            if !existing.is_empty() && !force {
                return Err(StoreError::Exists {
                    dir: self.clusters[name].label(""),
                    files: existing,
                });
            }
        }
        if self.anchor.get(CA_CRT).is_none() || (force && only.is_none()) {
            let validity = Validity::starting_at(not_before, ANCHOR_LIFETIME)?;
            let key = keys(CA_KEY)?;
            let anchor = mint_trust_anchor(&key, &validity)?;
            self.anchor.remove(CA_BUNDLE);
            self.anchor.set_cert(CA_CRT, anchor.as_str(), Some(validity));
            self.anchor.set_key(CA_KEY, &key.to_pkcs8_pem()?);
        }
        for name in names {
            let settings = settings.get(&name).cloned().unwrap_or_default();
            if let Some(store) = self.clusters.get_mut(&name) {
                let old: Vec<String> = store.files().map(str::to_owned).collect();
                old.iter().for_each(|f| store.remove(f));
                store.set_settings(settings);
            }
            let prefix = format!("{CLUSTERS_DIR}/{name}/");
            self.with_anchor(&name, &mut |store| {
                store.rotate_issuer(not_before, &mut |f| keys(&format!("{prefix}{f}")))?;
                store.renew_webhooks(not_before, &mut |f| keys(&format!("{prefix}{f}")))
            })?;
        }
        Ok(())
    }

    /// Takes over an issuer minted elsewhere for cluster `name`, as the single-store
    /// [`CertStore::import_identity`] does, after checking that `anchors` are the
    /// fleet's bundle: one cluster trusting other anchors would break every Link. A
    /// fleet without an anchor adopts `anchors` (without a key, so that only
    /// imported issuers can join it). The cluster then carries the fleet's anchor
    /// files verbatim, as every other operation leaves it.
    ///
    /// # Errors
    /// An unknown cluster, anchors that are not the fleet's, and the import's own.
    pub fn import_identity(
        &mut self,
        name: &str,
        pems: IdentityPems<'_>,
        settings: StoreSettings,
        now: OffsetDateTime,
        force: bool,
    ) -> Result<Vec<Warning>, StoreError> {
        let IdentityPems {
            anchors,
            issuer,
            issuer_key,
        } = pems;
        self.selected(Some(name))?;
        let fleet = self
            .anchor
            .trust_anchors()
            .map(|p| (p.label.to_owned(), p.text.to_owned()));
        if let Some((label, text)) = &fleet {
            if trust_bundle(&[anchors])? != trust_bundle(&[PemSource::new(label, text)])? {
                return Err(StoreError::State {
                    file: anchors.label.to_owned(),
                    message: format!(
                        "these are not the fleet's trust anchors ({label}), and every cluster must trust the same ones; \
                         import an issuer signed by the fleet's anchor, or mint one with `cargo xtask certs init --cluster {name} --force`"
                    ),
                });
            }
        }
        let Some(store) = self.clusters.get_mut(name) else {
            return Ok(Vec::new());
        };
        let warnings = store.import_identity(anchors, issuer, issuer_key, settings, now, force)?;
        if fleet.is_none() {
            self.anchor.set_cert(CA_CRT, anchors.text, None);
        }
        self.carry_anchor(name)?;
        Ok(warnings)
    }

    /// Copies the fleet's `ca.crt` (and `ca-bundle.crt`, or its absence) into cluster `name`.
    fn carry_anchor(&mut self, name: &str) -> Result<(), StoreError> {
        let anchor_crt = self.anchor.require(CA_CRT, Role::TrustAnchor)?.text.to_owned();
        let bundle = self.anchor.get(CA_BUNDLE).map(str::to_owned);
        let validity = self.anchor.record().windows.get(CA_CRT).copied();
        if let Some(store) = self.clusters.get_mut(name) {
            store.set_cert(CA_CRT, &anchor_crt, validity);
            match &bundle {
                Some(b) => store.set_cert(CA_BUNDLE, b, None),
                None => store.remove(CA_BUNDLE),
            }
        }
        Ok(())
    }

    /// A new issuer for each selected cluster, from the fleet's anchor.
    pub fn rotate_issuer(
        &mut self,
        only: Option<&str>,
        not_before: OffsetDateTime,
        keys: &mut KeySource<'_>,
    ) -> Result<(), StoreError> {
        for name in self.selected(only)? {
            let prefix = format!("{CLUSTERS_DIR}/{name}/");
            self.with_anchor(&name, &mut |store| {
                store.rotate_issuer(not_before, &mut |f| keys(&format!("{prefix}{f}")))
            })?;
        }
        Ok(())
    }

    /// New webhook certificates for each selected cluster.
    pub fn renew_webhooks(
        &mut self,
        only: Option<&str>,
        not_before: OffsetDateTime,
        keys: &mut KeySource<'_>,
    ) -> Result<(), StoreError> {
        for name in self.selected(only)? {
            let prefix = format!("{CLUSTERS_DIR}/{name}/");
            if let Some(store) = self.clusters.get_mut(&name) {
                store.renew_webhooks(not_before, &mut |f| keys(&format!("{prefix}{f}")))?;
            }
        }
        Ok(())
    }

    /// Anchor rotation, step 1, across the fleet: a new anchor, and every cluster
    /// carries the old + new bundle, while every issuer stays.
    pub fn start_anchor_rotation(
        &mut self,
        not_before: OffsetDateTime,
        keys: &mut KeySource<'_>,
    ) -> Result<(), StoreError> {
        if self.anchor.get(CA_BUNDLE).is_some() {
            return Err(self.state(
                "a trust-anchor rotation is under way; continue with `cargo xtask certs rotate-anchor issuer`",
            ));
        }
        let validity = Validity::starting_at(not_before, ANCHOR_LIFETIME)?;
        let key = keys(CA_KEY)?;
        let anchor = mint_trust_anchor(&key, &validity)?;
        let bundle = trust_bundle(&[
            self.anchor.require(CA_CRT, Role::TrustAnchor)?,
            anchor.source("new trust anchor"),
        ])?;
        self.anchor.set_cert(CA_BUNDLE, &bundle, None);
        self.anchor.set_cert(CA_CRT, anchor.as_str(), Some(validity));
        self.anchor.set_key(CA_KEY, &key.to_pkcs8_pem()?);
        for store in self.clusters.values_mut() {
            store.set_cert(CA_BUNDLE, &bundle, None);
            store.set_cert(CA_CRT, anchor.as_str(), Some(validity));
        }
        Ok(())
    }

    /// Anchor rotation, step 2: new issuers from the new anchor, for the selected
    /// clusters, so they can move one at a time. Refused unless every cluster of the
    /// fleet already carries the two-anchor bundle.
    pub fn rotate_anchor_issuer(
        &mut self,
        only: Option<&str>,
        not_before: OffsetDateTime,
        keys: &mut KeySource<'_>,
    ) -> Result<(), StoreError> {
        let Some(bundle) = self.anchor.get(CA_BUNDLE).map(str::to_owned) else {
            return Err(self.state(
                "no trust-anchor rotation is under way; start one with `cargo xtask certs rotate-anchor start`",
            ));
        };
        for (name, store) in &self.clusters {
            if store.get(CA_BUNDLE) != Some(bundle.as_str()) {
                return Err(StoreError::State {
                    file: store.label(CA_BUNDLE),
                    message: format!(
                        "cluster `{name}` does not carry the fleet's two-anchor bundle yet, so no issuer may move; run `cargo xtask certs rotate-anchor start` again after restoring it, or copy {} there",
                        self.anchor.label(CA_BUNDLE)
                    ),
                });
            }
        }
        self.rotate_issuer(only, not_before, keys)
    }

    /// Anchor rotation, step 3: refused until every cluster's issuer is signed by the
    /// new anchor; then only the new anchor is trusted anywhere.
    pub fn finish_anchor_rotation(&mut self) -> Result<(), StoreError> {
        if self.anchor.get(CA_BUNDLE).is_none() {
            return Err(self.state("no trust-anchor rotation is under way"));
        }
        for (name, store) in &self.clusters {
            if store.anchor_rotation()? != AnchorRotation::IssuerReissued {
                return Err(StoreError::State {
                    file: store.label("issuer.crt"),
                    message: format!(
                        "cluster `{name}`'s issuer is still signed by the old anchor; run `cargo xtask certs rotate-anchor issuer --cluster {name}` first"
                    ),
                });
            }
        }
        self.anchor.remove(CA_BUNDLE);
        self.clusters.values_mut().for_each(|s| s.remove(CA_BUNDLE));
        Ok(())
    }

    fn state(&self, message: &str) -> StoreError {
        StoreError::State {
            file: self.anchor.label(CA_BUNDLE),
            message: message.to_owned(),
        }
    }

    /// Every cluster's own check at `now`, by cluster name.
    #[must_use]
    pub fn check(&self, now: OffsetDateTime) -> Vec<(String, CheckReport)> {
        self.clusters.iter().map(|(n, s)| (n.clone(), s.check(now))).collect()
    }

    /// Fails unless the fleet's store and every cluster carry the same anchors.
    pub fn check_shared_anchor(&self) -> crate::Result<()> {
        self.check_anchor_of(None)
    }

    /// As [`Self::check_shared_anchor`], for one cluster (`Some`) or all (`None`):
    /// a command on one cluster of a fleet still being set up checks only that one.
    pub fn check_anchor_of(&self, only: Option<&str>) -> crate::Result<()> {
        let mut names = vec!["(the fleet's anchor)"];
        let mut stores = vec![&self.anchor];
        for (name, store) in &self.clusters {
            if only.is_none_or(|o| o == name) {
                names.push(name);
                stores.push(store);
            }
        }
        super::anchor::check_shared(&names, &stores)
    }

    /// Writes what changed: the anchor store, then each cluster's.
    pub fn write(&mut self) -> Result<Vec<StoreChange>, StoreError> {
        let mut changes = self.anchor.write()?;
        for store in self.clusters.values_mut() {
            changes.extend(store.write()?);
        }
        Ok(changes)
    }
}
