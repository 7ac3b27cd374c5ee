//! What `cargo xtask render` does with a finished render, one cluster's or a fleet's
//! alike: print the certificate warnings, then print the stream (`--stdout`,
//! `--with-secrets`), compare with the output directory (`--check`, `--diff`), or check
//! the placement and write.

use std::io::IsTerminal;
use std::process::ExitCode;

use camino::{Utf8Path, Utf8PathBuf};
use meshgen::Change;

use crate::place::Place;
use crate::render_args::RenderArgs;

/// A finished render as the steps here use it: `meshgen::Output` for one cluster,
/// a fleet's output in fleet mode.
pub(crate) trait RenderOutput {
    /// What writing returns.
    type Written;

    /// The certificate warnings, each as printed after `warning: `.
    fn warnings(&self) -> Vec<String>;
    /// Every object as one YAML stream, as `--stdout` prints it.
    fn stream(&self, with_secrets: bool) -> String;
    /// The Secrets left out for want of their private keys, each as
    /// `namespace/name (needs <key file>)`.
    fn skipped_secrets(&self) -> Vec<String>;
    /// The sealed Secrets this machine cannot bring up to date in `out`, as `<path>: <why>`.
    fn unsealed(&self, out: &Utf8Path) -> meshgen::Result<Vec<String>>;
    /// What writing would change in `out`; empty when it is up to date.
    fn check(&self, out: &Utf8Path) -> meshgen::Result<Vec<Change>>;
    /// A unified diff of `out` against this render.
    fn diff(&self, out: &Utf8Path, shown: &str, color: bool) -> meshgen::Result<String>;
    /// What applying the render would do to the cluster that runs what `dirs` hold.
    fn impact(&self, dirs: &OutputDirs) -> meshgen::Result<meshgen::Impact>;
    /// How many files writing would change in `secrets_out`.
    fn stale_secrets(&self, secrets_out: &Utf8Path) -> meshgen::Result<usize>;
    /// What the output directory holds, as its summary line counts it ("12 files").
    fn counted(&self, out: &Utf8Path) -> meshgen::Result<String>;
    /// Writes the generated and the secrets trees.
    fn write(&self, dirs: &OutputDirs) -> meshgen::Result<Self::Written>;
    /// How many generated files the write changed.
    fn changed(written: &Self::Written) -> usize;
    /// Prints what the write changed, after the summary line.
    fn report(&self, written: &Self::Written, dirs: &OutputDirs);
}

/// Where the two trees go, and how messages name them.
pub(crate) struct OutputDirs {
    /// The generated tree: `--out`, else generated/ in the checkout.
    pub out: Utf8PathBuf,
    /// `out` as messages name it.
    pub shown: Utf8PathBuf,
    /// The Secrets holding private keys: `--secrets-out`, else secrets/ in the checkout.
    pub secrets_out: Utf8PathBuf,
    /// `secrets_out` as messages name it.
    pub secrets_shown: Utf8PathBuf,
}

impl OutputDirs {
    fn of(args: &RenderArgs, place: &Place) -> Self {
        let out = place.path(args.out.as_deref(), "generated");
        let secrets_out = place.path(args.secrets_out.as_deref(), "secrets");
        Self {
            shown: place.shown(&out),
            secrets_shown: place.shown(&secrets_out),
            out,
            secrets_out,
        }
    }
}

/// Everything after the render: the warnings, then `--stdout`, `--check` / `--diff`, or
/// the write.
pub(crate) fn finish<R: RenderOutput>(output: &R, args: &RenderArgs, place: &Place) -> meshgen::Result<ExitCode> {
    for warning in output.warnings() {
        eprintln!("warning: {warning}");
    }
    if args.stdout {
        let skipped = output.skipped_secrets();
        if args.with_secrets && !skipped.is_empty() {
            return Err(meshgen::Error::Certs {
                message: format!(
                    "--with-secrets: {} Secret(s) cannot be streamed, for want of their private keys on this machine: {}",
                    skipped.len(),
                    skipped.join(", ")
                ),
                help: "mint the keys with `cargo xtask certs init`, bring them with `cargo xtask certs import`, or stream without --with-secrets".into(),
                source: None,
            });
        }
        print!("{}", output.stream(args.with_secrets));
        return Ok(ExitCode::SUCCESS);
    }
    let dirs = OutputDirs::of(args, place);
    for problem in output.unsealed(&dirs.out)? {
        eprintln!("warning: {}/{problem}", dirs.shown);
    }
    if args.check || args.diff {
        return check(output, args, &dirs);
    }
    refuse_checkout_root(place, &dirs.out)?;
    // Read before the write replaces what it compares with.
    let impact = output.impact(&dirs)?;
    let written = output.write(&dirs)?;
    let (shown, counted) = (&dirs.shown, output.counted(&dirs.out)?);
    match R::changed(&written) {
        0 => println!("{shown}/ is up to date ({counted})"),
        changed => println!("{shown}/: {changed} file(s) changed, {counted} in all"),
    }
    output.report(&written, &dirs);
    print!("{impact}");
    Ok(ExitCode::SUCCESS)
}

/// `--check` and `--diff`: compares, writes nothing, fails when anything is out of date.
fn check(output: &impl RenderOutput, args: &RenderArgs, dirs: &OutputDirs) -> meshgen::Result<ExitCode> {
    let shown = &dirs.shown;
    let changes = output.check(&dirs.out)?;
    if args.diff {
        let color = std::io::stdout().is_terminal() && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty());
        print!("{}", output.diff(&dirs.out, shown.as_str(), color)?);
    }
    // secrets/ is private to this machine: only named, never diffed.
    let stale_secrets = output.stale_secrets(&dirs.secrets_out)?;
    if stale_secrets > 0 {
        eprintln!(
            "{}/ is out of date ({stale_secrets} file(s)): an interrupted render or new keys; run `cargo xtask render` to update it",
            dirs.secrets_shown
        );
    }
    if changes.is_empty() {
        println!("{shown}/ is up to date ({})", output.counted(&dirs.out)?);
        return Ok(if stale_secrets == 0 {
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
    eprint!("{}", output.impact(dirs)?);
    eprintln!("run `{}` to update it, then commit the result", args.fix_command());
    Ok(ExitCode::FAILURE)
}

/// `--out` at the checkout's root, or above it, would take the checkout for output.
fn refuse_checkout_root(place: &Place, out: &Utf8Path) -> meshgen::Result<()> {
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
