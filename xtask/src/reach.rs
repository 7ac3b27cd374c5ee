//! `cargo xtask reach --from … --to …`: asks meshgen's reachability evaluator
//! whether a client can open a port on a rendered pod. Thin over `meshgen::reach`.
//! In a fleet, both sides name their cluster (`CLUSTER:…`), and a client may sit in
//! another cluster than its target (`meshgen::reach::across`).

use std::collections::BTreeMap;
use std::process::ExitCode;

use camino::{Utf8Path, Utf8PathBuf};
use clap::Args;
use meshgen::certs::time::OffsetDateTime;
use meshgen::reach::{Cluster, Query};
use meshgen::{Fleet, Manifest, Renderer};

use crate::fleet_file;
use crate::place::Place;

#[derive(Args)]
pub(crate) struct ReachArgs {
    /// The client: NS/key=value[,key=value...][,sa=SA][,unmeshed][,ip=ADDR], NS/WORKLOAD
    /// for a rendered Deployment or StatefulSet, or `kubelet`.
    #[arg(long, value_name = "CLIENT")]
    from: String,
    /// The target: NS/WORKLOAD:PORT, such as dgraph/alpha:9080 (WORKLOAD may be the
    /// pods' component label).
    #[arg(long, value_name = "TARGET")]
    to: String,
    /// A values overlay to render with; repeat to stack several, in order.
    #[arg(long = "values", value_name = "FILE")]
    values: Vec<Utf8PathBuf>,
    /// Read the objects from a rendered directory (such as generated/) instead of rendering.
    /// In a fleet, each cluster is read from DIR/clusters/NAME/.
    #[arg(long, value_name = "DIR", conflicts_with = "values")]
    dir: Option<Utf8PathBuf>,
    /// Ask about this fleet [default: fleet.yaml in the checkout, when it exists]. Then
    /// --from and --to start with a cluster's name: `west:pydgraph-client/pydgraph-client`,
    /// `east:dgraph/alpha:9080`.
    #[arg(long, value_name = "FILE", conflicts_with = "values")]
    fleet: Option<Utf8PathBuf>,
    /// The certificate store to render with [default: certs/ in the checkout].
    #[arg(long, value_name = "DIR", conflicts_with = "dir")]
    certs: Option<Utf8PathBuf>,
}

/// Exits 0 when the connection is allowed, 1 when it is denied, 2 on an error.
pub(crate) fn run(args: &ReachArgs, place: &Place) -> ExitCode {
    match answer(args, place) {
        Ok(verdict) => {
            print!("{verdict}");
            if verdict.allowed() {
                ExitCode::SUCCESS
            } else {
                ExitCode::from(1)
            }
        }
        Err(message) => {
            eprintln!("error: {message}");
            ExitCode::from(2)
        }
    }
}

fn answer(args: &ReachArgs, place: &Place) -> Result<meshgen::reach::Verdict, String> {
    if let Some(fleet) = fleet_file::find(args.fleet.as_deref(), place) {
        return across(args, place, &fleet);
    }
    for (flag, text) in [("--from", &args.from), ("--to", &args.to)] {
        if let Some((cluster, _)) = text.split_once(':').filter(|(c, _)| !c.contains('/')) {
            return Err(format!(
                "{flag} {text:?} names cluster {cluster:?}, and only a fleet has clusters\n  help: pass --fleet FILE, or put fleet.yaml at the top of the checkout; without a fleet, write NAMESPACE/NAME"
            ));
        }
    }
    let query = Query::parse(&args.from, &args.to).map_err(|e| e.to_string())?;
    let manifests = match &args.dir {
        Some(dir) => read_dir(dir)?,
        None => render(&args.values, args.certs.as_deref(), place).map_err(|e| e.to_string())?,
    };
    let cluster = Cluster::from_manifests(&manifests).map_err(|e| e.to_string())?;
    cluster.evaluate(&query).map_err(|e| e.to_string())
}

/// `CLUSTER:REST` into the cluster and the rest.
fn cluster_of<'a>(flag: &str, text: &'a str, fleet: &Fleet) -> Result<(&'a str, &'a str), String> {
    let names = fleet.names().join(", ");
    let (cluster, rest) = text.split_once(':').filter(|(c, _)| !c.contains('/')).ok_or_else(|| {
        format!(
            "{flag} {text:?} names no cluster\n  help: in a fleet, write CLUSTER:{text}, with CLUSTER one of {names}"
        )
    })?;
    fleet.cluster(cluster).map_err(|_| {
        format!("{flag} names cluster {cluster:?}, which the fleet does not list\n  help: name one of {names}")
    })?;
    Ok((cluster, rest))
}

/// A question across the fleet: each side's objects, rendered or read from --dir.
fn across(args: &ReachArgs, place: &Place, file: &Utf8Path) -> Result<meshgen::reach::Verdict, String> {
    let fleet = fleet_file::load(file, place).map_err(|e| e.to_string())?;
    let (source, from) = cluster_of("--from", &args.from, &fleet)?;
    let (target, to) = cluster_of("--to", &args.to, &fleet)?;
    let query = Query::parse(from, to).map_err(|e| e.to_string())?;
    let mut objects: BTreeMap<String, Vec<Manifest>> = BTreeMap::new();
    match &args.dir {
        Some(dir) => {
            let dir = place.path(Some(dir), "generated");
            for name in [source, target] {
                let path = meshgen::fleet::FleetOutput::dir_of(&dir, name);
                objects.insert(name.to_string(), read_dir(&path)?);
            }
        }
        None => {
            let output =
                fleet_file::render(&fleet, args.certs.as_deref(), None, None, place).map_err(|e| e.to_string())?;
            for (name, out) in output.clusters() {
                objects.insert(name.clone(), out.objects().cloned().collect());
            }
        }
    }
    let of = |name: &str| objects.get(name).map(Vec::as_slice).unwrap_or_default();
    if source == target {
        let cluster = Cluster::from_manifests(of(source)).map_err(|e| e.to_string())?;
        return cluster.evaluate(&query).map_err(|e| e.to_string());
    }
    meshgen::reach::across(source, of(source), target, of(target), &query).map_err(|e| e.to_string())
}

/// Renders in memory, as `cargo xtask render` would, and keeps the objects.
fn render(values: &[Utf8PathBuf], certs: Option<&Utf8Path>, place: &Place) -> meshgen::Result<Vec<Manifest>> {
    let mut renderer = Renderer::from_checkout(&place.root)?.certs_dir(&place.path(certs, "certs"))?;
    for file in values {
        renderer = renderer.values_file(file)?;
    }
    let output = renderer.render(OffsetDateTime::now_utc())?;
    Ok(output.objects().cloned().collect())
}

/// Every object of every `*.yaml` file under `dir`.
fn read_dir(dir: &Utf8Path) -> Result<Vec<Manifest>, String> {
    let mut files = Vec::new();
    let mut stack = vec![dir.to_owned()];
    while let Some(d) = stack.pop() {
        let entries = d.read_dir_utf8().map_err(|e| format!("{d}: {e}"))?;
        for entry in entries {
            let path = entry.map_err(|e| format!("{d}: {e}"))?.path().to_owned();
            if path.is_dir() {
                stack.push(path);
            } else if path.extension() == Some("yaml") {
                files.push(path);
            }
        }
    }
    files.sort();
    let mut manifests = Vec::new();
    for file in files {
        let text = std::fs::read_to_string(&file).map_err(|e| format!("{file}: {e}"))?;
        manifests.extend(Manifest::parse_file(file.as_str(), &text).map_err(|e| format!("{file}: {e}"))?);
    }
    Ok(manifests)
}
