//! `cargo xtask render`: one cluster, or the fleet in `fleet_render` when there is a
//! fleet file. What both do with the finished render is in `render_steps`.

use std::process::ExitCode;

use meshgen::certs::time::OffsetDateTime;
use meshgen::Change;
use meshgen::{Output, Renderer, Utf8Path, WriteReport};

use crate::place::Place;
use crate::render_args::RenderArgs;
use crate::render_steps::{OutputDirs, RenderOutput};
use crate::{fleet_file, fleet_render, render_steps};

pub(crate) fn run(args: &RenderArgs, place: &Place) -> meshgen::Result<ExitCode> {
    if let Some(fleet) = fleet_file::find(args.fleet.as_deref(), place) {
        return fleet_render::run(args, place, &fleet);
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
    let fleet_certs = certs_dir.join(meshgen::fleet::CLUSTERS_DIR);
    if fleet_certs.is_dir() {
        eprintln!(
            "note: {}/ holds a fleet's certificates, but no fleet file is in use: this renders the single cluster. \
             To render the fleet, pass --fleet FILE, or put fleet.yaml at the top of the checkout",
            place.shown(&fleet_certs)
        );
    }
    let certs = meshgen::load_certs(&certs_dir)?.shown_as(place.shown(&certs_dir));
    // The clock decides only whether the certificates are still valid; it never
    // reaches a rendered byte.
    let mut output = renderer.certs(certs).render(OffsetDateTime::now_utc())?;
    if args.allow_replace {
        output = output.allowing_replacements();
    }
    render_steps::finish(&output, args, place)
}

impl RenderOutput for Output {
    type Written = WriteReport;

    fn warnings(&self) -> Vec<String> {
        Output::warnings(self).iter().map(ToString::to_string).collect()
    }

    fn stream(&self, with_secrets: bool) -> String {
        Output::stream(self, with_secrets)
    }

    fn skipped_secrets(&self) -> Vec<String> {
        (Output::skipped_secrets(self).iter())
            .map(|s| format!("{} (needs {})", s.secret, s.key_file))
            .collect()
    }

    fn unsealed(&self, out: &Utf8Path) -> meshgen::Result<Vec<String>> {
        Output::unsealed(self, out)
    }

    fn check(&self, out: &Utf8Path) -> meshgen::Result<Vec<Change>> {
        Output::check(self, out)
    }

    fn diff(&self, out: &Utf8Path, shown: &str, color: bool) -> meshgen::Result<String> {
        Output::diff(self, out, shown, color)
    }

    fn impact(&self, dirs: &OutputDirs) -> meshgen::Result<meshgen::Impact> {
        Output::impact(self, &dirs.out, &dirs.secrets_out)
    }

    fn stale_secrets(&self, secrets_out: &Utf8Path) -> meshgen::Result<usize> {
        Ok(self.check_secrets(secrets_out)?.map_or(0, |changes| changes.len()))
    }

    fn counted(&self, out: &Utf8Path) -> meshgen::Result<String> {
        Ok(format!("{} files", self.generated_at(out)?.files.len()))
    }

    fn write(&self, dirs: &OutputDirs) -> meshgen::Result<WriteReport> {
        Output::write(self, &dirs.out, &dirs.secrets_out)
    }

    fn changed(written: &WriteReport) -> usize {
        written.generated.len()
    }

    fn report(&self, written: &WriteReport, dirs: &OutputDirs) {
        for change in &written.generated {
            println!("  {}", change.done());
        }
        let (shown, secrets_shown) = (&dirs.shown, &dirs.secrets_shown);
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
        let skipped = self.skipped_secrets();
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
    }
}
