//! Steps that `cargo xtask certs` takes alike on one store and on a fleet's stores:
//! reading the PEM files of an import, the start of a validity window, and printing
//! warnings, what a write changed and the webhook certificates an import minted.

use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt};

use camino::Utf8Path;
use meshgen::certs::time::{Duration, OffsetDateTime, Time};
use meshgen::certs::{
    parse_rfc3339, CertStore, CheckReport, KeySource, MintError, PemSource, StoreChange, StoreError, Warning,
};
use meshgen::fleet::certs::IdentityPems;
use meshgen::IDENTITY_ANNOTATION;

use crate::certs_args::{CertsCommand, ImportArgs, MintArgs};

fn read(path: &Utf8Path) -> Result<String, StoreError> {
    std::fs::read_to_string(path).map_err(|source| StoreError::Io {
        path: path.to_string(),
        action: "cannot read",
        source,
    })
}

/// The texts of the PEM files `certs import` names.
pub(crate) struct ImportedPems {
    anchors: String,
    issuer: String,
    issuer_key: String,
}

impl ImportedPems {
    pub(crate) fn read(args: &ImportArgs) -> Result<Self, StoreError> {
        Ok(Self {
            anchors: read(&args.trust_anchors)?,
            issuer: read(&args.issuer_cert)?,
            issuer_key: read(&args.issuer_key)?,
        })
    }

    /// Each text under the name of its file, as `args` gave it.
    pub(crate) fn sources<'a>(&'a self, args: &'a ImportArgs) -> IdentityPems<'a> {
        IdentityPems {
            anchors: PemSource::new(args.trust_anchors.as_str(), &self.anchors),
            issuer: PemSource::new(args.issuer_cert.as_str(), &self.issuer),
            issuer_key: PemSource::new(args.issuer_key.as_str(), &self.issuer_key),
        }
    }
}

/// `--not-before`, or today at 00:00 UTC: whole days, so that runs on one day agree.
pub(crate) fn not_before(args: &MintArgs) -> Result<OffsetDateTime, MintError> {
    match &args.not_before {
        Some(text) => parse_rfc3339(text),
        None => Ok(today()),
    }
}

fn today() -> OffsetDateTime {
    OffsetDateTime::now_utc().replace_time(Time::MIDNIGHT)
}

/// After an import: a render needs every webhook's certificate too, so mint those
/// missing, and `certs import` is followed by `render` with no step between.
pub(crate) fn mint_missing_webhooks(store: &mut CertStore, keys: &mut KeySource<'_>) -> Result<(), StoreError> {
    let minted = store.mint_missing_webhooks(today(), keys)?;
    if !minted.is_empty() {
        println!(
            "minted webhook certificates for {} (none were present)",
            minted.join(", ")
        );
    }
    Ok(())
}

/// What a write changed, under the store's `label`.
pub(crate) fn print_changes(label: &str, changes: &[StoreChange]) {
    if changes.is_empty() {
        println!("{label}: nothing changed");
    }
    for change in changes {
        match change {
            StoreChange::Wrote(file) if file.ends_with(".key") => {
                println!("  {change} (private key, mode 0600: never commit it)")
            }
            _ => println!("  {change}"),
        }
    }
}

pub(crate) fn print_warnings(warnings: &[Warning]) {
    for w in warnings {
        eprintln!("warning: {w}");
    }
}

/// What `later` (a check at the end of `window`) finds wrong that `now` does not: the
/// certificates that expire within the window, each said with the window.
pub(crate) fn expiring_within(now: &CheckReport, later: &CheckReport, window: Duration) -> Vec<String> {
    let window = format_window(window);
    (later.errors.iter())
        .filter(|e| !now.errors.contains(e))
        .map(|e| format!("expires within {window}: {e}"))
        .collect()
}

/// The window in its largest whole unit: `30d`, `36h` or `90m` (`72h` reads `3d`).
fn format_window(window: Duration) -> String {
    match (window.whole_days(), window.whole_hours(), window.whole_minutes()) {
        (d, h, _) if h == d * 24 && d > 0 => format!("{d}d"),
        (_, h, m) if m == h * 60 && h > 0 => format!("{h}h"),
        (_, _, m) => format!("{m}m"),
    }
}

/// After a step that changes the mesh identity (the trust bundle or the issuer): what
/// rolls by itself through git, and the one command for what meshgen does not render.
pub(crate) fn print_rollout(command: &CertsCommand) {
    let rotates = matches!(command, CertsCommand::RotateIssuer(_) | CertsCommand::RotateAnchor(_));
    if !rotates {
        return;
    }
    println!(
        "next: render and commit generated/. Every meshed workload meshgen renders carries \
         {IDENTITY_ANNOTATION}, which this step changed, so Argo CD or Flux restarts it \
         in apply order, control plane first.\n\
         Workloads meshed outside meshgen keep the old identity until they restart; this \
         restarts every workload of the namespaces whose meshed pods lack that annotation:\n  {}",
        restart_command()
    );
}

/// Restarts the Deployments, StatefulSets and DaemonSets of every namespace that runs a
/// meshed pod (the proxy injector labels them `linkerd.io/control-plane-ns`) without
/// meshgen's annotation.
fn restart_command() -> String {
    let column = IDENTITY_ANNOTATION.replace('.', "\\.");
    format!(
        "kubectl get pods --all-namespaces -l linkerd.io/control-plane-ns \
         -o custom-columns='NS:.metadata.namespace,ID:.metadata.annotations.{column}' --no-headers \
         | awk '$2 == \"<none>\" {{print $1}}' | sort -u \
         | xargs -r -I{{}} kubectl -n {{}} rollout restart deployment,statefulset,daemonset"
    )
}

/// Writes one Secret file below `secrets_out`, owner-only (0600, in 0700 directories),
/// as `shown` names it, and says how to apply it.
pub(crate) fn write_secret(
    secrets_out: &Utf8Path,
    shown: &Utf8Path,
    (path, text): (String, String),
) -> Result<(), StoreError> {
    let file = secrets_out.join(&path);
    let fail = |e: std::io::Error| StoreError::State {
        file: shown.join(&path).to_string(),
        message: format!("cannot write: {e}"),
    };
    if let Some(parent) = file.parent() {
        std::fs::DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(parent)
            .map_err(fail)?;
    }
    std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o600)
        .open(&file)
        .and_then(|mut f| std::io::Write::write_all(&mut f, text.as_bytes()))
        .map_err(fail)?;
    let dir = shown.join(&path);
    println!(
        "wrote {dir} (gitignored: never commit it)\napply it before cert-manager's objects: kubectl apply -f {}",
        dir.parent().unwrap_or(&dir)
    );
    Ok(())
}
