//! `cargo xtask`: the command line over the meshgen library. Thin on purpose:
//! every behaviour lives in the library so other tooling can call it directly.

mod certs;
mod reach;

use std::process::ExitCode;

use camino::{Utf8Path, Utf8PathBuf};
use clap::{Parser, Subcommand};
use meshgen::{output, TemplateSet, ValuesSource};

#[derive(Parser)]
#[command(name = "cargo xtask", about = "Render the meshgen manifests")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Render every bundle into the output directory (generated/ by default).
    Render(RenderArgs),
    /// Linkerd identity and webhook certificates in certs/: init, import, check, rotate.
    Certs(certs::CertsArgs),
    /// Can a client open a port on a rendered pod? Combines the NetworkPolicies and the
    /// Linkerd authorization, and names the rule that decides.
    Reach(reach::ReachArgs),
}

#[derive(clap::Args)]
struct RenderArgs {
    /// A values overlay, merged onto values/default.yaml; repeat to stack several, in order.
    #[arg(long = "values", value_name = "FILE")]
    values: Vec<Utf8PathBuf>,
    /// Where the manifests go.
    #[arg(long, value_name = "DIR")]
    out: Option<Utf8PathBuf>,
    /// Where Secrets holding private keys go (never commit this directory).
    #[arg(long = "secrets-out", value_name = "DIR")]
    secrets_out: Option<Utf8PathBuf>,
    /// The certificate store: public certificates (committed) and private keys (gitignored).
    #[arg(long, value_name = "DIR")]
    certs: Option<Utf8PathBuf>,
    /// Write nothing; fail if the output directory differs from a fresh render.
    #[arg(long)]
    check: bool,
    /// Write nothing; print a unified diff of what a render would change (and fail if anything would).
    #[arg(long)]
    diff: bool,
}

/// Default paths are relative to the repository, not the working directory, so
/// the command does the same thing wherever it is run from.
fn repo_root() -> &'static Utf8Path {
    Utf8Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/.."))
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Render(args) => render(&args),
        Command::Certs(args) => return certs::run(&args, repo_root()),
        Command::Reach(args) => return reach::run(&args, repo_root()),
    };
    match result {
        Ok(code) => code,
        Err(err) => {
            eprintln!("error: {err}");
            ExitCode::FAILURE
        }
    }
}

fn render(args: &RenderArgs) -> meshgen::Result<ExitCode> {
    let overlays = args
        .values
        .iter()
        .map(|f| ValuesSource::read(f))
        .collect::<meshgen::Result<Vec<_>>>()?;
    let values = meshgen::load_values(&overlays)?;
    let templates = TemplateSet::embedded();
    let certs_dir = args.certs.clone().unwrap_or_else(|| repo_root().join("certs"));
    let certs = meshgen::load_certs(&certs_dir)?.shown_as(args.certs.clone().unwrap_or_else(|| "certs".into()));
    // The clock decides only whether the certificates are still valid; it never
    // reaches a rendered byte.
    let report = meshgen::check_certs(&certs, meshgen::certs::time::OffsetDateTime::now_utc())?;
    for warning in &report.warnings {
        eprintln!("warning: {warning}");
    }
    let out = args.out.clone().unwrap_or_else(|| repo_root().join("generated"));
    let secrets_out = args.secrets_out.clone().unwrap_or_else(|| repo_root().join("secrets"));
    let shown = args.out.clone().unwrap_or_else(|| "generated".into());

    if args.check || args.diff {
        // Only the committed tree is checked: secrets/ is private to each machine.
        let trees = meshgen::render_trees(&values, &certs, &templates)?;
        let changes = output::changes(&out, &trees.generated);
        if args.diff {
            print!("{}", output::diff(&out, &trees.generated));
        }
        if changes.is_empty() {
            println!("{shown}/ is up to date ({} files)", trees.generated.files.len());
            return Ok(ExitCode::SUCCESS);
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

    let written = meshgen::generate(&values, &certs, &templates, &out, &secrets_out)?;
    if written.generated.is_empty() {
        println!("{shown}/ is up to date ({} files)", written.files);
    } else {
        println!(
            "{shown}/: {} file(s) changed, {} files in all",
            written.generated.len(),
            written.files
        );
        for change in &written.generated {
            println!("  {change}");
        }
    }
    let secrets_shown = args.secrets_out.clone().unwrap_or_else(|| "secrets".into());
    match &written.secrets {
        Some(changes) if !changes.is_empty() => println!(
            "{secrets_shown}/: {} file(s) changed (gitignored: apply them, never commit them)",
            changes.len()
        ),
        Some(_) => println!("{secrets_shown}/ is up to date"),
        None => {}
    }
    if !report.keys_absent.is_empty() {
        println!(
            "secrets skipped: no private keys here ({}). Mint them with `cargo xtask certs init`, \
             or bring your own with `cargo xtask certs import`; generated/ is complete without them",
            report.keys_absent.join(", ")
        );
    }
    Ok(ExitCode::SUCCESS)
}

/// The exact command that brings the checked directory up to date.
fn fix_command(args: &RenderArgs) -> String {
    let mut cmd = String::from("cargo xtask render");
    for v in &args.values {
        cmd.push_str(&format!(" --values {v}"));
    }
    if let Some(out) = &args.out {
        cmd.push_str(&format!(" --out {out}"));
    }
    cmd
}
