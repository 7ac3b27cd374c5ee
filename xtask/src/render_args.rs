//! The flags of `cargo xtask render`, which its single-cluster and fleet modes share,
//! and the command line that repeats them.

use camino::Utf8PathBuf;

#[derive(clap::Args)]
pub(crate) struct RenderArgs {
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
    /// Write even where the render changes a field the API server refuses to update on
    /// a live object (a StatefulSet's volumeClaimTemplates, a selector, ...); the summary
    /// then lists the object as "replace, not update".
    #[arg(long = "allow-replace")]
    pub allow_replace: bool,
    /// With a fleet: render only this cluster (into <out>/clusters/NAME/).
    #[arg(long, value_name = "NAME")]
    pub cluster: Option<String>,
    /// With a fleet: how many clusters render at once [default: the number of cores].
    /// The output is the same whatever the number.
    #[arg(long, short = 'j', value_name = "N")]
    pub jobs: Option<std::num::NonZeroUsize>,
}

impl RenderArgs {
    /// The exact command that brings the checked directory up to date.
    pub(crate) fn fix_command(&self) -> String {
        let mut cmd = String::from("cargo xtask render");
        for v in &self.values {
            cmd.push_str(&format!(" --values {v}"));
        }
        for s in &self.set {
            cmd.push_str(&format!(" --set {}", shell_quote(s)));
        }
        if let Some(certs) = &self.certs {
            cmd.push_str(&format!(" --certs {certs}"));
        }
        if let Some(out) = &self.out {
            cmd.push_str(&format!(" --out {out}"));
        }
        if let Some(fleet) = &self.fleet {
            cmd.push_str(&format!(" --fleet {fleet}"));
        }
        if let Some(cluster) = &self.cluster {
            cmd.push_str(&format!(" --cluster {cluster}"));
        }
        cmd
    }
}

/// Quotes an argument for a POSIX shell unless it is made of safe characters only.
fn shell_quote(s: &str) -> String {
    if s.chars().all(|c| c.is_ascii_alphanumeric() || "-_./=:,@".contains(c)) {
        s.to_string()
    } else {
        format!("'{}'", s.replace('\'', r"'\''"))
    }
}
