//! `cargo xtask certs …`: Linkerd identity and webhook certificates in `certs/`. Thin over
//! `meshgen::certs::CertStore`; this is the only place that reads the clock or draws keys
//! from OS randomness.

use std::process::ExitCode;

use camino::{Utf8Path, Utf8PathBuf};

use crate::Place;
use clap::{Args, Subcommand, ValueEnum};
use meshgen::certs::time::{OffsetDateTime, Time};
use meshgen::certs::{
    parse_rfc3339, CertStore, Change, KeyPair, MintError, PemSource, StoreError, StoreSettings, Warning,
    DEFAULT_LINKERD_NAMESPACE, DEFAULT_TRUST_DOMAIN, DEFAULT_VIZ_NAMESPACE,
};

#[derive(Args)]
pub struct CertsArgs {
    #[command(subcommand)]
    pub(crate) command: CertsCommand,
    /// The fleet whose certificates to manage: one anchor in the certs directory, a
    /// store per cluster in clusters/<name>/ [default: fleet.yaml in the checkout, when it exists].
    #[arg(long, global = true, value_name = "FILE")]
    fleet: Option<Utf8PathBuf>,
    /// With a fleet: only this cluster (anchor rotation's start and finish take the whole fleet).
    #[arg(long, global = true, value_name = "NAME")]
    pub(crate) cluster: Option<String>,
}

#[derive(Subcommand)]
pub(crate) enum CertsCommand {
    /// Generate keys and mint trust anchor (10 years), issuer (1 year) and webhook certificates (1 year).
    ///
    /// Certificates (committed) and keys (gitignored, mode 0600) go to the certs directory;
    /// validity.yaml records names and dates, so minting again from the same keys and dates
    /// gives identical bytes.
    Init(InitArgs),
    /// Verify a trust anchor bundle, issuer certificate and issuer key, then copy them in.
    ///
    /// Same inputs as `linkerd install --identity-trust-anchors-file FILE
    /// --identity-issuer-certificate-file FILE --identity-issuer-key-file FILE`.
    Import(ImportArgs),
    /// Verify everything present (identity chain, webhooks, validity.yaml) at the current time.
    ///
    /// Warns about certificates expiring within 60 days; exits non-zero on errors.
    Check(DirArgs),
    /// Mint a new issuer key and certificate (1 year) from the trust anchor in ca.crt/ca.key.
    RotateIssuer(MintArgs),
    /// Mint new keys and certificates (1 year) for every webhook.
    RenewWebhooks(MintArgs),
    /// Rotate the trust anchor in three steps, one per run (Linkerd's manual procedure)
    ///
    /// 1. `start`: mint a new anchor into ca.crt/ca.key and write ca-bundle.crt = old + new
    ///    anchors; the issuer (signed by the old anchor) stays. Deploy the bundle as the trust
    ///    anchors and restart every meshed workload so all proxies trust both anchors.
    /// 2. `issuer`: mint a new issuer from the new anchor. Deploy it and wait until every
    ///    proxy has a certificate from the new issuer (restart workloads, or wait 24 hours).
    /// 3. `finish`: remove ca-bundle.crt, so only the new anchor (ca.crt) is trusted. Deploy
    ///    and restart the workloads again.
    #[command(verbatim_doc_comment)]
    RotateAnchor(RotateAnchorArgs),
}

#[derive(Args)]
pub(crate) struct DirArgs {
    /// The certificate directory; a relative path is taken from the working directory
    /// [default: certs/ in the checkout].
    #[arg(long, value_name = "DIR")]
    pub(crate) dir: Option<Utf8PathBuf>,
}

#[derive(Args)]
pub(crate) struct MintArgs {
    #[command(flatten)]
    pub(crate) dir: DirArgs,
    /// Start of the validity window (RFC 3339); default: today, 00:00 UTC.
    #[arg(long = "not-before", value_name = "RFC3339")]
    not_before: Option<String>,
}

#[derive(Args)]
pub(crate) struct InitArgs {
    #[command(flatten)]
    pub(crate) mint: MintArgs,
    /// Trust domain of the mesh; the issuer is named identity.<namespace>.<trust domain>.
    #[arg(long = "trust-domain", default_value = DEFAULT_TRUST_DOMAIN)]
    trust_domain: String,
    /// Namespace of the Linkerd control plane (and of its webhooks).
    #[arg(long, default_value = DEFAULT_LINKERD_NAMESPACE)]
    namespace: String,
    /// Namespace of the viz extension (tap, tap-injector).
    #[arg(long = "viz-namespace", default_value = DEFAULT_VIZ_NAMESPACE)]
    viz_namespace: String,
    /// Replace existing certificates and keys.
    #[arg(long)]
    pub(crate) force: bool,
}

#[derive(Args)]
pub(crate) struct ImportArgs {
    #[command(flatten)]
    pub(crate) dir: DirArgs,
    /// PEM trust anchor(s), as `--identity-trust-anchors-file`. In a fleet, the fleet's.
    #[arg(long = "trust-anchors", value_name = "FILE")]
    pub(crate) trust_anchors: Utf8PathBuf,
    /// PEM issuer certificate, as `--identity-issuer-certificate-file`.
    #[arg(long = "issuer-cert", value_name = "FILE")]
    pub(crate) issuer_cert: Utf8PathBuf,
    /// PEM issuer key (PKCS#8 or SEC1), as `--identity-issuer-key-file`.
    #[arg(long = "issuer-key", value_name = "FILE")]
    pub(crate) issuer_key: Utf8PathBuf,
    /// Trust domain the issuer name must match; default: as recorded in validity.yaml, else cluster.local.
    #[arg(long = "trust-domain")]
    pub(crate) trust_domain: Option<String>,
    /// Linkerd namespace the issuer name must match; default: as recorded, else linkerd.
    #[arg(long)]
    pub(crate) namespace: Option<String>,
    /// Replace an existing trust anchor and issuer.
    #[arg(long)]
    pub(crate) force: bool,
}

#[derive(Args)]
pub(crate) struct RotateAnchorArgs {
    /// Which step to run.
    #[arg(value_enum)]
    pub(crate) step: RotationStep,
    #[command(flatten)]
    pub(crate) mint: MintArgs,
}

#[derive(Clone, Copy, ValueEnum)]
pub(crate) enum RotationStep {
    /// Step 1: new anchor, trust bundle of old + new.
    Start,
    /// Step 2: new issuer from the new anchor.
    Issuer,
    /// Step 3: drop the old anchor from the trust bundle.
    Finish,
}

/// Runs a `certs` subcommand in `place`.
pub fn run(args: &CertsArgs, place: &Place) -> ExitCode {
    match dispatch(args, place) {
        Ok(code) => code,
        Err(err) => {
            eprintln!("error: {err}");
            ExitCode::FAILURE
        }
    }
}

fn dispatch(args: &CertsArgs, root: &Place) -> Result<ExitCode, StoreError> {
    let fresh = &mut |_: &str| KeyPair::generate();
    if let Some(fleet) = crate::fleet::file(args.fleet.as_deref(), root) {
        return crate::fleet_certs::dispatch(args, root, &fleet);
    }
    if args.cluster.is_some() {
        return Err(StoreError::State {
            file: meshgen::fleet::FLEET_FILE.into(),
            message: "--cluster needs a fleet file, and there is none; pass --fleet FILE".into(),
        });
    }
    match &args.command {
        CertsCommand::Init(a) => {
            let mut store = load(&a.mint.dir, root)?;
            let settings = StoreSettings::new(&a.trust_domain, &a.namespace, &a.viz_namespace)?;
            store.init(settings, not_before(&a.mint)?, a.force, fresh)?;
            finish(store)
        }
        CertsCommand::Import(a) => {
            let mut store = load(&a.dir, root)?;
            let recorded = store.settings().clone();
            let settings = StoreSettings::new(
                a.trust_domain.as_deref().unwrap_or(recorded.trust_domain()),
                a.namespace.as_deref().unwrap_or(recorded.linkerd_namespace()),
                recorded.viz_namespace(),
            )?;
            let (anchors, cert, key) = (read(&a.trust_anchors)?, read(&a.issuer_cert)?, read(&a.issuer_key)?);
            let warnings = store.import_identity(
                PemSource::new(a.trust_anchors.as_str(), &anchors),
                PemSource::new(a.issuer_cert.as_str(), &cert),
                PemSource::new(a.issuer_key.as_str(), &key),
                settings,
                OffsetDateTime::now_utc(),
                a.force,
            )?;
            print_warnings(&warnings);
            // A render needs every webhook's certificate too; mint those missing, so
            // that `certs import` is followed by `render` with no step between.
            let minted = store.mint_missing_webhooks(today(), fresh)?;
            if !minted.is_empty() {
                println!(
                    "minted webhook certificates for {} (none were present)",
                    minted.join(", ")
                );
            }
            finish(store)
        }
        CertsCommand::Check(a) => check(&load(a, root)?),
        CertsCommand::RotateIssuer(a) => {
            let mut store = load(&a.dir, root)?;
            store.rotate_issuer(not_before(a)?, fresh)?;
            finish(store)
        }
        CertsCommand::RenewWebhooks(a) => {
            let mut store = load(&a.dir, root)?;
            store.renew_webhooks(not_before(a)?, fresh)?;
            finish(store)
        }
        CertsCommand::RotateAnchor(a) => {
            let mut store = load(&a.mint.dir, root)?;
            match a.step {
                RotationStep::Start => store.start_anchor_rotation(not_before(&a.mint)?, fresh)?,
                RotationStep::Issuer => store.rotate_anchor_issuer(not_before(&a.mint)?, fresh)?,
                RotationStep::Finish => store.finish_anchor_rotation()?,
            }
            finish(store)
        }
    }
}

/// Loads the store: `--dir` from the working directory, else `certs/` in the checkout.
fn load(dir: &DirArgs, place: &Place) -> Result<CertStore, StoreError> {
    let path = place.path(dir.dir.as_deref(), "certs");
    Ok(CertStore::load(&path)?.shown_as(place.shown(&path)))
}

pub(crate) fn read(path: &Utf8Path) -> Result<String, StoreError> {
    std::fs::read_to_string(path).map_err(|source| StoreError::Io {
        path: path.to_string(),
        action: "cannot read",
        source,
    })
}

/// `--not-before`, or today at 00:00 UTC: whole days, so that runs on one day agree.
pub(crate) fn not_before(args: &MintArgs) -> Result<OffsetDateTime, MintError> {
    match &args.not_before {
        Some(text) => parse_rfc3339(text),
        None => Ok(today()),
    }
}

pub(crate) fn today() -> OffsetDateTime {
    OffsetDateTime::now_utc().replace_time(Time::MIDNIGHT)
}

/// Writes the store, prints what changed, then checks the result.
pub(crate) fn print_changes(changes: &[Change]) {
    for change in changes {
        match change {
            Change::Wrote(file) if file.ends_with(".key") => {
                println!("  {change} (private key, mode 0600: never commit it)")
            }
            _ => println!("  {change}"),
        }
    }
}

fn finish(mut store: CertStore) -> Result<ExitCode, StoreError> {
    let changes = store.write()?;
    if changes.is_empty() {
        println!("{}: nothing changed", store.label(""));
    }
    for change in &changes {
        match change {
            Change::Wrote(file) if file.ends_with(".key") => {
                println!("  {change} (private key, mode 0600: never commit it)")
            }
            _ => println!("  {change}"),
        }
    }
    check(&store)
}

pub(crate) fn check(store: &CertStore) -> Result<ExitCode, StoreError> {
    let report = store.check(OffsetDateTime::now_utc());
    print_warnings(&report.warnings);
    if !report.keys_absent.is_empty() {
        println!(
            "note: no {} (private keys are not committed); the checks that need them were skipped",
            report.keys_absent.join(", ")
        );
    }
    for err in &report.errors {
        eprintln!("error: {err}");
    }
    if report.is_ok() {
        println!("{}: certificates OK", store.label(""));
        Ok(ExitCode::SUCCESS)
    } else {
        eprintln!("{}: {} error(s)", store.label(""), report.errors.len());
        Ok(ExitCode::FAILURE)
    }
}

pub(crate) fn print_warnings(warnings: &[Warning]) {
    for w in warnings {
        eprintln!("warning: {w}");
    }
}
