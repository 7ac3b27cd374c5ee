//! The one error type of meshgen. Every variant names where the problem is (a file,
//! a dotted values path, a template, an object) and its message says what to do.

use std::fmt;

#[derive(Debug, thiserror::Error)]
/// Everything that can stop a render, a check or a write.
pub enum Error {
    /// A values file is not readable YAML.
    #[error("{file}: not valid YAML: {message}\n  help: {help}")]
    ValuesSyntax {
        /// The file concerned, named as given.
        file: String,
        /// What is wrong.
        message: String,
        /// What to do about it.
        help: String,
    },

    /// A values key is unknown, has the wrong type or an invalid value.
    #[error("{file}: `{path}`: {message}\n  help: {help}")]
    Values {
        /// The file concerned, named as given.
        file: String,
        /// The dotted key, such as `dgraph.alpha.replicas`.
        path: String,
        /// What is wrong.
        message: String,
        /// What to do about it.
        help: String,
    },

    /// A template failed to render (syntax error, undefined variable, bad filter input).
    #[error("template {template}: {message}\n  help: fix the template at the place shown, or the value it reads (values/default.yaml lists every key)")]
    Template {
        /// The template's name, such as `dgraph/statefulset-alpha.yaml.j2`.
        template: String,
        /// What is wrong.
        message: String,
    },

    /// A template rendered text that is not YAML, or not a Kubernetes object.
    #[error(
        "template {template}: {message}\n  help: the template must render YAML documents, each one Kubernetes object"
    )]
    Document {
        /// The template's name, such as `dgraph/statefulset-alpha.yaml.j2`.
        template: String,
        /// What is wrong.
        message: String,
    },

    /// An object does not match its schema (unknown or misspelt field, wrong type).
    #[error("{object}: `{path}`: {message}\n  help: the template must write this field as the object's schema defines it; if a value feeds it, check that value's type and range")]
    Schema {
        /// The object, as `Kind namespace/name (template ...)`.
        object: String,
        /// The field's path in the object, such as `spec.replicas`.
        path: String,
        /// What is wrong.
        message: String,
    },

    /// Two templates rendered objects that would be written to the same file.
    #[error("{file}: rendered twice (by {first} and {second})\n  help: object names must be unique per bundle; rename one of the two objects")]
    DuplicateObject {
        /// The file concerned, named as given.
        file: String,
        /// What rendered it first.
        first: String,
        /// What rendered it again.
        second: String,
    },

    /// Certificates are missing, invalid or expired.
    #[error("{message}\n  help: {help}")]
    Certs {
        /// What is wrong.
        message: String,
        /// What to do about it.
        help: String,
        /// The typed error it came from, where there is one, for callers that match
        /// on it (the message already says everything it says).
        #[source]
        source: Option<Box<CertsSource>>,
    },

    /// A non-Secret object holds a private key, which would land in committed output.
    #[error("{object}: holds a private key\n  help: keys belong only in Secret objects, which go to secrets/ and never to generated/")]
    KeyMaterial {
        /// The object, as `Kind namespace/name (template ...)`.
        object: String,
    },

    /// A Secret sealed for git (`secrets.sops`) in the output directory cannot be kept
    /// as it is.
    #[error("{file}: {message}\n  help: {help}")]
    Sealed {
        /// The sealed file, below the output directory.
        file: String,
        /// What is wrong with it.
        message: String,
        /// What to do about it.
        help: String,
    },

    /// A `.proto` file is not valid protobuf (`cargo xtask profile`).
    #[error("{file}:{line}:{column}: {message}\n  help: fix the protobuf at that place; the file is read as protoc reads it, without its imports")]
    Proto {
        /// The file concerned, named as given.
        file: String,
        /// 1-based line.
        line: usize,
        /// 1-based column.
        column: usize,
        /// What is wrong.
        message: String,
    },

    /// A ServiceProfile's service, namespace or cluster domain is not a valid name.
    #[error("{what} {value:?} is not a valid name\n  help: {help}")]
    Profile {
        /// Which name: the service, the namespace or the cluster domain.
        what: &'static str,
        /// The value given.
        value: String,
        /// What to do about it.
        help: String,
    },

    /// An output directory would put files where they must not go (key material
    /// where git can see it, a symbolic link followed, a repository swallowed).
    #[error("{path}: {message}\n  help: {help}")]
    Placement {
        /// The directory or file refused.
        path: String,
        /// Why.
        message: String,
        /// What to do about it.
        help: String,
    },

    /// The render changes a field that the API server refuses to update on a live
    /// object, so applying it would fail.
    #[error("{object}: `{field}` cannot change on a live object, so an apply would be refused{}\n  help: {help}; or render with --allow-replace (library: Output::allowing_replacements) to write it anyway", others_note(*others))]
    Immutable {
        /// The object, as `Kind namespace/name`.
        object: String,
        /// The field, as a dotted path.
        field: String,
        /// How many other such changes the render makes.
        others: usize,
        /// How to make the change safely.
        help: String,
    },

    /// A Secret could not be sealed with SOPS, or a sealed file could not be opened (not
    /// in SOPS's format, no matching identity, or changed since it was sealed).
    #[error("SOPS: {message}\n  help: {help}")]
    Sops {
        /// What is wrong.
        message: String,
        /// What to do about it.
        help: String,
    },

    /// A filesystem operation failed.
    #[error("{path}: {action}: {source}\n  help: check that {path} exists and that you may read and write it")]
    Io {
        /// The file or directory.
        path: String,
        /// What was being done.
        action: &'static str,
        /// The operating system's error.
        source: std::io::Error,
    },
}

/// "(and 2 more such changes)", or nothing.
fn others_note(others: usize) -> String {
    match others {
        0 => String::new(),
        n => format!(" (and {n} more such change{})", if n == 1 { "" } else { "s" }),
    }
}

impl Error {
    pub(crate) fn io(path: impl fmt::Display, action: &'static str, source: std::io::Error) -> Self {
        Error::Io {
            path: path.to_string(),
            action,
            source,
        }
    }
}

/// The typed cause of an [`Error::Certs`].
#[derive(Debug, thiserror::Error)]
pub enum CertsSource {
    /// The certificate store could not be read or changed.
    #[error(transparent)]
    Store(#[from] crate::certs::StoreError),
    /// The certificates are invalid at the time of the check, each for its reason.
    #[error("{} certificate problem(s)", .0.len())]
    Certificates(Vec<crate::certs::CertError>),
}

/// meshgen's result type.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// What to do when the certificates a render needs are absent or unreadable. Library
/// users have no `cargo xtask`, so each fix names the method as well as the command.
pub(crate) const MINT_OR_IMPORT: &str =
    "mint certificates with `cargo xtask certs init` (library: `CertStore::init`), \
     or bring your own with `cargo xtask certs import` (library: `CertStore::import_identity`)";

/// Where the certificate operations are, for both kinds of user.
pub(crate) const CERT_COMMANDS: &str =
    "`cargo xtask certs --help` lists the commands; library: the `CertStore` methods";

impl From<crate::certs::CertError> for Error {
    fn from(err: crate::certs::CertError) -> Self {
        Error::Certs {
            message: err.to_string(),
            help: MINT_OR_IMPORT.into(),
            source: Some(Box::new(CertsSource::Certificates(vec![err]))),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::Error;

    /// Every message ends in what to do: one of each variant, and a match that stops
    /// compiling when a variant is added without being listed here.
    #[test]
    fn every_variant_says_what_to_do() {
        let s = || "x".to_string();
        let all = [
            Error::ValuesSyntax {
                file: s(),
                message: s(),
                help: s(),
            },
            Error::Values {
                file: s(),
                path: s(),
                message: s(),
                help: s(),
            },
            Error::Template {
                template: s(),
                message: s(),
            },
            Error::Document {
                template: s(),
                message: s(),
            },
            Error::Schema {
                object: s(),
                path: s(),
                message: s(),
            },
            Error::DuplicateObject {
                file: s(),
                first: s(),
                second: s(),
            },
            Error::Certs {
                message: s(),
                help: s(),
                source: None,
            },
            Error::KeyMaterial { object: s() },
            Error::Sealed {
                file: s(),
                message: s(),
                help: s(),
            },
            Error::Proto {
                file: s(),
                line: 1,
                column: 1,
                message: s(),
            },
            Error::Profile {
                what: "service",
                value: s(),
                help: s(),
            },
            Error::Placement {
                path: s(),
                message: s(),
                help: s(),
            },
            Error::Immutable {
                object: s(),
                field: s(),
                others: 1,
                help: s(),
            },
            Error::Sops {
                message: s(),
                help: s(),
            },
            Error::io("x", "reading", std::io::Error::other("x")),
        ];
        for err in &all {
            match err {
                Error::ValuesSyntax { .. }
                | Error::Values { .. }
                | Error::Template { .. }
                | Error::Document { .. }
                | Error::Schema { .. }
                | Error::DuplicateObject { .. }
                | Error::Certs { .. }
                | Error::KeyMaterial { .. }
                | Error::Sealed { .. }
                | Error::Proto { .. }
                | Error::Profile { .. }
                | Error::Placement { .. }
                | Error::Immutable { .. }
                | Error::Sops { .. }
                | Error::Io { .. } => {}
            }
            assert!(err.to_string().contains("\n  help: "), "{err}");
        }
    }
}
