//! `cargo xtask schema`: writes (or checks) values.schema.json, the JSON schema of a
//! values overlay, at the top of the checkout.

use std::process::ExitCode;

use crate::place::Place;

#[derive(clap::Args)]
pub(crate) struct SchemaArgs {
    /// Write nothing; fail if the file is not what would be written.
    #[arg(long)]
    check: bool,
}

/// Writes (or checks) `values.schema.json` at the top of the checkout.
pub(crate) fn run(args: &SchemaArgs, place: &Place) -> meshgen::Result<ExitCode> {
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
