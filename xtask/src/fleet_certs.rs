//! `cargo xtask certs …` in fleet mode: one trust anchor in the certs directory, a
//! store per cluster in `clusters/<name>/`, over `meshgen::fleet::certs::FleetCerts`.
//! Each cluster's names (trust domain, Linkerd and viz namespaces) come from its values.

use std::collections::BTreeMap;
use std::process::ExitCode;

use camino::Utf8Path;
use meshgen::certs::time::{Duration, OffsetDateTime};
use meshgen::certs::{KeyPair, StoreError, StoreSettings};
use meshgen::fleet::certs::FleetCerts;
use meshgen::Renderer;

use crate::certs_args::{CertsArgs, CertsCommand, RotationStep};
use crate::certs_steps::{
    expiring_within, mint_missing_webhooks, not_before, print_changes, print_rollout, print_warnings, write_secret,
    ImportedPems,
};
use crate::fleet_file;
use crate::place::Place;

fn state(file: &str, message: String) -> StoreError {
    StoreError::State {
        file: file.to_owned(),
        message,
    }
}

pub(crate) fn run(args: &CertsArgs, place: &Place, file: &Utf8Path) -> Result<ExitCode, StoreError> {
    let shown_fleet = place.shown(file).to_string();
    let fleet = fleet_file::load(file, place).map_err(|e| state(&shown_fleet, e.to_string()))?;
    let only = args.cluster.as_deref();
    let dir = place.path(args.command.dir(), "certs");
    let mut certs = FleetCerts::load(&dir, &place.shown(&dir), &fleet.names())?;
    let fresh = &mut |_: &str| KeyPair::generate();
    // Each cluster's trust domain and namespaces, from its values.
    let settings_of = |name: &str| -> Result<StoreSettings, StoreError> {
        let base = Renderer::from_checkout(&place.root).map_err(|e| state(&shown_fleet, e.to_string()))?;
        let v = fleet
            .values(&base, name)
            .map_err(|e| state(&shown_fleet, e.to_string()))?;
        Ok(StoreSettings::new(
            &v.linkerd.trust_domain,
            &v.linkerd.namespace,
            &v.viz.namespace,
        )?)
    };
    match &args.command {
        CertsCommand::TrustAnchorSecret(a) => {
            // One per cluster, each in its Linkerd namespace, all of the fleet's anchor.
            if !a.values.is_empty() {
                return Err(state(
                    &shown_fleet,
                    "--values does not apply to a fleet; list overlays in the fleet file".into(),
                ));
            }
            let base = Renderer::from_checkout(&place.root).map_err(|e| state(&shown_fleet, e.to_string()))?;
            let secrets_out = place.path(a.secrets_out.as_deref(), "secrets");
            for name in fleet.names().into_iter().filter(|n| only.is_none_or(|o| o == *n)) {
                let values = fleet
                    .values(&base, name)
                    .map_err(|e| state(&shown_fleet, e.to_string()))?;
                let secret = meshgen::trust_anchor_secret(&values, &certs.anchor)
                    .map_err(|e| state(&shown_fleet, e.to_string()))?;
                let dir = meshgen::FleetOutput::dir_of(&secrets_out, name);
                write_secret(&dir, &place.shown(&dir), secret)?;
            }
            return Ok(ExitCode::SUCCESS);
        }
        CertsCommand::Init(a) => {
            let mut settings = BTreeMap::new();
            for name in fleet.names() {
                settings.insert(name.to_owned(), settings_of(name)?);
            }
            certs.init(&settings, only, not_before(&a.mint)?, a.force, fresh)?;
        }
        CertsCommand::Import(a) => {
            let Some(name) = only else {
                return Err(state(
                    &shown_fleet,
                    "`certs import` in a fleet takes one cluster's issuer: pass --cluster NAME".into(),
                ));
            };
            if a.trust_domain.is_some() || a.namespace.is_some() {
                return Err(state(
                    &shown_fleet,
                    format!("in a fleet, cluster {name}'s trust domain and Linkerd namespace come from its values; drop --trust-domain and --namespace"),
                ));
            }
            let texts = ImportedPems::read(a)?;
            let warnings = certs.import_identity(
                name,
                texts.sources(a),
                settings_of(name)?,
                OffsetDateTime::now_utc(),
                a.force,
            )?;
            print_warnings(&warnings);
            // As for a single store: a render needs every webhook's certificate too.
            if let Some(store) = certs.clusters.get_mut(name) {
                mint_missing_webhooks(store, fresh)?;
            }
        }
        CertsCommand::Check(a) => return Ok(check(&certs, only, a.within)),
        CertsCommand::RotateIssuer(a) => certs.rotate_issuer(only, not_before(a)?, fresh)?,
        CertsCommand::RenewWebhooks(a) => certs.renew_webhooks(only, not_before(a)?, fresh)?,
        CertsCommand::RotateAnchor(a) => match (a.step, only) {
            (RotationStep::Issuer, _) => certs.rotate_anchor_issuer(only, not_before(&a.mint)?, fresh)?,
            (_, Some(_)) => {
                return Err(state(
                    &shown_fleet,
                    "`rotate-anchor start` and `finish` rotate the whole fleet at once; drop --cluster".into(),
                ))
            }
            (RotationStep::Start, None) => certs.start_anchor_rotation(not_before(&a.mint)?, fresh)?,
            (RotationStep::Finish, None) => certs.finish_anchor_rotation()?,
        },
    }
    let changes = certs.write()?;
    print_changes(&certs.anchor.label(""), &changes);
    print_rollout(&args.command);
    Ok(check(&certs, only, None))
}

/// As a single store's check, cluster by cluster.
fn check(certs: &FleetCerts, only: Option<&str>, within: Option<Duration>) -> ExitCode {
    let mut ok = true;
    let now = OffsetDateTime::now_utc();
    let later = within.map(|w| certs.check(now + w));
    for (i, (name, report)) in certs.check(now).into_iter().enumerate() {
        if only.is_some_and(|o| o != name) {
            continue;
        }
        print_warnings(&report.warnings);
        for err in &report.errors {
            eprintln!("error: cluster {name}: {err}");
        }
        ok &= report.is_ok();
        if let (Some(window), Some((_, later))) = (within, later.as_ref().and_then(|l| l.get(i))) {
            for err in expiring_within(&report, later, window) {
                eprintln!("error: cluster {name}: {err}");
                ok = false;
            }
        }
    }
    if let Err(e) = certs.check_anchor_of(only) {
        eprintln!("error: {e}");
        ok = false;
    }
    if ok {
        match only {
            Some(name) => println!("{}: cluster {name}'s certificates OK", certs.anchor.label("")),
            None => println!("{}: fleet certificates OK", certs.anchor.label("")),
        }
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}
