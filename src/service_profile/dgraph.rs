//! Alpha's routes: the rpcs and HTTP endpoints of Dgraph's client API, named and
//! matched as `linkerd profile` does, with meshgen's choice of what may be retried.
//! Facts only; the values name routes from here (`dgraph.serviceProfile.routeTimeouts`)
//! and the dgraph bundle renders them.

use super::Route;

/// The rpcs of `service Dgraph` in `package api`, Dgraph v25's client API (dgo
/// v250, `protos/api.proto`), in file order: the order `linkerd profile --proto`
/// writes their routes in. StreamExtSnapshot is a bidirectional stream.
pub(crate) const DGRAPH_RPCS: &[&str] = &[
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

/// Every route, without timeouts: the Dgraph rpcs as `linkerd profile --proto`
/// names and matches them (with meshgen's retries), the gRPC health check, then
/// one route per HTTP endpoint and method.
pub(crate) fn routes() -> Vec<Route> {
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
pub(crate) fn route_names() -> Vec<String> {
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
}
