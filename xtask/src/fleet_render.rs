//! `cargo xtask render` in fleet mode (a fleet file exists): every cluster, or the one
//! `--cluster` names, into `<out>/clusters/<name>/`. What it does with the finished
//! render is in `render_steps`, as for one cluster.

use std::process::ExitCode;

use camino::Utf8Path;
use meshgen::Change;
use meshgen::{FleetOutput, WriteReport};

use crate::place::Place;
use crate::render_args::RenderArgs;
use crate::render_steps::{OutputDirs, RenderOutput};
use crate::{fleet_file, render_steps};

pub(crate) fn run(args: &RenderArgs, place: &Place, file: &Utf8Path) -> meshgen::Result<ExitCode> {
    if !args.values.is_empty() || !args.set.is_empty() {
        return Err(meshgen::Error::Values {
            file: place.shown(file).to_string(),
            path: "clusters".into(),
            message: "--values and --set do not apply to a fleet".into(),
            help: "list overlays in the fleet file: `values` for every cluster, `clusters[].values` for one".into(),
        });
    }
    let fleet = fleet_file::load(file, place)?;
    let only = args.cluster.as_deref();
    let mut output = fleet_file::render(&fleet, args.certs.as_deref(), args.jobs, only, place)?;
    if args.allow_replace {
        output = output.allowing_replacements();
    }
    render_steps::finish(&FleetRender { output, only }, args, place)
}

/// A fleet's render, and the one cluster it was limited to, if any.
struct FleetRender<'a> {
    output: FleetOutput,
    only: Option<&'a str>,
}

impl RenderOutput for FleetRender<'_> {
    type Written = Vec<(String, WriteReport)>;

    fn warnings(&self) -> Vec<String> {
        (self.output.clusters().iter())
            .flat_map(|(name, cluster)| cluster.warnings().iter().map(move |w| format!("cluster {name}: {w}")))
            .collect()
    }

    fn stream(&self, with_secrets: bool) -> String {
        self.output.stream(with_secrets)
    }

    fn skipped_secrets(&self) -> Vec<String> {
        (self.output.clusters().iter())
            .flat_map(|(name, cluster)| {
                (cluster.skipped_secrets().iter())
                    .map(move |s| format!("cluster {name}: {} (needs {})", s.secret, s.key_file))
            })
            .collect()
    }

    fn unsealed(&self, out: &Utf8Path) -> meshgen::Result<Vec<String>> {
        self.output.unsealed(out)
    }

    fn check(&self, out: &Utf8Path) -> meshgen::Result<Vec<Change>> {
        self.output.check(out)
    }

    fn diff(&self, out: &Utf8Path, shown: &str, color: bool) -> meshgen::Result<String> {
        self.output.diff(out, shown, color)
    }

    fn impact(&self, dirs: &OutputDirs) -> meshgen::Result<meshgen::Impact> {
        self.output.impact(&dirs.out, &dirs.secrets_out)
    }

    fn stale_secrets(&self, secrets_out: &Utf8Path) -> meshgen::Result<usize> {
        Ok(self.output.check_secrets(secrets_out)?.len())
    }

    /// "2 clusters, 40 files", or "cluster west, 20 files" with `--cluster`.
    fn counted(&self, out: &Utf8Path) -> meshgen::Result<String> {
        let files: usize = self
            .output
            .clusters()
            .iter()
            .map(|(name, o)| Ok(o.generated_at(&meshgen::FleetOutput::dir_of(out, name))?.files.len()))
            .sum::<meshgen::Result<usize>>()?;
        Ok(match self.only {
            Some(name) => format!("cluster {name}, {files} files"),
            None => format!("{} clusters, {files} files", self.output.clusters().len()),
        })
    }

    fn write(&self, dirs: &OutputDirs) -> meshgen::Result<Self::Written> {
        self.output.write(&dirs.out, &dirs.secrets_out)
    }

    fn changed(written: &Self::Written) -> usize {
        written.iter().map(|(_, w)| w.generated.len()).sum()
    }

    fn report(&self, written: &Self::Written, dirs: &OutputDirs) {
        for (name, w) in written {
            // The unnamed entry is the top of the trees: the files a single-cluster
            // render or a dropped cluster left there, now removed.
            let prefix = match name.as_str() {
                "" => String::new(),
                name => format!("clusters/{name}/"),
            };
            for change in &w.generated {
                println!("  {}", change.clone().prefixed(&prefix).done());
            }
            if let Some(secrets) = w.secrets.as_ref().filter(|c| !c.is_empty()) {
                println!(
                    "{}/{prefix}: {} file(s) changed (gitignored: apply them, never commit them)",
                    dirs.secrets_shown,
                    secrets.len()
                );
            }
        }
        for (name, cluster) in self.output.clusters() {
            for s in cluster.skipped_secrets() {
                println!(
                    "cluster {name}: secret {} skipped, for want of {}",
                    s.secret, s.key_file
                );
            }
        }
    }
}
