//! Alpha's ServiceProfile: a route for each gRPC method and HTTP endpoint Alpha
//! serves, so that `linkerd viz routes` shows them and the proxy can retry the
//! safe ones and time each out.

use serde::Serialize;

use crate::profile::{Route, Target};
use crate::values::service_profile::{RetryBudget, ServiceProfile};
use crate::values::Values;

/// The rpcs of `service Dgraph` in `package api`, Dgraph v25's client API (dgo
/// v250, `protos/api.proto`), in file order: the order `linkerd profile --proto`
/// writes their routes in. StreamExtSnapshot is a bidirectional stream.
pub const DGRAPH_RPCS: &[&str] = &[
    "Login",
    "Query",
    "Alter",
    "CommitOrAbort",
    "CheckVersion",
    "RunDQL",
    "AllocateIDs",
    "UpdateExtSnapshotStreamingState",
    "StreamExtSnapshot",
    "CreateNamespace",
    "DropNamespace",
    "ListNamespaces",
];

/// rpcs that change nothing, so a retry is safe. api.proto marks none with an
/// idempotency option, so upstream's generator retries none: this is meshgen's
/// choice. Query is left out because a request can carry mutations.
const READ_ONLY_RPCS: &[&str] = &["CheckVersion", "ListNamespaces"];

/// An endpoint of Alpha's HTTP API (v25.4) and the methods it answers.
struct Endpoint {
    path: &'static str,
    methods: &'static [&'static str],
    /// Changes nothing, so a retry is safe.
    read_only: bool,
}

const HTTP_ENDPOINTS: &[Endpoint] = &[
    Endpoint::changing("/query", &["POST", "PUT"]),
    Endpoint::changing("/mutate", &["POST", "PUT"]),
    Endpoint::changing("/commit", &["POST", "PUT"]),
    Endpoint::changing("/alter", &["POST", "PUT"]),
    Endpoint::changing("/login", &["POST", "PUT"]),
    Endpoint::changing("/admin/schema", &["POST", "PUT"]),
    Endpoint::read_only("/health"),
    Endpoint::read_only("/state"),
    Endpoint::read_only("/probe/graphql"),
    Endpoint::read_only("/ui/keywords"),
    // GraphQL over GET is a query, but a POST may be a mutation; one rule for both.
    Endpoint::changing("/graphql", &["GET", "POST"]),
    Endpoint::changing("/admin", &["GET", "POST"]),
];

impl Endpoint {
    const fn changing(path: &'static str, methods: &'static [&'static str]) -> Self {
        Self {
            path,
            methods,
            read_only: false,
        }
    }

    const fn read_only(path: &'static str) -> Self {
        Self {
            path,
            methods: &["GET"],
            read_only: true,
        }
    }
}

/// What the ServiceProfile template needs.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct View {
    /// `<release>-dgraph-alpha.<namespace>.svc.<cluster domain>`.
    pub name: String,
    pub routes: Vec<Route>,
    pub retry_budget: RetryBudget,
}

impl View {
    pub fn new(values: &Values) -> Self {
        let d = &values.dgraph;
        let target = Target {
            service: format!("{}-dgraph-alpha", d.release),
            namespace: d.namespace.clone(),
            cluster_domain: values.cluster_domain.clone(),
        };
        let profile = &d.service_profile;
        let routes = routes()
            .into_iter()
            .map(|route| Route {
                timeout: timeout(profile, &route.name),
                ..route
            })
            .collect();
        Self {
            name: target.profile_name(),
            routes,
            retry_budget: profile.retry_budget.clone(),
        }
    }
}

/// The route's own entry in `routeTimeouts` if it has one (null: none), else the default.
fn timeout(profile: &ServiceProfile, route: &str) -> Option<String> {
    match profile.route_timeouts.get(route) {
        Some(own) => own.clone(),
        None => profile.timeout.clone(),
    }
}

/// Every route, without timeouts: the Dgraph rpcs as `linkerd profile --proto`
/// names and matches them (with meshgen's retries), the gRPC health check, then
/// one route per HTTP endpoint and method.
pub fn routes() -> Vec<Route> {
    let grpc = DGRAPH_RPCS
        .iter()
        .map(|rpc| Route::grpc(Some("api"), "Dgraph", rpc, READ_ONLY_RPCS.contains(rpc)));
    // Alpha serves the standard health service on its gRPC port too.
    let health = Route::grpc(Some("grpc.health.v1"), "Health", "Check", true);
    let http = HTTP_ENDPOINTS.iter().flat_map(|e| {
        e.methods
            .iter()
            .map(move |method| Route::http(method, e.path, e.read_only))
    });
    grpc.chain([health]).chain(http).collect()
}

/// The route names `dgraph.serviceProfile.routeTimeouts` may use.
pub fn route_names() -> Vec<String> {
    routes().into_iter().map(|r| r.name).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_routes_that_change_nothing_are_retryable() {
        let retryable: Vec<String> = routes()
            .into_iter()
            .filter(|r| r.is_retryable)
            .map(|r| r.name)
            .collect();
        assert_eq!(
            retryable,
            [
                "CheckVersion",
                "ListNamespaces",
                "Check",
                "GET /health",
                "GET /state",
                "GET /probe/graphql",
                "GET /ui/keywords"
            ]
        );
    }

    #[test]
    fn route_names_are_unique() {
        let mut names = route_names();
        let count = names.len();
        names.sort();
        names.dedup();
        assert_eq!(names.len(), count);
    }

    #[test]
    fn timeouts_come_from_the_route_then_the_default() {
        let mut values = crate::Values::defaults().expect("default values load");
        let profile = &mut values.dgraph.service_profile;
        profile.timeout = Some("7s".into());
        profile.route_timeouts.clear();
        profile.route_timeouts.insert("Alter".into(), Some("3m".into()));
        profile.route_timeouts.insert("StreamExtSnapshot".into(), None);
        let view = View::new(&values);
        let of = |name: &str| {
            view.routes
                .iter()
                .find(|r| r.name == name)
                .and_then(|r| r.timeout.clone())
        };
        assert_eq!(of("Alter").as_deref(), Some("3m"));
        assert_eq!(of("StreamExtSnapshot"), None);
        assert_eq!(of("POST /query").as_deref(), Some("7s"));
        assert_eq!(view.name, "demo-dgraph-alpha.dgraph.svc.cluster.local");
    }
}
