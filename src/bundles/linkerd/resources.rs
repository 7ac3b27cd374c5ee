//! Replicas, disruption budgets, affinity and resources of the Linkerd control
//! plane, in normal or high-availability mode, with values-ha.yaml's figures for
//! whatever the user left unset.

use serde::Serialize;
use serde_json::{json, Map, Value as Json};

use crate::values::linkerd::{ProxyResources, RequestLimit};

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Controllers {
    pub replicas: u32,
    /// The Deployments' `rollingUpdate.maxUnavailable`: `25%`, or 1 in HA mode.
    pub max_unavailable: Json,
    /// `maxUnavailable` of every PodDisruptionBudget (rendered in HA mode only).
    pub pdb_max_unavailable: u32,
    pub pod_disruption_budgets: bool,
    pub pod_anti_affinity: bool,
    /// `Ignore`, or `Fail` in HA mode: webhooks fail closed.
    pub webhook_failure_policy: &'static str,
    /// Requests and limits of each controller container; all `None` outside HA mode.
    pub resources: ControllerResources,
}

#[derive(Debug, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct ControllerResources {
    /// The chart's `controllerResources`, which the others default to.
    pub controller: Option<Resources>,
    pub destination: Option<Resources>,
    pub identity: Option<Resources>,
    pub heartbeat: Option<Resources>,
    pub proxy_injector: Option<Resources>,
    pub sp_validator: Option<Resources>,
}

/// Requests and limits, both as the chart's values write them (for linkerd-config)
/// and as a container's `resources` field.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Resources {
    pub values: ChartResources,
    /// `{limits, requests}` holding only the quantities set; `None` (written as null,
    /// like the chart's empty `resources:`) when none is.
    pub container: Option<Json>,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct ChartResources {
    pub cpu: RequestLimit,
    pub memory: RequestLimit,
    /// Absent from values-ha.yaml's controller resources.
    pub ephemeral_storage: Option<RequestLimit>,
}

/// What values-ha.yaml sets, for whatever the user left unset.
mod ha {
    pub(super) const REPLICAS: u32 = 3;
    pub(super) const PROXY_CPU_REQUEST: &str = "100m";
    pub(super) const PROXY_MEMORY_REQUEST: &str = "20Mi";
    pub(super) const PROXY_MEMORY_LIMIT: &str = "250Mi";
    pub(super) const CONTROLLER_CPU_REQUEST: &str = "100m";
    pub(super) const CONTROLLER_MEMORY_REQUEST: &str = "50Mi";
    pub(super) const CONTROLLER_MEMORY_LIMIT: &str = "250Mi";
    /// The identity controller needs less memory than the others.
    pub(super) const IDENTITY_MEMORY_REQUEST: &str = "10Mi";
}

impl Controllers {
    pub(super) fn new(high_availability: bool) -> Self {
        if !high_availability {
            return Self {
                replicas: 1,
                max_unavailable: json!("25%"),
                pdb_max_unavailable: 1,
                pod_disruption_budgets: false,
                pod_anti_affinity: false,
                webhook_failure_policy: "Ignore",
                resources: ControllerResources::default(),
            };
        }
        let controller = |memory_request: &str| {
            Resources::new(ChartResources {
                cpu: request_limit(ha::CONTROLLER_CPU_REQUEST, ""),
                memory: request_limit(memory_request, ha::CONTROLLER_MEMORY_LIMIT),
                ephemeral_storage: None,
            })
        };
        let shared = controller(ha::CONTROLLER_MEMORY_REQUEST);
        Self {
            replicas: ha::REPLICAS,
            max_unavailable: json!(1),
            pdb_max_unavailable: 1,
            pod_disruption_budgets: true,
            pod_anti_affinity: true,
            webhook_failure_policy: "Fail",
            resources: ControllerResources {
                controller: Some(shared.clone()),
                destination: Some(shared.clone()),
                identity: Some(controller(ha::IDENTITY_MEMORY_REQUEST)),
                heartbeat: Some(shared.clone()),
                proxy_injector: Some(shared.clone()),
                sp_validator: Some(shared),
            },
        }
    }
}

impl Resources {
    fn new(values: ChartResources) -> Self {
        let container = container_resources(&values);
        Self { values, container }
    }
}

/// The proxy's requests and limits: what the values set, with values-ha.yaml's
/// figures for those left empty in HA mode.
pub(super) fn proxy_resources(r: &ProxyResources, high_availability: bool) -> Resources {
    let or_ha = |set: &str, ha_value: &str| match (set.is_empty(), high_availability) {
        (true, true) => ha_value.to_string(),
        _ => set.to_string(),
    };
    Resources::new(ChartResources {
        cpu: RequestLimit {
            request: or_ha(&r.cpu.request, ha::PROXY_CPU_REQUEST),
            limit: r.cpu.limit.clone(),
        },
        memory: RequestLimit {
            request: or_ha(&r.memory.request, ha::PROXY_MEMORY_REQUEST),
            limit: or_ha(&r.memory.limit, ha::PROXY_MEMORY_LIMIT),
        },
        ephemeral_storage: Some(r.ephemeral_storage.clone()),
    })
}

fn request_limit(request: &str, limit: &str) -> RequestLimit {
    RequestLimit {
        request: request.to_string(),
        limit: limit.to_string(),
    }
}

/// A container's `resources`: limits first, then requests, each holding only the
/// quantities that are set; `None` when nothing is.
pub(crate) fn container_resources(r: &ChartResources) -> Option<Json> {
    let none = RequestLimit::default();
    let storage = r.ephemeral_storage.as_ref().unwrap_or(&none);
    let named = [("cpu", &r.cpu), ("memory", &r.memory), ("ephemeral-storage", storage)];
    let pick = |get: fn(&RequestLimit) -> &str| {
        named
            .iter()
            .filter(|(_, rl)| !get(rl).is_empty())
            .map(|(name, rl)| (name.to_string(), json!(get(rl))))
            .collect::<Map<String, Json>>()
    };
    let mut out = Map::new();
    let limits = pick(|rl| &rl.limit);
    if !limits.is_empty() {
        out.insert("limits".into(), Json::Object(limits));
    }
    let requests = pick(|rl| &rl.request);
    if !requests.is_empty() {
        out.insert("requests".into(), Json::Object(requests));
    }
    (!out.is_empty()).then_some(Json::Object(out))
}

#[cfg(test)]
mod tests {
    use super::super::test_support::view;
    use serde_json::json;

    #[test]
    fn empty_resources_are_null_and_set_ones_split_into_limits_and_requests() {
        assert_eq!(view("").proxy.resources.container, None);
        let r = view("linkerd: {proxy: {resources: {cpu: {limit: '1'}, ephemeralStorage: {request: 1Gi}}}}")
            .proxy
            .resources;
        assert_eq!(
            r.container,
            Some(json!({"limits": {"cpu": "1"}, "requests": {"ephemeral-storage": "1Gi"}}))
        );
    }

    #[test]
    fn high_availability_fills_unset_resources_only() {
        let v = view("linkerd: {highAvailability: true, proxy: {resources: {memory: {limit: 1Gi}}}}");
        assert_eq!(
            v.proxy.resources.container,
            Some(json!({"limits": {"memory": "1Gi"}, "requests": {"cpu": "100m", "memory": "20Mi"}}))
        );
        let c = &v.controllers;
        assert_eq!((c.replicas, c.webhook_failure_policy), (3, "Fail"));
        assert!(c.pod_disruption_budgets && c.pod_anti_affinity);
        assert_eq!(c.max_unavailable, json!(1));
        let identity = c.resources.identity.as_ref().expect("identity resources");
        assert_eq!(
            identity.container,
            Some(json!({"limits": {"memory": "250Mi"}, "requests": {"cpu": "100m", "memory": "10Mi"}}))
        );
        assert!(identity.values.ephemeral_storage.is_none());
    }

    #[test]
    fn normal_mode_sets_no_controller_resources() {
        let c = view("").controllers;
        assert_eq!((c.replicas, c.webhook_failure_policy), (1, "Ignore"));
        assert_eq!(c.max_unavailable, json!("25%"));
        assert!(c.resources.identity.is_none() && c.resources.heartbeat.is_none());
    }
}
