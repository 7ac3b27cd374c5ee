//! The question the evaluator answers, as the command line spells it:
//! `--from NS/labels[,sa=S][,unmeshed][,ip=A]` (or `NS/WORKLOAD`, or `kubelet`)
//! and `--to NS/WORKLOAD:PORT`.

use std::collections::BTreeMap;
use std::net::IpAddr;

use super::ReachError;

/// Can `from` open `to`?
#[derive(Debug, Clone, PartialEq)]
pub struct Query {
    /// The client.
    pub from: From,
    /// The pod and port it dials.
    pub to: Target,
}

/// Who opens the connection.
#[derive(Debug, Clone, PartialEq)]
pub enum From {
    /// The kubelet of the target's node, sending the pod's httpGet probes.
    Kubelet,
    /// A pod.
    Pod(PodSpec),
}

/// A client pod, described by hand or by naming a rendered workload.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct PodSpec {
    /// The pod's namespace.
    pub namespace: String,
    /// A Deployment or StatefulSet of the rendered tree whose pods are the client:
    /// their labels, ServiceAccount, injection and skipped ports are taken from it.
    pub workload: Option<String>,
    /// Labels the pod carries (for a meshed pod the injector adds
    /// `linkerd.io/control-plane-ns` itself).
    pub labels: BTreeMap<String, String>,
    /// Default: the workload's, else `default`.
    pub service_account: Option<String>,
    /// A pod without a proxy: it has no mesh identity.
    pub unmeshed: bool,
    /// Its address, for ipBlock and NetworkAuthentication rules; unknown if unset.
    pub ip: Option<IpAddr>,
}

/// A port of a rendered workload's pods.
#[derive(Debug, Clone, PartialEq)]
pub struct Target {
    /// The workload's namespace.
    pub namespace: String,
    /// A workload name, or its pods' `component` label (`alpha`, `zero`).
    pub workload: String,
    /// A port number, or the name of a container port.
    pub port: String,
}

impl Query {
    /// Parses the command line's `--from` and `--to`.
    pub fn parse(from: &str, to: &str) -> Result<Self, ReachError> {
        Ok(Self {
            from: parse_from(from)?,
            to: parse_target(to)?,
        })
    }
}

fn bad(what: &str, text: &str, help: &str) -> ReachError {
    ReachError::Query {
        message: format!("{what} {text:?}"),
        help: help.to_string(),
    }
}

const FROM_HELP: &str = "write NAMESPACE/key=value[,key=value...][,sa=SERVICEACCOUNT][,unmeshed][,ip=ADDRESS], \
     NAMESPACE/WORKLOAD for a rendered Deployment or StatefulSet, or kubelet";

fn parse_from(text: &str) -> Result<From, ReachError> {
    if text == "kubelet" {
        return Ok(From::Kubelet);
    }
    let (namespace, rest) = text
        .split_once('/')
        .ok_or_else(|| bad("--from has no namespace:", text, FROM_HELP))?;
    if crate::api_rules::dns_label(namespace).is_err() {
        return Err(bad("--from names no valid namespace:", namespace, FROM_HELP));
    }
    let mut spec = PodSpec {
        namespace: namespace.to_string(),
        ..PodSpec::default()
    };
    for (i, item) in rest.split(',').filter(|s| !s.is_empty()).enumerate() {
        match item.split_once('=') {
            None if item == "unmeshed" => spec.unmeshed = true,
            None if i == 0 => spec.workload = Some(item.to_string()),
            None => {
                return Err(bad(
                    "--from has an item that is neither key=value nor a flag:",
                    item,
                    FROM_HELP,
                ))
            }
            Some(("sa", name)) => spec.service_account = Some(name.to_string()),
            Some(("ip", addr)) => {
                spec.ip = Some(
                    addr.parse()
                        .map_err(|_| bad("--from has an address that is not an IP:", addr, FROM_HELP))?,
                )
            }
            Some((key, value)) => {
                if crate::api_rules::qualified_key(key).is_err() {
                    return Err(bad("--from has an invalid label key:", key, FROM_HELP));
                }
                spec.labels.insert(key.to_string(), value.to_string());
            }
        }
    }
    Ok(From::Pod(spec))
}

const TO_HELP: &str = "write NAMESPACE/WORKLOAD:PORT, such as dgraph/alpha:9080 (WORKLOAD is a rendered \
     Deployment or StatefulSet, or its pods' component label)";

fn parse_target(text: &str) -> Result<Target, ReachError> {
    let (namespace, rest) = text
        .split_once('/')
        .ok_or_else(|| bad("--to has no namespace:", text, TO_HELP))?;
    let (workload, port) = rest
        .rsplit_once(':')
        .ok_or_else(|| bad("--to has no port:", text, TO_HELP))?;
    if namespace.is_empty() || workload.is_empty() || port.is_empty() {
        return Err(bad("--to is incomplete:", text, TO_HELP));
    }
    Ok(Target {
        namespace: namespace.to_string(),
        workload: workload.to_string(),
        port: port.to_string(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_flags_and_workloads() {
        let q = Query::parse(
            "linkerd-viz/linkerd.io/extension=viz,component=prometheus,sa=prometheus",
            "dgraph/alpha:4191",
        )
        .expect("parses");
        let From::Pod(p) = q.from else { panic!("a pod") };
        assert_eq!(p.namespace, "linkerd-viz");
        assert_eq!(p.labels["linkerd.io/extension"], "viz");
        assert_eq!(p.service_account.as_deref(), Some("prometheus"));
        assert!(!p.unmeshed);
        assert_eq!(q.to.port, "4191");

        let q = Query::parse("other/app=x,unmeshed,ip=10.1.2.3", "dgraph/demo-dgraph-zero:6080").expect("parses");
        let From::Pod(p) = q.from else { panic!("a pod") };
        assert!(p.unmeshed && p.ip.is_some());
        assert_eq!(q.to.workload, "demo-dgraph-zero");

        let q = Query::parse("dgraph/zero", "dgraph/alpha:7080").expect("parses");
        assert!(matches!(q.from, From::Pod(PodSpec { workload: Some(ref w), .. }) if w == "zero"));
        assert_eq!(
            Query::parse("kubelet", "dgraph/alpha:8080").expect("parses").from,
            From::Kubelet
        );
    }

    #[test]
    fn malformed_queries_say_what_to_write() {
        for (from, to) in [
            ("nonamespace", "dgraph/alpha:1"),
            ("Bad_NS/app=x", "dgraph/alpha:1"),
            ("ns/app=x,oops", "dgraph/alpha:1"),
            ("ns/app=x,ip=nowhere", "dgraph/alpha:1"),
            ("ns/app=x", "dgraph/alpha"),
            ("ns/app=x", "alpha:9080"),
        ] {
            let err = Query::parse(from, to).expect_err(from);
            assert!(err.to_string().contains("help:"), "{err}");
        }
    }
}
