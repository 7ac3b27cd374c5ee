//! `cargo xtask certs …`: Linkerd identity and webhook certificates in `certs/`, one
//! store, or a fleet's stores in `fleet_certs` when there is a fleet file. Thin over
//! `meshgen::certs::CertStore`; xtask, not the library, reads the clock and draws keys
//! from OS randomness.

use std::process::ExitCode;

use camino::Utf8Path;
use meshgen::certs::time::{self, OffsetDateTime};
use meshgen::certs::{CertStore, KeyPair, StoreError, StoreSettings};
use meshgen::Renderer;

use crate::certs_args::{CertsArgs, CertsCommand, RotationStep};
use crate::certs_steps::{
    expiring_within, mint_missing_webhooks, not_before, print_changes, print_rollout, print_warnings, write_secret,
    ImportedPems,
};
use crate::place::Place;
use crate::{fleet_certs, fleet_file};

/// Runs a `certs` subcommand in `place`.
pub(crate) fn run(args: &CertsArgs, place: &Place) -> Result<ExitCode, StoreError> {
    let fresh = &mut |_: &str| KeyPair::generate();
    if let Some(fleet) = fleet_file::find(args.fleet.as_deref(), place) {
        return fleet_certs::run(args, place, &fleet);
    }
    if args.cluster.is_some() {
        return Err(StoreError::State {
            file: meshgen::fleet::FLEET_FILE.into(),
            message: "--cluster needs a fleet file, and there is none; pass --fleet FILE".into(),
        });
    }
    let mut store = load(args.command.dir(), place)?;
    match &args.command {
        CertsCommand::TrustAnchorSecret(a) => {
            let as_state = |e: meshgen::Error| StoreError::State {
                file: store.label(""),
                message: e.to_string(),
            };
            let mut renderer = Renderer::from_checkout(&place.root).map_err(as_state)?;
            for file in &a.values {
                renderer = renderer.values_file(file).map_err(as_state)?;
            }
            let values = renderer.values().map_err(as_state)?;
            let secret = meshgen::trust_anchor_secret(&values, &store).map_err(as_state)?;
            let secrets_out = place.path(a.secrets_out.as_deref(), "secrets");
            write_secret(&secrets_out, &place.shown(&secrets_out), secret)?;
            return Ok(ExitCode::SUCCESS);
        }
        CertsCommand::Init(a) => {
            let settings = StoreSettings::new(&a.trust_domain, &a.namespace, &a.viz_namespace)?;
            store.init(settings, not_before(&a.mint)?, a.force, fresh)?;
        }
        CertsCommand::Import(a) => {
            let recorded = store.settings().clone();
            let settings = StoreSettings::new(
                a.trust_domain.as_deref().unwrap_or(recorded.trust_domain()),
                a.namespace.as_deref().unwrap_or(recorded.linkerd_namespace()),
                recorded.viz_namespace(),
            )?;
            let texts = ImportedPems::read(a)?;
            let pems = texts.sources(a);
            let warnings = store.import_identity(
                pems.anchors,
                pems.issuer,
                pems.issuer_key,
                settings,
                OffsetDateTime::now_utc(),
                a.force,
            )?;
            print_warnings(&warnings);
            mint_missing_webhooks(&mut store, fresh)?;
        }
        CertsCommand::Check(a) => return check(&store, a.within),
        CertsCommand::RotateIssuer(a) => store.rotate_issuer(not_before(a)?, fresh)?,
        CertsCommand::RenewWebhooks(a) => store.renew_webhooks(not_before(a)?, fresh)?,
        CertsCommand::RotateAnchor(a) => match a.step {
            RotationStep::Start => store.start_anchor_rotation(not_before(&a.mint)?, fresh)?,
            RotationStep::Issuer => store.rotate_anchor_issuer(not_before(&a.mint)?, fresh)?,
            RotationStep::Finish => store.finish_anchor_rotation()?,
        },
    }
    // Writes the store, prints what changed, then checks the result.
    let changes = store.write()?;
    print_changes(&store.label(""), &changes);
    print_rollout(&args.command);
    check(&store, None)
}

/// Loads the store: `--dir` from the working directory, else `certs/` in the checkout.
fn load(dir: Option<&Utf8Path>, place: &Place) -> Result<CertStore, StoreError> {
    let path = place.path(dir, "certs");
    Ok(CertStore::load(&path)?.shown_as(place.shown(&path)))
}

/// The check at `now`; with `within`, also at the end of that window, so that a
/// certificate that will have expired by then fails too, named.
fn check(store: &CertStore, within: Option<time::Duration>) -> Result<ExitCode, StoreError> {
    let now = OffsetDateTime::now_utc();
    let report = store.check(now);
    let mut errors: Vec<String> = report.errors.iter().map(ToString::to_string).collect();
    if let Some(window) = within {
        errors.extend(expiring_within(&report, &store.check(now + window), window));
    }
    print_warnings(&report.warnings);
    if !report.keys_absent.is_empty() {
        println!(
            "note: no {} (private keys are not committed); the checks that need them were skipped",
            report.keys_absent.join(", ")
        );
    }
    for err in &errors {
        eprintln!("error: {err}");
    }
    if errors.is_empty() {
        println!("{}: certificates OK", store.label(""));
        Ok(ExitCode::SUCCESS)
    } else {
        eprintln!("{}: {} error(s)", store.label(""), errors.len());
        Ok(ExitCode::FAILURE)
    }
}
