//! `cargo xtask certs …` in fleet mode: one trust anchor in the certs directory, a
//! store per cluster in `clusters/<name>/`, over `meshgen::fleet::certs::FleetCerts`.
//! Each cluster's names (trust domain, Linkerd and viz namespaces) come from its values.

use std::collections::BTreeMap;
use std::process::ExitCode;

use camino::Utf8Path;
use meshgen::certs::time::OffsetDateTime;
use meshgen::certs::{KeyPair, StoreError, StoreSettings};
use meshgen::fleet::certs::FleetCerts;
use meshgen::Renderer;

use crate::certs::{not_before, print_changes, print_warnings, CertsArgs, CertsCommand, DirArgs, RotationStep};
use crate::Place;

fn state(file: &str, message: String) -> StoreError {
    StoreError::State {
        file: file.to_owned(),
        message,
    }
}

pub fn dispatch(args: &CertsArgs, place: &Place, fleet_file: &Utf8Path) -> Result<ExitCode, StoreError> {
    let shown_fleet = place.shown(fleet_file).to_string();
    let fleet = crate::fleet::load(fleet_file, place).map_err(|e| state(&shown_fleet, e.to_string()))?;
    let only = args.cluster.as_deref();
    let dir = |d: &DirArgs| place.path(d.dir.as_deref(), "certs");
    let dir = match &args.command {
        CertsCommand::Init(a) => dir(&a.mint.dir),
        CertsCommand::Check(a) => dir(a),
        CertsCommand::RotateIssuer(a) | CertsCommand::RenewWebhooks(a) => dir(&a.dir),
        CertsCommand::RotateAnchor(a) => dir(&a.mint.dir),
        CertsCommand::Import(_) => {
            return Err(state(
                &shown_fleet,
                "`certs import` does not take a fleet yet: import into one cluster's store with `--dir certs/clusters/NAME` (no --fleet), with the fleet's anchor as --trust-anchors".into(),
            ))
        }
    };
    let mut certs = FleetCerts::load(&dir, &place.shown(&dir), &fleet.names())?;
    let fresh = &mut |_: &str| KeyPair::generate();
    match &args.command {
        CertsCommand::Init(a) => {
            let base = Renderer::from_checkout(&place.root).map_err(|e| state(&shown_fleet, e.to_string()))?;
            let mut settings = BTreeMap::new();
            for name in fleet.names() {
                let v = fleet
                    .values(&base, name)
                    .map_err(|e| state(&shown_fleet, e.to_string()))?;
                let s = StoreSettings::new(&v.linkerd.trust_domain, &v.linkerd.namespace, &v.viz.namespace)?;
                settings.insert(name.to_owned(), s);
            }
            certs.init(&settings, only, not_before(&a.mint)?, a.force, fresh)?;
        }
        CertsCommand::Check(_) => return Ok(check(&certs, only)),
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
        CertsCommand::Import(_) => unreachable!("refused above"),
    }
    let changes = certs.write()?;
    if changes.is_empty() {
        println!("{}: nothing changed", certs.anchor.label(""));
    }
    print_changes(&changes);
    Ok(check(&certs, only))
}

fn check(certs: &FleetCerts, only: Option<&str>) -> ExitCode {
    let mut ok = true;
    for (name, report) in certs.check(OffsetDateTime::now_utc()) {
        if only.is_some_and(|o| o != name) {
            continue;
        }
        print_warnings(&report.warnings);
        for err in &report.errors {
            eprintln!("error: cluster {name}: {err}");
        }
        ok &= report.is_ok();
    }
    if let Err(e) = certs.check_shared_anchor() {
        eprintln!("error: {e}");
        ok = false;
    }
    if ok {
        println!("{}: fleet certificates OK", certs.anchor.label(""));
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}
