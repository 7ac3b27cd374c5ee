//! A fleet's certificates (meshgen::fleet::certs): one anchor, an issuer per cluster,
//! and the anchor rotation across the fleet.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

use crate::common;

use std::collections::BTreeMap;

use meshgen::certs::{AnchorRotation, StoreSettings};
use meshgen::fleet::certs::FleetCerts;

const NAMES: [&str; 3] = ["east", "west", "dev"];

fn settings() -> BTreeMap<String, StoreSettings> {
    let mut all: BTreeMap<String, StoreSettings> = NAMES
        .iter()
        .map(|n| (n.to_string(), StoreSettings::default()))
        .collect();
    all.insert(
        "dev".into(),
        StoreSettings::new("dev.example", "linkerd", "linkerd-viz").unwrap(),
    );
    all
}

fn minted(dir: &camino::Utf8Path) -> FleetCerts {
    let mut certs = FleetCerts::load(dir, "certs".into(), &NAMES).unwrap();
    certs
        .init(&settings(), None, common::start(), false, &mut common::fresh)
        .unwrap();
    certs.write().unwrap();
    FleetCerts::load(dir, "certs".into(), &NAMES).unwrap()
}

#[test]
fn one_anchor_and_an_issuer_of_its_own_per_cluster() {
    let (_tmp, dir) = common::tempdir();
    let certs = minted(&dir);
    let anchor = certs.anchor.get("ca.crt").unwrap();
    let issuers: Vec<&str> = certs.clusters.values().map(|s| s.get("issuer.crt").unwrap()).collect();
    for (name, store) in &certs.clusters {
        assert_eq!(store.get("ca.crt"), Some(anchor), "{name} carries the fleet's anchor");
        assert!(store.get("ca.key").is_none(), "{name} never holds the anchor's key");
        assert!(
            store.check(common::now()).is_ok(),
            "{name}: {:?}",
            store.check(common::now()).errors
        );
    }
    assert!(issuers[0] != issuers[1] && issuers[1] != issuers[2] && issuers[0] != issuers[2]);
    assert_eq!(
        certs.clusters["dev"].settings().issuer_common_name(),
        "identity.linkerd.dev.example"
    );
    assert!(walk(&dir)
        .iter()
        .all(|p| !p.starts_with("clusters/") || !p.ends_with("/ca.key")));
    certs.check_shared_anchor().unwrap();
}

#[test]
fn another_anchor_in_one_cluster_is_named() {
    let (_tmp, dir) = common::tempdir();
    let mut certs = minted(&dir);
    let (_other_tmp, other_dir) = common::tempdir();
    let other = common::init(&other_dir);
    certs.clusters.insert("west".into(), other);
    let err = certs.check_shared_anchor().expect_err("a foreign anchor is refused");
    assert!(err.to_string().contains("cluster `west` trusts other anchors"), "{err}");
}

#[test]
fn the_anchor_rotates_across_the_whole_fleet() {
    let (_tmp, dir) = common::tempdir();
    let mut certs = minted(&dir);
    let old_issuers: Vec<String> = certs
        .clusters
        .values()
        .map(|s| s.get("issuer.crt").unwrap().to_owned())
        .collect();
    let err = certs
        .rotate_anchor_issuer(None, common::start(), &mut common::fresh)
        .expect_err("nothing to rotate");
    assert!(err.to_string().contains("no trust-anchor rotation"), "{err}");

    certs
        .start_anchor_rotation(common::start(), &mut common::fresh)
        .unwrap();
    let bundle = certs.anchor.get("ca-bundle.crt").unwrap().to_owned();
    for (name, store) in &certs.clusters {
        assert_eq!(
            store.get("ca-bundle.crt"),
            Some(bundle.as_str()),
            "{name} carries both anchors"
        );
        assert_eq!(
            store.anchor_rotation().unwrap(),
            AnchorRotation::NewAnchorTrusted,
            "{name}"
        );
    }
    certs.check_shared_anchor().unwrap();

    // A cluster that lost the bundle holds every issuer back.
    let mut broken = certs.clone();
    broken.clusters.get_mut("dev").unwrap().remove("ca-bundle.crt");
    let err = broken
        .rotate_anchor_issuer(Some("east"), common::start(), &mut common::fresh)
        .expect_err("dev lacks the bundle");
    assert!(err.to_string().contains("cluster `dev` does not carry"), "{err}");

    certs
        .rotate_anchor_issuer(Some("east"), common::start(), &mut common::fresh)
        .unwrap();
    assert_eq!(
        certs.clusters["east"].anchor_rotation().unwrap(),
        AnchorRotation::IssuerReissued
    );
    let err = certs.finish_anchor_rotation().expect_err("west and dev have not moved");
    assert!(err.to_string().contains("rotate-anchor issuer --cluster dev"), "{err}");

    certs
        .rotate_anchor_issuer(None, common::start(), &mut common::fresh)
        .unwrap();
    certs.finish_anchor_rotation().unwrap();
    certs.write().unwrap();
    let certs = FleetCerts::load(&dir, "certs".into(), &NAMES).unwrap();
    for (i, (name, store)) in certs.clusters.iter().enumerate() {
        assert!(store.get("ca-bundle.crt").is_none(), "{name}");
        assert_ne!(
            store.get("issuer.crt").unwrap(),
            old_issuers[i],
            "{name} has a new issuer"
        );
        assert!(store.check(common::now()).is_ok(), "{name}");
    }
    certs.check_shared_anchor().unwrap();
}

#[test]
fn minting_from_the_same_keys_and_dates_gives_the_same_bytes() {
    let (_a, first) = common::tempdir();
    let (_b, second) = common::tempdir();
    let made = minted(&first);
    // Read every key back from the first fleet, by its path in the fleet directory.
    let key = |file: &str| {
        let (store, path) = match file.strip_prefix("clusters/") {
            Some(rest) => {
                let (name, path) = rest.split_once('/').unwrap();
                (&made.clusters[name], path.to_owned())
            }
            None => (&made.anchor, file.to_owned()),
        };
        Ok(store.key_pair(&path, meshgen::certs::Role::Issuer).unwrap())
    };
    let mut again = FleetCerts::load(&second, "certs".into(), &NAMES).unwrap();
    again
        .init(&settings(), None, common::start(), false, &mut { key })
        .unwrap();
    again.write().unwrap();
    assert_eq!(files(&first), files(&second));
}

#[test]
fn unknown_clusters_and_a_second_init_are_refused() {
    let (_tmp, dir) = common::tempdir();
    let mut certs = minted(&dir);
    let err = certs
        .rotate_issuer(Some("north"), common::start(), &mut common::fresh)
        .expect_err("unknown");
    assert!(err.to_string().contains("no cluster `north`"), "{err}");
    let err = certs
        .init(&settings(), Some("east"), common::start(), false, &mut common::fresh)
        .expect_err("exists");
    assert!(err.to_string().contains("pass --force"), "{err}");
    let anchor = certs.anchor.get("ca.crt").unwrap().to_owned();
    certs
        .init(&settings(), Some("east"), common::start(), true, &mut common::fresh)
        .unwrap();
    assert_eq!(
        certs.anchor.get("ca.crt"),
        Some(anchor.as_str()),
        "one cluster's init keeps the anchor"
    );
}

/// Issuers minted elsewhere (here: by another fleet store) join a fleet that starts
/// empty; the fleet adopts their anchor, without its key. Other anchors are refused.
#[test]
fn imported_issuers_join_the_fleet_only_under_its_anchor() {
    use meshgen::certs::PemSource;
    use meshgen::fleet::certs::IdentityPems;
    let (_src_tmp, src_dir) = common::tempdir();
    let source = minted(&src_dir);
    let anchor = source.anchor.get("ca.crt").unwrap().to_owned();
    let import = |certs: &mut FleetCerts, name: &str, anchors: &str, force: bool| {
        let from = &source.clusters[name];
        certs.import_identity(
            name,
            IdentityPems {
                anchors: PemSource::new("anchors.crt", anchors),
                issuer: PemSource::new("issuer.crt", from.get("issuer.crt").unwrap()),
                issuer_key: PemSource::new("issuer.key", from.get("issuer.key").unwrap()),
            },
            settings()[name].clone(),
            common::now(),
            force,
        )
    };
    let (_tmp, dir) = common::tempdir();
    let mut certs = FleetCerts::load(&dir, "certs".into(), &NAMES).unwrap();
    for name in NAMES {
        import(&mut certs, name, &anchor, false).unwrap();
    }
    assert_eq!(certs.anchor.get("ca.crt"), Some(anchor.as_str()));
    assert!(
        certs.anchor.get("ca.key").is_none(),
        "an imported anchor comes without its key"
    );
    for name in NAMES {
        assert_eq!(
            certs.clusters[name].get("issuer.crt"),
            source.clusters[name].get("issuer.crt"),
            "{name}"
        );
    }
    certs.check_shared_anchor().unwrap();

    // Another anchor, however valid its issuer, would split the fleet.
    let (_other_tmp, other_dir) = common::tempdir();
    let other = common::init(&other_dir);
    let err = certs
        .import_identity(
            "west",
            IdentityPems {
                anchors: PemSource::new("other-anchors.crt", other.get("ca.crt").unwrap()),
                issuer: PemSource::new("issuer.crt", other.get("issuer.crt").unwrap()),
                issuer_key: PemSource::new("issuer.key", other.get("issuer.key").unwrap()),
            },
            StoreSettings::default(),
            common::now(),
            true,
        )
        .expect_err("a foreign anchor is refused");
    let text = err.to_string();
    assert!(
        text.starts_with("other-anchors.crt: these are not the fleet's trust anchors"),
        "{text}"
    );
    // A second import without --force is refused, and the unknown cluster too.
    assert!(import(&mut certs, "east", &anchor, false).is_err());
    assert!(import(&mut certs, "east", &anchor, true).is_ok());
    let err = certs
        .import_identity(
            "north",
            IdentityPems {
                anchors: PemSource::new("a", &anchor),
                issuer: PemSource::new("b", &anchor),
                issuer_key: PemSource::new("c", &anchor),
            },
            StoreSettings::default(),
            common::now(),
            false,
        )
        .expect_err("no such cluster");
    assert!(err.to_string().contains("the fleet has no cluster `north`"), "{err}");
    // With its webhooks minted (as `certs import` does), written, the imported fleet
    // loads and checks as a minted one does.
    for store in certs.clusters.values_mut() {
        assert_eq!(
            store
                .mint_missing_webhooks(common::start(), &mut common::fresh)
                .unwrap()
                .len(),
            5
        );
    }
    certs.write().unwrap();
    let loaded = FleetCerts::load(&dir, "certs".into(), &NAMES).unwrap();
    loaded.check_shared_anchor().unwrap();
    for (name, report) in loaded.check(common::now()) {
        assert!(report.is_ok(), "{name}: {:?}", report.errors);
    }
}

fn walk(dir: &camino::Utf8Path) -> Vec<String> {
    files(dir).into_keys().collect()
}

fn files(dir: &camino::Utf8Path) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    let mut stack = vec![dir.to_owned()];
    while let Some(d) = stack.pop() {
        for entry in d.read_dir_utf8().unwrap() {
            let path = entry.unwrap().path().to_owned();
            if path.is_dir() {
                stack.push(path);
            } else {
                let rel = path.strip_prefix(dir).unwrap().to_string();
                out.insert(rel, std::fs::read_to_string(&path).unwrap());
            }
        }
    }
    out
}
