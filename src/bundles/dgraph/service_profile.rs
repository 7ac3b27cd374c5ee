//! Alpha's ServiceProfile as the template needs it: every route of
//! [`crate::service_profile::dgraph`], with the timeouts and retry budget of the values.

use serde::Serialize;

use crate::service_profile::dgraph::routes;
use crate::service_profile::{Route, Target};
use crate::values::service_profile::{RetryBudget, ServiceProfile};
use crate::values::Values;

/// What the ServiceProfile template needs.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct View {
    /// `<release>-dgraph-alpha.<namespace>.svc.<cluster domain>`.
    pub name: String,
    pub routes: Vec<Route>,
    pub retry_budget: RetryBudget,
}

impl View {
    pub(crate) fn new(values: &Values) -> Self {
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

#[cfg(test)]
mod tests {
    use super::*;

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
