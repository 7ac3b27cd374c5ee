//! `gitops`: which GitOps engine applies `generated/`, and where it finds it. With an
//! engine, meshgen renders that engine's wiring (Flux's `GitRepository` and one
//! `Kustomization` per bundle, or Argo CD's `Application`s) so that the apply order and
//! its waits are part of the reviewed output rather than written by hand.

use serde::{Deserialize, Serialize};

use super::Problems;

/// The GitOps engine that applies the output, and the repository it reads it from.
#[derive(Debug, Clone, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Gitops {
    /// `none` (the default) renders no wiring; `flux` or `argocd` renders that engine's
    /// objects into `generated/gitops/`.
    pub engine: Engine,
    /// The repository the engine clones: `https://...` or `ssh://...`.
    #[serde(rename = "repoURL")]
    pub repo_url: String,
    /// The branch the engine follows.
    pub revision: String,
    /// Where the output sits in the repository, relative to its top (`generated`).
    pub path: String,
}

/// The GitOps engines meshgen can wire.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum Engine {
    /// No wiring: apply `generated/` by hand or wire an engine yourself.
    None,
    /// Flux: `source.toolkit.fluxcd.io/v1` and `kustomize.toolkit.fluxcd.io/v1`.
    Flux,
    /// Argo CD: `argoproj.io/v1alpha1` Applications.
    Argocd,
}

impl Gitops {
    /// Whether any wiring is rendered.
    pub fn enabled(&self) -> bool {
        self.engine != Engine::None
    }

    pub(crate) fn validate(&self, p: &mut Problems) {
        if !self.enabled() {
            return;
        }
        let url = self.repo_url.as_str();
        let scheme_ok = ["https://", "http://", "ssh://"]
            .iter()
            .any(|s| url.strip_prefix(s).is_some_and(|rest| !rest.is_empty()));
        if !scheme_ok || url.chars().any(char::is_whitespace) {
            p.add(
                "gitops.repoURL",
                &format!("`{url}` is not a repository address the engine can clone"),
                "give the URL with its scheme, such as https://git.example.com/platform/mesh.git or ssh://git@git.example.com/platform/mesh.git",
            );
        }
        let revision = self.revision.as_str();
        let revision_ok = !revision.is_empty()
            && !revision.starts_with(['-', '/'])
            && !revision.ends_with(['/', '.'])
            && !revision.contains("..")
            && !revision
                .chars()
                .any(|c| c.is_whitespace() || c.is_control() || "~^:?*[\\".contains(c));
        if !revision_ok {
            p.add(
                "gitops.revision",
                &format!("`{revision}` is not a branch name git accepts"),
                "give the branch the engine follows, such as main",
            );
        }
        let path = self.path.as_str();
        let path_ok = !path.is_empty()
            && !path.starts_with('/')
            && !path.ends_with('/')
            && path
                .split('/')
                .all(|part| !part.is_empty() && part != "." && part != "..")
            && !path.chars().any(|c| c.is_whitespace() || c.is_control() || c == '\\');
        if !path_ok {
            p.add(
                "gitops.path",
                &format!("`{path}` is not a folder of the repository"),
                "give the output's folder relative to the top of the repository, without ./ or a trailing slash, such as generated or deploy/prod",
            );
        }
    }
}
