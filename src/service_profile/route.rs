//! One ServiceProfile route: a name, a request condition (one method and a path
//! regex), and whether the proxy may retry it.

use serde::Serialize;
use serde_json::{json, Value as Json};

/// A route of a ServiceProfile. gRPC routes come from [`Route::grpc`], HTTP routes
/// from [`Route::http`]; both match one method and one exact path.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Route {
    /// The route's name in metrics (`rt_route`): the bare rpc name for gRPC.
    pub name: String,
    /// The HTTP method the route matches (`POST` for gRPC).
    pub method: String,
    /// The path, escaped so that the regex matches exactly that path.
    pub path_regex: String,
    /// Whether the proxy may retry a failed request.
    pub is_retryable: bool,
    /// A Go duration; `None` writes no `timeout` key (Linkerd then sets no timeout).
    pub timeout: Option<String>,
}

impl Route {
    /// The route `linkerd profile --proto` writes for `rpc` of `service`: named for
    /// the rpc, matching `POST /<package>.<Service>/<Rpc>` (no package prefix when
    /// `package` is `None`).
    pub fn grpc(package: Option<&str>, service: &str, rpc: &str, is_retryable: bool) -> Self {
        let path = match package {
            Some(package) => format!("/{package}.{service}/{rpc}"),
            None => format!("/{service}/{rpc}"),
        };
        Self {
            name: rpc.to_string(),
            method: "POST".into(),
            path_regex: quote_meta(&path),
            is_retryable,
            timeout: None,
        }
    }

    /// An HTTP route named `METHOD /path`, the way `linkerd profile --open-api` names them.
    pub fn http(method: &str, path: &str, is_retryable: bool) -> Self {
        Self {
            name: format!("{method} {path}"),
            method: method.to_string(),
            path_regex: quote_meta(path),
            is_retryable,
            timeout: None,
        }
    }

    /// The route as ServiceProfile YAML has it. Keys are in the order `linkerd profile`
    /// prints them (sorted), and `isRetryable` appears only when true, as upstream's
    /// `omitempty` does, so the output diffs cleanly against upstream's.
    pub fn to_json(&self) -> Json {
        let mut route = json!({
            "condition": { "method": self.method, "pathRegex": self.path_regex },
        });
        if self.is_retryable {
            route["isRetryable"] = json!(true);
        }
        route["name"] = json!(self.name);
        if let Some(timeout) = &self.timeout {
            route["timeout"] = json!(timeout);
        }
        route
    }
}

/// Go's `regexp.QuoteMeta`, which upstream applies to every path. Hand-written
/// because `regex::escape` escapes more (`-`, `#`, `&`, `~`), which would change
/// the bytes of a path that holds them.
pub(crate) fn quote_meta(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        if r"\.+*?()|[]{}^$".contains(c) {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quote_meta_escapes_what_go_escapes_and_nothing_else() {
        assert_eq!(
            quote_meta(r"a.b+c*d?e(f)g|h[i]j{k}l^m$n\o"),
            r"a\.b\+c\*d\?e\(f\)g\|h\[i\]j\{k\}l\^m\$n\\o"
        );
        assert_eq!(quote_meta("/a-b_c#d&e~f/"), "/a-b_c#d&e~f/");
    }

    #[test]
    fn grpc_paths_carry_the_package_when_there_is_one() {
        let with = Route::grpc(Some("emojivoto.v1"), "VotingService", "VotePoop", false);
        assert_eq!(with.path_regex, r"/emojivoto\.v1\.VotingService/VotePoop");
        assert_eq!(with.name, "VotePoop");
        assert_eq!(Route::grpc(None, "Svc", "Get", false).path_regex, "/Svc/Get");
    }

    #[test]
    fn json_omits_false_retries_and_absent_timeouts() {
        let mut route = Route::http("GET", "/health", false);
        assert_eq!(
            route.to_json(),
            json!({"condition": {"method": "GET", "pathRegex": "/health"}, "name": "GET /health"})
        );
        route.is_retryable = true;
        route.timeout = Some("5s".into());
        let keys: Vec<String> = route
            .to_json()
            .as_object()
            .into_iter()
            .flat_map(|m| m.keys().cloned())
            .collect();
        assert_eq!(keys, ["condition", "isRetryable", "name", "timeout"]);
    }
}
