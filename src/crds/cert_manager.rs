//! cert-manager's Issuer and Certificate (cert-manager.io/v1), as the API types of
//! cert-manager v1.21.1 define them (`pkg/apis/certmanager/v1`, `pkg/apis/acme/v1`
//! and `pkg/apis/meta/v1` at that tag). meshgen never renders these CRDs:
//! cert-manager installs its own (see `is_rendered`). They are here so that an
//! Issuer or Certificate that a render writes, such as the Certificate that keeps
//! Linkerd's identity issuer, is checked like any other custom resource.
//!
//! Properties are in the order of the Go structs. Every field is typed, down to the
//! pod affinity of an ACME HTTP-01 solver; the one value kept as written is a DNS-01
//! webhook's `config`, which upstream leaves free-form too.

use super::common::*;
use super::dsl::*;
use super::{age_column, Column, Definition, Version};

/// The API group of both kinds.
const CERT_MANAGER: &str = "cert-manager.io";

/// A Go duration written by the renewal windows: numbers with s, m or h units.
const WINDOW_DURATION: &str = r"^([0-9]+(\.[0-9]+)?(s|m|h))+$";

/// A list of strings, replaced as a whole by server-side apply (as most lists here are).
fn strings() -> Schema {
    array(string()).atomic_list()
}

/// A map of strings, such as labels or annotations.
fn string_map() -> Schema {
    map_of(string())
}

/// Base64 text of a Go `[]byte`, such as a CA bundle.
fn bytes() -> Schema {
    string().format("byte")
}

/// cmmeta.LocalObjectReference: a resource in the same namespace, by name.
fn local_ref() -> Schema {
    object([("name", string())]).required(["name"])
}

/// cmmeta.SecretKeySelector: a Secret by name and, optionally, one of its keys.
fn secret_key_ref() -> Schema {
    object([("name", string()), ("key", string())]).required(["name"])
}

/// A ServiceAccount whose token cert-manager requests, with extra audiences.
fn service_account_ref() -> Schema {
    object([("name", string()), ("audiences", strings())]).required(["name"])
}

/// `annotations` and `labels`, as solver pods and ingresses carry them.
fn labels_and_annotations() -> Schema {
    object([("annotations", string_map()), ("labels", string_map())])
}

/// `conditions` of either kind: a list keyed by `type` (`Ready`, and `Issuing` on a
/// Certificate), each with cmmeta.ConditionStatus.
fn conditions() -> Schema {
    let condition = object([
        ("type", string()),
        ("status", condition_status()),
        ("lastTransitionTime", date_time()),
        ("reason", string()),
        ("message", string()),
        ("observedGeneration", int64()),
    ])
    .required(["type", "status"]);
    array(condition).list_map(["type"])
}

/// The `Ready` column: the status of the Ready condition.
fn ready_column() -> Column {
    Column::new("Ready", "string", r#".status.conditions[?(@.type == "Ready")].status"#)
}

/// The `Status` column, shown by `kubectl get -o wide`: the Ready condition's message.
fn status_column() -> Column {
    Column::new(
        "Status",
        "string",
        r#".status.conditions[?(@.type == "Ready")].message"#,
    )
    .priority(1)
}

// ---- Certificate ----

/// X509Subject: the subject's attributes other than its common name.
fn subject() -> Schema {
    object([
        ("organizations", strings()),
        ("countries", strings()),
        ("organizationalUnits", strings()),
        ("localities", strings()),
        ("provinces", strings()),
        ("streetAddresses", strings()),
        ("postalCodes", strings()),
        ("serialNumber", string()),
    ])
    .doc("Subject attributes of the certificate, besides commonName")
}

/// CertificateRenewal: whether cert-manager renews, and cron windows it renews in.
fn renewal() -> Schema {
    let window = object([
        ("timezone", string().min_len(1)),
        ("windowDuration", string().pattern(WINDOW_DURATION)),
        ("cron", string().min_len(1)),
    ])
    .required(["windowDuration", "cron"]);
    object([
        ("policy", string().one_of_values(["RenewBefore", "Disabled"])),
        ("windows", array(window).atomic_list()),
    ])
}

/// JKSKeystore or PKCS12Keystore: written into the Secret when `create` is true,
/// encrypted with a password from a Secret's key or given literally.
fn keystore(format: &str) -> Schema {
    let mut store = object([("create", boolean())]);
    store = match format {
        "jks" => store.prop("alias", string()),
        _ => store.prop(
            "profile",
            string().one_of_values(["LegacyRC2", "LegacyDES", "Modern2023", "Modern2026"]),
        ),
    };
    store
        .prop("passwordSecretRef", secret_key_ref())
        .prop("password", string())
        .required(["create"])
}

/// KeyUsage: the key usages and extended key usages cert-manager knows.
fn key_usage() -> Schema {
    string().one_of_values([
        "signing",
        "digital signature",
        "content commitment",
        "key encipherment",
        "key agreement",
        "data encipherment",
        "cert sign",
        "crl sign",
        "encipher only",
        "decipher only",
        "any",
        "server auth",
        "client auth",
        "code signing",
        "email protection",
        "s/mime",
        "ipsec end system",
        "ipsec tunnel",
        "ipsec user",
        "timestamping",
        "ocsp signing",
        "microsoft sgc",
        "netscape sgc",
    ])
}

/// CertificatePrivateKey: how the key is made, written and rotated.
fn private_key() -> Schema {
    object([
        ("rotationPolicy", string().one_of_values(["Never", "Always"])),
        ("encoding", string().one_of_values(["PKCS1", "PKCS8"])),
        ("algorithm", string().one_of_values(["RSA", "ECDSA", "Ed25519"])),
        ("size", integer().doc("Key size in bits; ignored for Ed25519")),
    ])
    .doc("The private key: algorithm, size, encoding and rotation policy")
}

/// NameConstraints: the names a CA certificate permits or excludes.
fn name_constraints() -> Schema {
    let names = || {
        object([
            ("dnsDomains", strings()),
            ("ipRanges", strings()),
            ("emailAddresses", strings()),
            ("uriDomains", strings()),
        ])
    };
    object([("critical", boolean()), ("permitted", names()), ("excluded", names())])
}

fn certificate_spec() -> Schema {
    let other_name = object([("oid", string()), ("utf8Value", string())]);
    let output_format = object([("type", string().one_of_values(["DER", "CombinedPEM"]))]).required(["type"]);
    object([
        ("subject", subject()),
        (
            "literalSubject",
            string().doc("The whole subject as an RFC 4514 string"),
        ),
        ("commonName", string()),
        (
            "duration",
            string().doc("Requested lifetime, a Go duration such as 2160h"),
        ),
        (
            "renewBefore",
            string().doc("How long before expiry to renew, a Go duration"),
        ),
        ("renewBeforePercentage", int32()),
        ("renewal", renewal()),
        ("dnsNames", strings()),
        ("ipAddresses", strings()),
        ("uris", strings()),
        ("otherNames", array(other_name).atomic_list()),
        ("emailAddresses", strings()),
        (
            "secretName",
            string().doc("The Secret, in the Certificate's namespace, that receives the key pair"),
        ),
        ("secretTemplate", labels_and_annotations()),
        (
            "keystores",
            object([("jks", keystore("jks")), ("pkcs12", keystore("pkcs12"))]),
        ),
        (
            "issuerRef",
            object([("name", string()), ("kind", string()), ("group", string())])
                .required(["name"])
                .doc("The issuer that signs; kind defaults to Issuer, group to cert-manager.io"),
        ),
        ("isCA", boolean()),
        ("usages", array(key_usage()).atomic_list()),
        ("privateKey", private_key()),
        (
            "signatureAlgorithm",
            string().one_of_values([
                "SHA256WithRSA",
                "SHA384WithRSA",
                "SHA512WithRSA",
                "ECDSAWithSHA256",
                "ECDSAWithSHA384",
                "ECDSAWithSHA512",
                "PureEd25519",
            ]),
        ),
        ("encodeUsagesInRequest", boolean()),
        ("revisionHistoryLimit", int32()),
        ("additionalOutputFormats", array(output_format).atomic_list()),
        ("nameConstraints", name_constraints()),
    ])
    .required(["secretName", "issuerRef"])
    .doc("The certificate requested, the issuer that signs it and the Secret that holds it")
}

fn certificate_status() -> Schema {
    let suggested_window = object([("start", date_time()), ("end", date_time())]).required(["start", "end"]);
    let ari = object([
        ("suggestedWindow", suggested_window),
        ("explanationURL", string()),
        ("lastChecked", date_time()),
        ("nextCheck", date_time()),
        ("lastError", string()),
    ]);
    object([
        ("conditions", conditions()),
        ("lastFailureTime", date_time()),
        ("notBefore", date_time()),
        ("notAfter", date_time()),
        ("renewalTime", date_time()),
        ("revision", integer()),
        ("nextPrivateKeySecretName", string()),
        ("failedIssuanceAttempts", integer()),
        ("acme", object([("ari", ari)])),
    ])
    .doc("Set by cert-manager")
}

pub(super) fn certificate() -> Definition {
    // Unlike Issuer, upstream does not require `spec` at the root (the Go field is optional).
    let root = object([
        ("apiVersion", string()),
        ("kind", string()),
        ("metadata", bare_object()),
        ("spec", certificate_spec()),
        ("status", certificate_status()),
    ])
    .doc("An X.509 certificate that cert-manager keeps signed and up to date in a Secret.");
    let columns = vec![
        ready_column(),
        Column::new("Secret", "string", ".spec.secretName"),
        Column::new("Issuer", "string", ".spec.issuerRef.name").priority(1),
        status_column(),
        age_column(),
    ];
    Definition {
        group: CERT_MANAGER,
        kind: "Certificate",
        plural: "certificates",
        singular: "certificate",
        list_kind: true,
        short_names: &["cert", "certs"],
        categories: &["cert-manager"],
        placeholder_status: false,
        extension: Some("cert-manager"),
        versions: vec![Version::new("v1", root).stored().with_status().columns(columns)],
    }
}

// ---- Issuer ----

/// CAIssuer: signs with a CA key pair kept in a Secret.
fn ca() -> Schema {
    object([
        (
            "secretName",
            string().doc("The Secret holding the signing CA's key pair"),
        ),
        ("crlDistributionPoints", strings()),
        ("ocspServers", strings()),
        ("issuingCertificateURLs", strings()),
    ])
    .required(["secretName"])
}

/// SelfSignedIssuer: each certificate is signed with its own key.
fn self_signed() -> Schema {
    object([("crlDistributionPoints", strings())])
}

/// core/v1 Affinity, as an ACME solver's pod carries it.
fn affinity() -> Schema {
    let node_requirement = || {
        let requirement =
            object([("key", string()), ("operator", string()), ("values", strings())]).required(["key", "operator"]);
        array(requirement).atomic_list()
    };
    let node_term = || {
        object([
            ("matchExpressions", node_requirement()),
            ("matchFields", node_requirement()),
        ])
        .atomic_map()
    };
    let node_affinity = object([
        (
            "requiredDuringSchedulingIgnoredDuringExecution",
            object([("nodeSelectorTerms", array(node_term()).atomic_list())])
                .required(["nodeSelectorTerms"])
                .atomic_map(),
        ),
        (
            "preferredDuringSchedulingIgnoredDuringExecution",
            array(object([("weight", int32()), ("preference", node_term())]).required(["weight", "preference"]))
                .atomic_list(),
        ),
    ]);
    let pod_term = || {
        object([
            ("labelSelector", k8s_label_selector()),
            ("namespaces", strings()),
            ("topologyKey", string()),
            ("namespaceSelector", k8s_label_selector()),
            ("matchLabelKeys", strings()),
            ("mismatchLabelKeys", strings()),
        ])
        .required(["topologyKey"])
    };
    let pod_affinity = || {
        object([
            (
                "requiredDuringSchedulingIgnoredDuringExecution",
                array(pod_term()).atomic_list(),
            ),
            (
                "preferredDuringSchedulingIgnoredDuringExecution",
                array(
                    object([("weight", int32()), ("podAffinityTerm", pod_term())])
                        .required(["weight", "podAffinityTerm"]),
                )
                .atomic_list(),
            ),
        ])
    };
    object([
        ("nodeAffinity", node_affinity),
        ("podAffinity", pod_affinity()),
        ("podAntiAffinity", pod_affinity()),
    ])
}

/// The pod an HTTP-01 solver runs in: its labels, annotations and scheduling.
fn solver_pod_template() -> Schema {
    let toleration = object([
        ("key", string()),
        ("operator", string()),
        ("value", string()),
        ("effect", string()),
        ("tolerationSeconds", int64()),
    ]);
    let se_linux = object([
        ("user", string()),
        ("role", string()),
        ("type", string()),
        ("level", string()),
    ]);
    let sysctl = object([("name", string()), ("value", string())]).required(["name", "value"]);
    let security_context = object([
        ("seLinuxOptions", se_linux),
        ("runAsUser", int64()),
        ("runAsGroup", int64()),
        ("runAsNonRoot", boolean()),
        ("supplementalGroups", array(int64()).atomic_list()),
        ("fsGroup", int64()),
        ("sysctls", array(sysctl).atomic_list()),
        ("fsGroupChangePolicy", string()),
        (
            "seccompProfile",
            object([("type", string()), ("localhostProfile", string())]).required(["type"]),
        ),
    ]);
    let pull_secret = object([("name", string().default(""))]).atomic_map();
    let spec = object([
        ("nodeSelector", string_map()),
        ("affinity", affinity()),
        ("tolerations", array(toleration).atomic_list()),
        ("priorityClassName", string()),
        ("serviceAccountName", string()),
        ("imagePullSecrets", array(pull_secret).list_map(["name"])),
        ("securityContext", security_context),
        (
            "resources",
            object([("limits", map_of(quantity())), ("requests", map_of(quantity()))]),
        ),
    ]);
    object([("metadata", labels_and_annotations()), ("spec", spec)])
}

/// ACMEChallengeSolverHTTP01: an Ingress or a Gateway API HTTPRoute that serves the
/// challenge from a solver pod.
fn http01() -> Schema {
    let ingress = object([
        ("serviceType", string()),
        ("ingressClassName", string()),
        ("class", string()),
        ("name", string()),
        ("podTemplate", solver_pod_template()),
        ("ingressTemplate", object([("metadata", labels_and_annotations())])),
    ]);
    // A Gateway API ParentReference, with its upstream defaults.
    let parent_ref = object([
        ("group", group_ref().default("gateway.networking.k8s.io")),
        ("kind", kind_ref().default("Gateway")),
        ("namespace", namespace_ref()),
        ("name", name_ref()),
        ("sectionName", string().length(1, 253).pattern(DNS_SUBDOMAIN)),
        ("port", port_number()),
    ])
    .required(["name"]);
    let gateway = object([
        ("serviceType", string()),
        ("labels", string_map()),
        ("parentRefs", array(parent_ref).atomic_list()),
        ("podTemplate", solver_pod_template()),
    ]);
    object([("ingress", ingress), ("gatewayHTTPRoute", gateway)])
}

/// ACMEChallengeSolverDNS01: a TXT record written through one DNS provider.
fn dns01() -> Schema {
    let akamai = object([
        ("serviceConsumerDomain", string()),
        ("clientTokenSecretRef", secret_key_ref()),
        ("clientSecretSecretRef", secret_key_ref()),
        ("accessTokenSecretRef", secret_key_ref()),
    ])
    .required([
        "serviceConsumerDomain",
        "clientTokenSecretRef",
        "clientSecretSecretRef",
        "accessTokenSecretRef",
    ]);
    let cloud_dns = object([
        ("serviceAccountSecretRef", secret_key_ref()),
        ("project", string()),
        ("hostedZoneName", string()),
    ])
    .required(["project"]);
    let cloudflare = object([
        ("email", string()),
        ("apiKeySecretRef", secret_key_ref()),
        ("apiTokenSecretRef", secret_key_ref()),
    ]);
    let route53_auth = object([(
        "kubernetes",
        object([("serviceAccountRef", service_account_ref())]).required(["serviceAccountRef"]),
    )])
    .required(["kubernetes"]);
    let route53 = object([
        ("auth", route53_auth),
        ("accessKeyID", string()),
        ("accessKeyIDSecretRef", secret_key_ref()),
        ("secretAccessKeySecretRef", secret_key_ref()),
        ("role", string()),
        ("hostedZoneID", string()),
        ("region", string()),
    ]);
    let managed_identity = object([("clientID", string()), ("resourceID", string()), ("tenantID", string())]);
    let azure_dns = object([
        ("clientID", string()),
        ("clientSecretSecretRef", secret_key_ref()),
        ("subscriptionID", string()),
        ("tenantID", string()),
        ("resourceGroupName", string()),
        ("hostedZoneName", string()),
        (
            "environment",
            string().one_of_values([
                "AzurePublicCloud",
                "AzureChinaCloud",
                "AzureGermanCloud",
                "AzureUSGovernmentCloud",
            ]),
        ),
        ("managedIdentity", managed_identity),
        (
            "zoneType",
            string().one_of_values(["AzurePublicZone", "AzurePrivateZone"]),
        ),
    ])
    .required(["subscriptionID", "resourceGroupName"]);
    let digital_ocean = object([("tokenSecretRef", secret_key_ref())]).required(["tokenSecretRef"]);
    let acme_dns =
        object([("host", string()), ("accountSecretRef", secret_key_ref())]).required(["host", "accountSecretRef"]);
    let rfc2136 = object([
        ("nameserver", string()),
        ("tsigSecretSecretRef", secret_key_ref()),
        ("tsigKeyName", string()),
        ("tsigAlgorithm", string()),
        ("protocol", string().one_of_values(["TCP", "UDP"])),
    ])
    .required(["nameserver"]);
    // A webhook solver's configuration is its own business: any JSON value.
    let webhook = object([
        ("groupName", string()),
        ("solverName", string()),
        ("config", any_value()),
    ])
    .required(["groupName", "solverName"]);
    object([
        ("cnameStrategy", string().one_of_values(["None", "Follow"])),
        ("akamai", akamai),
        ("cloudDNS", cloud_dns),
        ("cloudflare", cloudflare),
        ("route53", route53),
        ("azureDNS", azure_dns),
        ("digitalocean", digital_ocean),
        ("acmeDNS", acme_dns),
        ("rfc2136", rfc2136),
        ("webhook", webhook),
    ])
}

/// ACMEIssuer: an RFC 8555 account, and the solvers that answer its challenges.
fn acme() -> Schema {
    let external_account_binding = object([
        ("keyID", string()),
        ("keySecretRef", secret_key_ref()),
        ("keyAlgorithm", string().one_of_values(["HS256", "HS384", "HS512"])),
    ])
    .required(["keyID", "keySecretRef"]);
    let selector = object([
        ("matchLabels", string_map()),
        ("dnsNames", strings()),
        ("dnsZones", strings()),
    ]);
    let solver = object([
        ("selector", selector),
        ("http01", http01()),
        ("dns01", dns01()),
        ("waitInsteadOfSelfCheck", string()),
    ]);
    object([
        ("email", string()),
        ("server", string().doc("The ACME server's directory URL")),
        ("preferredChain", string().max_len(64)),
        ("caBundle", bytes()),
        ("skipTLSVerify", boolean()),
        ("externalAccountBinding", external_account_binding),
        ("privateKeySecretRef", secret_key_ref()),
        ("solvers", array(solver).atomic_list()),
        ("disableAccountKeyGeneration", boolean()),
        ("enableDurationFeature", boolean()),
        ("profile", string()),
    ])
    .required(["server", "privateKeySecretRef"])
}

/// VaultIssuer: signs through a HashiCorp Vault PKI backend.
fn vault() -> Schema {
    let app_role = object([
        ("path", string()),
        ("roleId", string()),
        ("secretRef", secret_key_ref()),
    ])
    .required(["path", "roleId", "secretRef"]);
    let client_certificate = object([("mountPath", string()), ("secretName", string()), ("name", string())]);
    let kubernetes = object([
        ("mountPath", string()),
        ("secretRef", secret_key_ref()),
        ("serviceAccountRef", service_account_ref()),
        ("role", string()),
    ])
    .required(["role"]);
    let aws = object([
        ("mountPath", string()),
        ("role", string().min_len(1)),
        ("region", string()),
        ("serviceAccountRef", service_account_ref()),
        ("iamRoleArn", string()),
        ("vaultHeaderValue", string()),
    ])
    .required(["role"]);
    let auth = object([
        ("tokenSecretRef", secret_key_ref()),
        ("appRole", app_role),
        ("clientCertificate", client_certificate),
        ("kubernetes", kubernetes),
        ("aws", aws),
    ]);
    object([
        ("auth", auth),
        ("server", string()),
        ("serverName", string()),
        ("path", string().doc("Mount path of the PKI backend's sign endpoint")),
        ("namespace", string()),
        ("caBundle", bytes()),
        ("caBundleSecretRef", secret_key_ref()),
        ("clientCertSecretRef", secret_key_ref()),
        ("clientKeySecretRef", secret_key_ref()),
    ])
    .required(["auth", "server", "path"])
}

/// VenafiIssuer: signs through a CyberArk Certificate Manager (or NGTS) policy zone.
fn venafi() -> Schema {
    let tpp = object([
        ("url", string()),
        ("credentialsRef", local_ref()),
        ("caBundle", bytes()),
        ("caBundleSecretRef", secret_key_ref()),
    ])
    .required(["url", "credentialsRef"]);
    let cloud = object([("url", string()), ("apiTokenSecretRef", secret_key_ref())]).required(["apiTokenSecretRef"]);
    let ngts = object([
        ("url", string()),
        ("tokenEndpoint", string()),
        ("tsgID", string()),
        ("credentialsRef", local_ref()),
    ])
    .required(["tsgID", "credentialsRef"]);
    // Upstream states "exactly one of tpp, cloud or ngts" as a CEL rule, which the
    // validator does not run; this oneOf says the same and is checked.
    object([("zone", string()), ("tpp", tpp), ("cloud", cloud), ("ngts", ngts)])
        .required(["zone"])
        .one_of_required(["tpp", "cloud", "ngts"])
}

fn issuer_spec() -> Schema {
    // IssuerConfig says one of these is set; cert-manager's webhook refuses an Issuer
    // with none or with two. Upstream's CRD leaves that to the webhook; it is checked here.
    object([
        ("acme", acme()),
        ("ca", ca()),
        ("vault", vault()),
        ("selfSigned", self_signed()),
        ("venafi", venafi()),
    ])
    .one_of_required(["acme", "ca", "vault", "selfSigned", "venafi"])
    .doc("How the issuer signs: exactly one of acme, ca, vault, selfSigned or venafi")
}

fn issuer_status() -> Schema {
    let acme = object([
        ("uri", string()),
        ("lastRegisteredEmail", string()),
        ("lastPrivateKeyHash", string()),
    ]);
    object([("conditions", conditions()), ("acme", acme)]).doc("Set by cert-manager")
}

pub(super) fn issuer() -> Definition {
    let root = root_with_meta(issuer_spec(), issuer_status())
        .doc("A certificate authority, in one namespace, that Certificates there name in issuerRef.");
    Definition {
        group: CERT_MANAGER,
        kind: "Issuer",
        plural: "issuers",
        singular: "issuer",
        list_kind: true,
        short_names: &["iss"],
        categories: &["cert-manager"],
        placeholder_status: false,
        extension: Some("cert-manager"),
        versions: vec![Version::new("v1", root).stored().with_status().columns(vec![
            ready_column(),
            status_column(),
            age_column(),
        ])],
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::crds::{self, Selection};
    use crate::{Error, Manifest};
    use serde_json::{json, Value};

    /// The documents of tests/fixtures/crd-examples/cert-manager.yaml, which the
    /// fixture test of every served version also reads.
    fn examples() -> Vec<Value> {
        let file = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/fixtures/crd-examples/cert-manager.yaml"
        );
        let text = std::fs::read_to_string(file).expect("cert-manager.yaml");
        crate::yaml::parse_stream(&text).unwrap_or_else(|e| panic!("{file}: {e}"))
    }

    fn example(kind: &str, name: &str) -> Value {
        examples()
            .into_iter()
            .find(|d| d["kind"] == kind && d["metadata"]["name"] == name)
            .unwrap_or_else(|| panic!("an example {kind} {name}"))
    }

    /// Checks one object the way a render does.
    fn check(obj: &Value) -> Result<(), Error> {
        crate::validate::object(&Manifest::from_json("test", "test.yaml.j2", obj.clone())?)
    }

    #[test]
    fn the_examples_are_valid() {
        for (kind, name) in [
            ("Issuer", "linkerd-trust-anchor"),
            ("Issuer", "linkerd-self-signed"),
            ("Certificate", "linkerd-identity-issuer"),
        ] {
            check(&example(kind, name)).unwrap_or_else(|e| panic!("{kind} {name}: {e}"));
        }
        let all = examples();
        assert!(all.len() >= 8, "{}", all.len());
        for doc in all {
            check(&doc).unwrap_or_else(|e| panic!("{}: {e}", doc["metadata"]["name"]));
        }
    }

    /// The identity issuer's Certificate as Linkerd's docs write it, field by field.
    #[test]
    fn the_identity_issuer_certificate_is_as_linkerd_documents_it() {
        let cert = example("Certificate", "linkerd-identity-issuer");
        let spec = &cert["spec"];
        assert_eq!(spec["isCA"], true);
        assert_eq!(spec["commonName"], "identity.linkerd.cluster.local");
        assert_eq!(spec["dnsNames"], json!(["identity.linkerd.cluster.local"]));
        assert_eq!(spec["privateKey"], json!({"algorithm": "ECDSA"}));
        assert_eq!(
            spec["usages"],
            json!(["cert sign", "crl sign", "server auth", "client auth"])
        );
        assert_eq!(spec["duration"], "48h");
        assert_eq!(spec["renewBefore"], "25h");
        assert_eq!(
            spec["issuerRef"],
            json!({"name": "linkerd-trust-anchor", "kind": "Issuer"})
        );
    }

    #[test]
    fn a_webhook_solver_config_keeps_anything() {
        let mut acme = example("Issuer", "letsencrypt");
        acme["spec"]["acme"]["solvers"][2]["dns01"]["webhook"]["config"] = json!(["any", {"shape": 1}]);
        check(&acme).expect("config is free-form");
    }

    #[test]
    fn both_kinds_serve_v1_only_stored_with_status_in_the_cert_manager_extension() {
        for def in [issuer(), certificate()] {
            assert_eq!(def.group, "cert-manager.io");
            assert_eq!(def.extension, Some("cert-manager"));
            let versions: Vec<_> = def
                .versions
                .iter()
                .map(|v| (v.name, v.storage, v.status_subresource, v.deprecation))
                .collect();
            assert_eq!(versions, [("v1", true, true, None)], "{}", def.kind);
            assert!(crds::schema_for("cert-manager.io/v1", def.kind).is_some());
        }
        assert!(crds::schema_for("cert-manager.io/v1", "ClusterIssuer").is_none());
    }

    #[test]
    fn cert_manager_crds_are_never_rendered_whatever_the_selection() {
        for namespace in ["linkerd", "mesh-system"] {
            for linkerd_version in [crate::LINKERD_VERSION, "edge-24.1.1"] {
                for multicluster in [false, true] {
                    let selection = Selection {
                        namespace,
                        linkerd_version,
                        multicluster,
                    };
                    assert!(!crds::is_rendered(Some("cert-manager"), &selection));
                    let objects = crds::all(&selection);
                    assert!(!objects.is_empty());
                    for crd in &objects {
                        assert_ne!(crd["spec"]["group"], CERT_MANAGER, "{selection:?}");
                        let name = crd["metadata"]["name"].as_str().unwrap_or_default();
                        assert!(!name.ends_with(".cert-manager.io"), "{name}");
                    }
                    let key = crds::key(&selection);
                    assert!(!key.lines().any(|k| k == "Issuer" || k == "Certificate"), "{key}");
                }
            }
        }
    }
}
