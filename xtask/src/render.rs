//! `cargo xtask render` and `cargo xtask schema`.

use std::io::IsTerminal;
use std::process::ExitCode;

use meshgen::certs::time::OffsetDateTime;
use meshgen::{Renderer, Utf8PathBuf};

use crate::Place;

#[derive(clap::Args)]
pub struct RenderArgs {
    /// A values overlay, merged onto values/default.yaml; repeat to stack several, in order.
    #[arg(long = "values", value_name = "FILE")]
    pub values: Vec<Utf8PathBuf>,
    /// Set one key, after every --values file: `--set dgraph.alpha.replicas=5`. The value is
    /// read as YAML; write `\.` for a dot inside a key. Repeatable.
    #[arg(long = "set", value_name = "KEY=VALUE")]
    pub set: Vec<String>,
    /// Where the manifests go [default: generated/ in the checkout].
    #[arg(long, value_name = "DIR")]
    pub out: Option<Utf8PathBuf>,
    /// Where Secrets holding private keys go; never commit it [default: secrets/ in the checkout].
    #[arg(long = "secrets-out", value_name = "DIR")]
    pub secrets_out: Option<Utf8PathBuf>,
    /// The certificate store: public certificates (committed) and private keys (gitignored)
    /// [default: certs/ in the checkout].
    #[arg(long, value_name = "DIR")]
    pub certs: Option<Utf8PathBuf>,
    /// Write nothing; fail if the output directory differs from a fresh render.
    #[arg(long, conflicts_with = "stdout")]
    pub check: bool,
    /// Write nothing; print a unified diff of what a render would change (and fail if anything would).
    #[arg(long, conflicts_with = "stdout")]
    pub diff: bool,
    /// Write nothing; print every object as one YAML stream in apply order, for `kubectl apply -f -`.
    #[arg(long)]
    pub stdout: bool,
    /// With --stdout: include the Secrets that hold private keys, each at its turn in the order.
    #[arg(long = "with-secrets", requires = "stdout")]
    pub with_secrets: bool,
    /// Render the fleet this file lists [default: fleet.yaml in the checkout, when it exists].
    #[arg(long, value_name = "FILE")]
    pub fleet: Option<Utf8PathBuf>,
    /// With a fleet: render only this cluster (into <out>/clusters/NAME/).
    #[arg(long, value_name = "NAME")]
    pub cluster: Option<String>,
    /// With a fleet: how many clusters render at once [default: the number of cores].
    /// The output is the same whatever the number.
    #[arg(long, short = 'j', value_name = "N")]
    pub jobs: Option<std::num::NonZeroUsize>,
}

pub fn run(args: &RenderArgs, place: &Place) -> meshgen::Result<ExitCode> {
    if let Some(fleet) = crate::fleet::file(args.fleet.as_deref(), place) {
        return crate::fleet::render(args, place, &fleet);
    }
    if args.cluster.is_some() || args.jobs.is_some() {
        return Err(meshgen::Error::Placement {
            path: place.shown(&place.root.join(meshgen::fleet::FLEET_FILE)).to_string(),
            message: "--cluster and --jobs need a fleet file, and there is none".into(),
            help: "pass --fleet FILE, or create fleet.yaml at the top of the checkout (see the README's \"Fleets\")"
                .into(),
        });
    }
    let mut renderer = Renderer::from_checkout(&place.root)?;
    // A relative path opens from the working directory and is named as typed.
    for file in &args.values {
        renderer = renderer.values_file(file)?;
    }
    for assignment in &args.set {
        renderer = renderer.set(assignment)?;
    }
    let certs_dir = place.path(args.certs.as_deref(), "certs");
    let certs = meshgen::load_certs(&certs_dir)?.shown_as(place.shown(&certs_dir));
    // The clock decides only whether the certificates are still valid; it never
    // reaches a rendered byte.
    let output = renderer.certs(certs).render(OffsetDateTime::now_utc())?;
    for warning in output.warnings() {
        eprintln!("warning: {warning}");
    }
    if args.stdout {
        print!("{}", output.stream(args.with_secrets));
        return Ok(ExitCode::SUCCESS);
    }

    let out = place.path(args.out.as_deref(), "generated");
    let shown = place.shown(&out);
    let secrets_out = place.path(args.secrets_out.as_deref(), "secrets");
    let secrets_shown = place.shown(&secrets_out);
    if args.check || args.diff {
        let changes = output.check(&out)?;
        if args.diff {
            let color = std::io::stdout().is_terminal() && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty());
            print!("{}", output.diff(&out, shown.as_str(), color)?);
        }
        // secrets/ is private to this machine: only named, never diffed.
        let stale_secrets = output.check_secrets(&secrets_out)?.unwrap_or_default();
        if !stale_secrets.is_empty() {
            eprintln!(
                "{secrets_shown}/ is out of date ({} file(s)): an interrupted render or new keys; run `cargo xtask render` to update it",
                stale_secrets.len()
            );
        }
        if changes.is_empty() {
            println!("{shown}/ is up to date ({} files)", output.generated().files.len());
            return Ok(if stale_secrets.is_empty() {
                ExitCode::SUCCESS
            } else {
                ExitCode::FAILURE
            });
        }
        eprintln!(
            "{shown}/ is out of date: {} file(s) differ from a fresh render:",
            changes.len()
        );
        for change in &changes {
            eprintln!("  {change}");
        }
        eprintln!("run `{}` to update it, then commit the result", fix_command(args));
        return Ok(ExitCode::FAILURE);
    }

    refuse_checkout_root(place, &out)?;
    let written = output.write(&out, &secrets_out)?;
    if written.generated.is_empty() {
        println!("{shown}/ is up to date ({} files)", written.files);
    } else {
        println!(
            "{shown}/: {} file(s) changed, {} files in all",
            written.generated.len(),
            written.files
        );
        for change in &written.generated {
            println!("  {}", change.done());
        }
    }
    match &written.secrets {
        Some(changes) if !changes.is_empty() => {
            println!(
                "{secrets_shown}/: {} file(s) changed (gitignored: apply them, never commit them)",
                changes.len()
            );
            for change in changes {
                println!("  {}", change.done());
            }
        }
        Some(_) => println!("{secrets_shown}/ is up to date"),
        None => {}
    }
    let skipped = output.skipped_secrets();
    if !skipped.is_empty() {
        println!("secrets skipped, for want of their private keys on this machine:");
        for s in skipped {
            println!("  {} (needs {})", s.secret, s.key_file);
        }
        println!(
            "  {shown}/ is complete without them. Mint keys with `cargo xtask certs init`, or bring \
             your own with `cargo xtask certs import`, then render again"
        );
    }
    Ok(ExitCode::SUCCESS)
}

/// `--out` at the checkout's root, or above it, would take the checkout for output.
pub fn refuse_checkout_root(place: &Place, out: &meshgen::Utf8Path) -> meshgen::Result<()> {
    let (out_real, root) = (meshgen::resolved_path(out), meshgen::resolved_path(&place.root));
    if root.starts_with(&out_real) {
        return Err(meshgen::Error::Placement {
            path: out.to_string(),
            message: format!("holds the meshgen checkout {}", place.root),
            help: "pass a directory of its own, such as generated/ inside the checkout".into(),
        });
    }
    Ok(())
}

/// The exact command that brings the checked directory up to date.
pub fn fix_command(args: &RenderArgs) -> String {
    let mut cmd = String::from("cargo xtask render");
    for v in &args.values {
        cmd.push_str(&format!(" --values {v}"));
    }
    for s in &args.set {
        cmd.push_str(&format!(" --set {}", shell_quote(s)));
    }
    if let Some(certs) = &args.certs {
        cmd.push_str(&format!(" --certs {certs}"));
    }
    if let Some(out) = &args.out {
        cmd.push_str(&format!(" --out {out}"));
    }
    if let Some(fleet) = &args.fleet {
        cmd.push_str(&format!(" --fleet {fleet}"));
    }
    if let Some(cluster) = &args.cluster {
        cmd.push_str(&format!(" --cluster {cluster}"));
    }
    cmd
}

/// Quotes an argument for a POSIX shell unless it is made of safe characters only.
fn shell_quote(s: &str) -> String {
    if s.chars().all(|c| c.is_ascii_alphanumeric() || "-_./=:,@".contains(c)) {
        s.to_string()
    } else {
        format!("'{}'", s.replace('\'', r"'\''"))
    }
}

#[derive(clap::Args)]
pub struct SchemaArgs {
    /// Write nothing; fail if the file is not what would be written.
    #[arg(long)]
    check: bool,
}

/// Writes (or checks) `values.schema.json` at the top of the checkout.
pub fn schema(args: &SchemaArgs, place: &Place) -> meshgen::Result<ExitCode> {
    let path = place.root.join(meshgen::values::SCHEMA_FILE);
    let text = meshgen::values::schema_json();
    let current = std::fs::read_to_string(&path).unwrap_or_default();
    if current == text {
        println!("{} is up to date", meshgen::values::SCHEMA_FILE);
        return Ok(ExitCode::SUCCESS);
    }
    if args.check {
        eprintln!(
            "{} is out of date; run `cargo xtask schema` and commit it",
            meshgen::values::SCHEMA_FILE
        );
        return Ok(ExitCode::FAILURE);
    }
    std::fs::write(&path, text).map_err(|e| meshgen::Error::Io {
        path: path.to_string(),
        action: "cannot write",
        source: e,
    })?;
    println!("wrote {}", meshgen::values::SCHEMA_FILE);
    Ok(ExitCode::SUCCESS)
}
