//! Values of Alpha's ServiceProfile (`dgraph.serviceProfile`): whether to render
//! it, per-route timeouts, and the retry budget.

use indexmap::IndexMap;
use serde::{Deserialize, Serialize};

use super::Problems;
use crate::api_rules::duration;

#[derive(Debug, Clone, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
/// Alpha's ServiceProfile: per-route metrics, timeouts and retries.
pub struct ServiceProfile {
    /// `false` renders no ServiceProfile.
    pub enabled: bool,
    /// Timeout of every route that `route_timeouts` does not name; `None` sets none.
    pub timeout: Option<String>,
    /// Timeouts by route name; a `None` entry gives that route no timeout.
    pub route_timeouts: IndexMap<String, Option<String>>,
    /// How many retries the proxies may add.
    pub retry_budget: RetryBudget,
}

/// How many retries the proxy may add, as a share of the requests it sends.
#[derive(Debug, Clone, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct RetryBudget {
    /// Retries allowed, as a share of the requests sent (0.2: one retry per five).
    pub retry_ratio: f64,
    /// Retries always allowed per second, whatever the ratio.
    pub min_retries_per_second: u32,
    /// Over how long the ratio is measured, as a Go duration.
    pub ttl: String,
}

impl ServiceProfile {
    pub(crate) fn validate(&self, at: &str, p: &mut Problems) {
        if let Some(timeout) = &self.timeout {
            p.check(&format!("{at}.timeout"), duration(timeout));
        }
        let names = crate::service_profile::dgraph::route_names();
        for (route, timeout) in &self.route_timeouts {
            let path = format!("{at}.routeTimeouts.{route}");
            if !names.contains(route) {
                p.add(
                    &path,
                    "is not a route of the profile",
                    &format!("use a route name: {}", names.join(", ")),
                );
            }
            if let Some(timeout) = timeout {
                p.check(&path, duration(timeout));
            }
        }
        let budget = &self.retry_budget;
        if !(budget.retry_ratio.is_finite() && budget.retry_ratio >= 0.0) {
            p.add(
                &format!("{at}.retryBudget.retryRatio"),
                &format!("{} is not a ratio", budget.retry_ratio),
                "give a number of 0 or more: 0.2 lets retries add 20% to the requests sent",
            );
        }
        if i32::try_from(budget.min_retries_per_second).is_err() {
            p.add(
                &format!("{at}.retryBudget.minRetriesPerSecond"),
                "is too large",
                "the ServiceProfile schema takes a 32-bit signed integer; Linkerd's default is 10",
            );
        }
        p.check(&format!("{at}.retryBudget.ttl"), duration(&budget.ttl));
    }
}
