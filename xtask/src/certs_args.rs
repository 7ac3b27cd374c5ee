//! The flags of `cargo xtask certs` and its subcommands, which the single-store and
//! fleet modes share.

use camino::{Utf8Path, Utf8PathBuf};
use clap::{Args, Subcommand, ValueEnum};
use meshgen::certs::time;
use meshgen::certs::{DEFAULT_LINKERD_NAMESPACE, DEFAULT_TRUST_DOMAIN, DEFAULT_VIZ_NAMESPACE};

#[derive(Args)]
pub(crate) struct CertsArgs {
    #[command(subcommand)]
    pub(crate) command: CertsCommand,
    /// The fleet whose certificates to manage: one anchor in the certs directory, a
    /// store per cluster in clusters/<name>/ [default: fleet.yaml in the checkout, when it exists].
    #[arg(long, global = true, value_name = "FILE")]
    pub(crate) fleet: Option<Utf8PathBuf>,
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
    Check(CheckArgs),
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
    /// With certManager.enabled: write the `linkerd-trust-anchor` Secret (the anchor's
    /// certificate and key, from ca.crt and ca.key) that cert-manager's CA Issuer signs the
    /// identity issuer with, to <secrets-out>/trust-anchor/. Apply it before the control plane.
    TrustAnchorSecret(TrustAnchorArgs),
}

#[derive(Args)]
pub(crate) struct TrustAnchorArgs {
    #[command(flatten)]
    pub(crate) dir: DirArgs,
    /// Where Secrets go; never commit it [default: secrets/ in the checkout].
    #[arg(long = "secrets-out", value_name = "DIR")]
    pub(crate) secrets_out: Option<Utf8PathBuf>,
    /// A values overlay, as for render: the Secret goes to its linkerd.namespace. Repeatable.
    #[arg(long = "values", value_name = "FILE")]
    pub(crate) values: Vec<Utf8PathBuf>,
}

#[derive(Args)]
pub(crate) struct DirArgs {
    /// The certificate directory; a relative path is taken from the working directory
    /// [default: certs/ in the checkout].
    #[arg(long, value_name = "DIR")]
    pub(crate) dir: Option<Utf8PathBuf>,
}

#[derive(Args)]
pub(crate) struct CheckArgs {
    #[command(flatten)]
    pub(crate) dir: DirArgs,
    /// Also fail, naming it, if any certificate expires within this window: `30d`,
    /// `72h` or `90m`. For a scheduled CI job that warns a month ahead.
    #[arg(long, value_name = "DURATION", value_parser = parse_window)]
    pub(crate) within: Option<time::Duration>,
}

/// The longest `--within`: far past any certificate, and short of the calendar's end
/// (year 9999), past which the check at the window's end could not be made.
const MAX_WINDOW_DAYS: i64 = 365_000;

/// `30d`, `72h` or `90m`: a whole number and a unit.
fn parse_window(text: &str) -> Result<time::Duration, String> {
    let (number, unit) = text.split_at(text.find(|c: char| !c.is_ascii_digit()).unwrap_or(text.len()));
    let n: i64 = number
        .parse()
        .map_err(|_| format!("`{text}` is not a window; write a whole number and a unit: 30d, 72h or 90m"))?;
    let unit_seconds: i64 = match unit {
        "d" => 86_400,
        "h" => 3_600,
        "m" => 60,
        _ => return Err(format!("`{text}` has no unit; write 30d, 72h or 90m")),
    };
    (n.checked_mul(unit_seconds).map(time::Duration::seconds))
        .filter(|window| window.whole_days() <= MAX_WINDOW_DAYS)
        .ok_or_else(|| format!("`{text}` is too long a window; the longest is {MAX_WINDOW_DAYS}d (about 1000 years)"))
}

#[derive(Args)]
pub(crate) struct MintArgs {
    #[command(flatten)]
    pub(crate) dir: DirArgs,
    /// Start of the validity window (RFC 3339); default: today, 00:00 UTC.
    #[arg(long = "not-before", value_name = "RFC3339")]
    pub(crate) not_before: Option<String>,
}

#[derive(Args)]
pub(crate) struct InitArgs {
    #[command(flatten)]
    pub(crate) mint: MintArgs,
    /// Trust domain of the mesh; the issuer is named identity.<namespace>.<trust domain>.
    #[arg(long = "trust-domain", default_value = DEFAULT_TRUST_DOMAIN)]
    pub(crate) trust_domain: String,
    /// Namespace of the Linkerd control plane (and of its webhooks).
    #[arg(long, default_value = DEFAULT_LINKERD_NAMESPACE)]
    pub(crate) namespace: String,
    /// Namespace of the viz extension (tap, tap-injector).
    #[arg(long = "viz-namespace", default_value = DEFAULT_VIZ_NAMESPACE)]
    pub(crate) viz_namespace: String,
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

impl CertsCommand {
    /// The `--dir` the subcommand was given.
    pub(crate) fn dir(&self) -> Option<&Utf8Path> {
        let dir = match self {
            Self::Init(a) => &a.mint.dir,
            Self::Import(a) => &a.dir,
            Self::Check(a) => &a.dir,
            Self::RotateIssuer(a) | Self::RenewWebhooks(a) => &a.dir,
            Self::RotateAnchor(a) => &a.mint.dir,
            Self::TrustAnchorSecret(a) => &a.dir,
        };
        dir.dir.as_deref()
    }
}
