//! ApplicationSet: Applications generated from a template, one per parameter set that
//! its generators produce (a list, clusters, Git folders or files, SCM repositories,
//! pull requests, a plugin, or matrix and merge combinations of those).
//!
//! Upstream types a generator at the top of `spec.generators` fully, and one nested in a
//! matrix or merge the same way but for its own `matrix` and `merge`, which it keeps as
//! raw JSON (`x-kubernetes-preserve-unknown-fields`): so does [`generator`] with
//! `nested`. Every SCM and pull-request provider is typed in full.

use super::super::common::k8s_label_selector;
use super::super::dsl::*;
use super::super::{Definition, Version};
use super::application::{health_status, resource_status};
use super::{application, string_map, strings, ARGOPROJ};

/// ApplicationSetTemplate: the Application each parameter set becomes. Its metadata is
/// a subset of ObjectMeta; its spec is an Application's.
fn template() -> Schema {
    let metadata = object([
        ("name", string()),
        ("namespace", string()),
        ("labels", string_map()),
        ("annotations", string_map()),
        ("finalizers", strings()),
    ]);
    object([("metadata", metadata), ("spec", application::spec())]).required(["metadata", "spec"])
}

/// `requeueAfterSeconds`: how often a generator is evaluated again.
fn requeue() -> Schema {
    int64()
}

/// SecretRef: a key of a Secret in Argo CD's namespace.
fn secret_ref() -> Schema {
    object([("secretName", string()), ("key", string())]).required(["secretName", "key"])
}

/// ConfigMapKeyRef: a key of a ConfigMap, such as a CA bundle.
fn config_map_key_ref() -> Schema {
    object([("configMapName", string()), ("key", string())]).required(["configMapName", "key"])
}

/// BasicAuthBitbucketServer: a user name and the Secret key of its password.
fn basic_auth() -> Schema {
    object([("username", string()), ("passwordRef", secret_ref())]).required(["username", "passwordRef"])
}

/// BearerTokenBitbucket (and its Cloud twin): the Secret key of a token.
fn bearer_token() -> Schema {
    object([("tokenRef", secret_ref())]).required(["tokenRef"])
}

fn list() -> Schema {
    object([
        (
            "elements",
            array(any_value()).doc("Parameter sets, each kept as written"),
        ),
        ("template", template()),
        ("elementsYaml", string()),
    ])
}

fn clusters() -> Schema {
    object([
        ("selector", k8s_label_selector()),
        ("template", template()),
        ("values", string_map()),
        ("flatList", boolean()),
    ])
}

fn git() -> Schema {
    let item = || object([("path", string()), ("exclude", boolean())]).required(["path"]);
    object([
        ("repoURL", string()),
        ("directories", array(item())),
        ("files", array(item())),
        ("revision", string()),
        ("requeueAfterSeconds", requeue()),
        ("template", template()),
        ("pathParamPrefix", string()),
        ("values", string_map()),
    ])
    .required(["repoURL", "revision"])
}

/// SCMProviderGenerator: every repository of an organisation on a forge.
fn scm_provider() -> Schema {
    let github = object([
        ("organization", string()),
        ("api", string()),
        ("tokenRef", secret_ref()),
        ("appSecretName", string()),
        ("allBranches", boolean()),
        ("excludeArchivedRepos", boolean()),
    ])
    .required(["organization"]);
    let gitlab = object([
        ("group", string()),
        ("includeSubgroups", boolean()),
        ("api", string()),
        ("tokenRef", secret_ref()),
        ("allBranches", boolean()),
        ("insecure", boolean()),
        ("includeSharedProjects", boolean()),
        ("topic", string()),
        ("caRef", config_map_key_ref()),
        ("includeArchivedRepos", boolean()),
    ])
    .required(["group"]);
    let bitbucket = object([
        ("owner", string()),
        ("user", string()),
        ("appPasswordRef", secret_ref()),
        ("allBranches", boolean()),
    ])
    .required(["owner", "user", "appPasswordRef"]);
    let bitbucket_server = object([
        ("project", string()),
        ("api", string()),
        ("basicAuth", basic_auth()),
        ("allBranches", boolean()),
        ("bearerToken", bearer_token()),
        ("insecure", boolean()),
        ("caRef", config_map_key_ref()),
    ])
    .required(["project", "api"]);
    let gitea = object([
        ("owner", string()),
        ("api", string()),
        ("tokenRef", secret_ref()),
        ("allBranches", boolean()),
        ("insecure", boolean()),
        ("excludeArchivedRepos", boolean()),
    ])
    .required(["owner", "api"]);
    let azure_devops = object([
        ("organization", string()),
        ("api", string()),
        ("teamProject", string()),
        ("accessTokenRef", secret_ref()),
        ("allBranches", boolean()),
    ])
    .required(["organization", "teamProject", "accessTokenRef"]);
    let filter = object([
        ("repositoryMatch", string()),
        ("pathsExist", strings()),
        ("pathsDoNotExist", strings()),
        ("labelMatch", string()),
        ("branchMatch", string()),
    ]);
    let tag_filter = object([("key", string()), ("value", string())]).required(["key"]);
    let aws_code_commit = object([
        ("tagFilters", array(tag_filter)),
        ("role", string()),
        ("region", string()),
        ("allBranches", boolean()),
    ]);
    object([
        ("github", github),
        ("gitlab", gitlab),
        ("bitbucket", bitbucket),
        ("bitbucketServer", bitbucket_server),
        ("gitea", gitea),
        ("azureDevOps", azure_devops),
        ("filters", array(filter)),
        ("cloneProtocol", string()),
        ("requeueAfterSeconds", requeue()),
        ("template", template()),
        ("values", string_map()),
        ("awsCodeCommit", aws_code_commit),
    ])
}

/// DuckTypeGenerator: clusters listed in the status of a resource such as a Placement.
fn cluster_decision_resource() -> Schema {
    object([
        ("configMapRef", string()),
        ("name", string()),
        ("requeueAfterSeconds", requeue()),
        ("labelSelector", k8s_label_selector()),
        ("template", template()),
        ("values", string_map()),
    ])
    .required(["configMapRef"])
}

/// PullRequestGenerator: the open pull requests of one repository.
fn pull_request() -> Schema {
    let github = object([
        ("owner", string()),
        ("repo", string()),
        ("api", string()),
        ("tokenRef", secret_ref()),
        ("appSecretName", string()),
        ("labels", strings()),
    ])
    .required(["owner", "repo"]);
    let gitlab = object([
        ("project", string()),
        ("api", string()),
        ("tokenRef", secret_ref()),
        ("labels", strings()),
        ("pullRequestState", string()),
        ("insecure", boolean()),
        ("caRef", config_map_key_ref()),
    ])
    .required(["project"]);
    let gitea = object([
        ("owner", string()),
        ("repo", string()),
        ("api", string()),
        ("tokenRef", secret_ref()),
        ("insecure", boolean()),
        ("labels", strings()),
    ])
    .required(["owner", "repo", "api"]);
    let bitbucket_server = object([
        ("project", string()),
        ("repo", string()),
        ("api", string()),
        ("basicAuth", basic_auth()),
        ("bearerToken", bearer_token()),
        ("insecure", boolean()),
        ("caRef", config_map_key_ref()),
    ])
    .required(["project", "repo", "api"]);
    let filter = object([
        ("branchMatch", string()),
        ("targetBranchMatch", string()),
        ("titleMatch", string()),
    ]);
    let bitbucket = object([
        ("owner", string()),
        ("repo", string()),
        ("api", string()),
        ("basicAuth", basic_auth()),
        ("bearerToken", bearer_token()),
    ])
    .required(["owner", "repo"]);
    let azure_devops = object([
        ("organization", string()),
        ("project", string()),
        ("repo", string()),
        ("api", string()),
        ("tokenRef", secret_ref()),
        ("labels", strings()),
    ])
    .required(["organization", "project", "repo"]);
    object([
        ("github", github),
        ("gitlab", gitlab),
        ("gitea", gitea),
        ("bitbucketServer", bitbucket_server),
        ("filters", array(filter)),
        ("requeueAfterSeconds", requeue()),
        ("template", template()),
        ("bitbucket", bitbucket),
        ("azuredevops", azure_devops),
        ("values", string_map()),
        ("continueOnRepoNotFoundError", boolean()),
    ])
}

/// PluginGenerator: parameter sets from a plugin's HTTP service; its input is the
/// plugin's business, kept as written.
fn plugin() -> Schema {
    let config_map_ref = object([("name", string())]).required(["name"]);
    object([
        ("configMapRef", config_map_ref),
        ("input", object([("parameters", map_of(any_value()))])),
        ("requeueAfterSeconds", requeue()),
        ("template", template()),
        ("values", string_map()),
    ])
    .required(["configMapRef"])
}

/// A MatrixGenerator (`merge_keys` false: the product of two generators' parameter
/// sets) or a MergeGenerator (true: sets joined on their merge keys).
fn combination(merge_keys: bool) -> Schema {
    let mut combined = object([("generators", array(generator(true)))]);
    if merge_keys {
        combined = combined.prop("mergeKeys", strings());
    }
    combined = combined.prop("template", template());
    match merge_keys {
        true => combined.required(["generators", "mergeKeys"]),
        false => combined.required(["generators"]),
    }
}

/// ApplicationSetGenerator, or with `nested` an ApplicationSetNestedGenerator (inside a
/// matrix or merge), whose own `matrix` and `merge` upstream keeps as raw JSON.
fn generator(nested: bool) -> Schema {
    let (matrix, merge) = match nested {
        true => (any_value(), any_value()),
        false => (combination(false), combination(true)),
    };
    object([
        ("list", list()),
        ("clusters", clusters()),
        ("git", git()),
        ("scmProvider", scm_provider()),
        ("clusterDecisionResource", cluster_decision_resource()),
        ("pullRequest", pull_request()),
        ("matrix", matrix),
        ("merge", merge),
        ("selector", k8s_label_selector()),
        ("plugin", plugin()),
    ])
}

/// ApplicationSetStrategy: how changes roll out to the generated Applications.
fn strategy() -> Schema {
    let expression = object([("key", string()), ("operator", string()), ("values", strings())]);
    let step = object([
        ("matchExpressions", array(expression)),
        ("maxUpdate", int_or_string().any_of([integer(), string()])),
    ]);
    object([
        ("type", string()),
        ("rollingSync", object([("steps", array(step))])),
        ("deletionOrder", string()),
    ])
}

fn spec() -> Schema {
    let sync_policy = object([
        ("preserveResourcesOnDeletion", boolean()),
        (
            "applicationsSync",
            string().one_of_values(["create-only", "create-update", "create-delete", "sync"]),
        ),
    ]);
    let ignore_difference = object([
        ("name", string()),
        ("jsonPointers", strings()),
        ("jqPathExpressions", strings()),
    ]);
    object([
        (
            "goTemplate",
            boolean().doc("Whether the template is a Go template rather than fasttemplate"),
        ),
        ("generators", array(generator(false))),
        ("template", template()),
        ("syncPolicy", sync_policy),
        ("strategy", strategy()),
        (
            "preservedFields",
            object([("annotations", strings()), ("labels", strings())]),
        ),
        ("goTemplateOptions", strings()),
        ("applyNestedSelectors", boolean()),
        ("ignoreApplicationDifferences", array(ignore_difference)),
        (
            "templatePatch",
            string().doc("A templated patch applied to each generated Application"),
        ),
    ])
    .required(["generators", "template"])
}

fn status() -> Schema {
    let condition = object([
        ("type", string()),
        ("message", string()),
        ("lastTransitionTime", date_time()),
        ("status", string()),
        ("reason", string()),
    ])
    .required(["type", "message", "status", "reason"]);
    let application_status = object([
        ("application", string()),
        ("lastTransitionTime", date_time()),
        ("message", string()),
        ("status", string()),
        ("step", string()),
        ("targetRevisions", strings()),
    ])
    .required(["application", "message", "status", "step", "targetRevisions"]);
    object([
        ("conditions", array(condition)),
        ("applicationStatus", array(application_status)),
        ("resources", array(resource_status())),
        ("resourcesCount", int64()),
        ("health", health_status()),
    ])
    .doc("Set by the ApplicationSet controller")
}

pub(in super::super) fn application_set() -> Definition {
    let root = object([
        ("apiVersion", string()),
        ("kind", string()),
        ("metadata", bare_object()),
        ("spec", spec()),
        ("status", status()),
    ])
    .required(["metadata", "spec"])
    .doc("A template and generators that Argo CD turns into Applications.");
    Definition {
        group: ARGOPROJ,
        kind: "ApplicationSet",
        plural: "applicationsets",
        singular: "applicationset",
        list_kind: true,
        short_names: &["appset", "appsets"],
        categories: &[],
        placeholder_status: false,
        extension: Some("argocd"),
        versions: vec![Version::new("v1alpha1", root).stored().with_status()],
    }
}
