//! What the Kubernetes API server accepts, and `kubernetes-validate` does not check:
//! object and label names, label values, quantities, resource names, the size of an
//! object's annotations, image references, Go durations and IP ranges. Each rule
//! returns `Err(help)` with a sentence that says what is allowed. A leaf: values,
//! service profiles, reach and render all use it, and it imports nothing of meshgen.

use std::net::IpAddr;

use ipnet::IpNet;

/// An RFC 1123 label: what Kubernetes requires of namespace and most object names.
pub(crate) fn dns_label(s: &str) -> Result<(), String> {
    let ok = !s.is_empty()
        && s.len() <= 63
        && s.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && !s.starts_with('-')
        && !s.ends_with('-');
    if ok {
        Ok(())
    } else {
        Err("use 1 to 63 lowercase letters, digits or '-', starting and ending with a letter or digit".into())
    }
}

/// An RFC 1123 subdomain: dot-separated labels, at most 253 characters.
pub(crate) fn dns_subdomain(s: &str) -> Result<(), String> {
    if s.len() <= 253 && s.split('.').all(|label| dns_label(label).is_ok()) {
        Ok(())
    } else {
        Err("use dot-separated DNS labels (lowercase letters, digits and '-'), at most 253 characters".into())
    }
}

/// The `name` part of a label or annotation key, and a label value when non-empty.
fn qualified_name_part(s: &str) -> bool {
    let edge = |c: Option<char>| c.is_some_and(|c| c.is_ascii_alphanumeric());
    !s.is_empty()
        && s.len() <= 63
        && edge(s.chars().next())
        && edge(s.chars().last())
        && s.chars().all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c))
}

/// A label or annotation key: an optional DNS subdomain prefix and `/`, then a name.
pub(crate) fn qualified_key(s: &str) -> Result<(), String> {
    let (prefix, name) = match s.split_once('/') {
        Some((p, n)) => (Some(p), n),
        None => (None, s),
    };
    let prefix_ok = prefix.is_none_or(|p| !p.is_empty() && dns_subdomain(p).is_ok());
    if prefix_ok && qualified_name_part(name) {
        Ok(())
    } else {
        Err("a key is an optional DNS subdomain and '/', then 1 to 63 letters, digits, '-', '_' or '.', starting and ending with a letter or digit".into())
    }
}

/// A label value: empty, or a short name made of letters, digits, '-', '_' and '.'.
pub(crate) fn label_value(s: &str) -> Result<(), String> {
    if s.is_empty() || qualified_name_part(s) {
        Ok(())
    } else {
        Err("a label value is empty or 1 to 63 letters, digits, '-', '_' or '.', starting and ending with a letter or digit; put free text in an annotation instead".into())
    }
}

/// A Kubernetes resource quantity such as `100Mi`, `0.5`, `250m` or `1e3`.
pub(crate) fn quantity(s: &str) -> Result<(), String> {
    let help = || {
        Err(format!("`{s}` is not a Kubernetes quantity; write a number with an optional suffix, such as 100Mi, 2Gi, 500m or 1.5"))
    };
    let body = s.strip_prefix(['+', '-']).unwrap_or(s);
    let digits_end = body
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(body.len());
    let (number, suffix) = body.split_at(digits_end);
    let number_ok = !number.is_empty() && number != "." && number.matches('.').count() <= 1;
    const SUFFIXES: &[&str] = &[
        "", "Ki", "Mi", "Gi", "Ti", "Pi", "Ei", "n", "u", "m", "k", "M", "G", "T", "P", "E",
    ];
    let exponent_ok = |e: &str| {
        let e = e.strip_prefix(['+', '-']).unwrap_or(e);
        !e.is_empty() && e.bytes().all(|b| b.is_ascii_digit())
    };
    let suffix_ok = SUFFIXES.contains(&suffix) || suffix.strip_prefix(['e', 'E']).is_some_and(exponent_ok);
    if number_ok && suffix_ok {
        Ok(())
    } else {
        help()
    }
}

/// The value of a quantity that [`quantity`] accepts, in its base unit (bytes, cores):
/// for comparing a limit with its request, and refusing negative or zero sizes. An
/// `f64` is exact enough for that: quantities are compared, never summed or written.
pub(crate) fn quantity_value(s: &str) -> Result<f64, String> {
    quantity(s)?;
    let (sign, body) = match s.strip_prefix('-') {
        Some(rest) => (-1.0, rest),
        None => (1.0, s.strip_prefix('+').unwrap_or(s)),
    };
    let digits_end = body
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(body.len());
    let (number, suffix) = body.split_at(digits_end);
    let number: f64 = number.parse().map_err(|_| format!("`{s}` is not a number"))?;
    let scale = match suffix {
        "" => 1.0,
        "n" => 1e-9,
        "u" => 1e-6,
        "m" => 1e-3,
        "k" => 1e3,
        "M" => 1e6,
        "G" => 1e9,
        "T" => 1e12,
        "P" => 1e15,
        "E" => 1e18,
        "Ki" => 1024f64,
        "Mi" => 1024f64.powi(2),
        "Gi" => 1024f64.powi(3),
        "Ti" => 1024f64.powi(4),
        "Pi" => 1024f64.powi(5),
        "Ei" => 1024f64.powi(6),
        // `quantity` has checked that anything else is a decimal exponent.
        exponent => {
            let e: i32 = exponent[1..]
                .parse()
                .map_err(|_| format!("`{s}` has an exponent out of range"))?;
            10f64.powi(e)
        }
    };
    Ok(sign * number * scale)
}

/// A name in a container's `resources.requests` or `resources.limits`: one of the
/// kubelet's own, a huge page size, or a domain-qualified extended resource.
pub(crate) fn resource_name(s: &str) -> Result<(), String> {
    let help = || {
        Err(format!(
            "`{s}` is not a resource name; use cpu, memory, ephemeral-storage, hugepages-<size> such as hugepages-2Mi, or a domain-qualified name such as example.com/gpu"
        ))
    };
    if ["cpu", "memory", "ephemeral-storage"].contains(&s) {
        return Ok(());
    }
    if let Some(size) = s.strip_prefix("hugepages-") {
        return match quantity_value(size) {
            Ok(v) if v > 0.0 => Ok(()),
            _ => help(),
        };
    }
    // Extended resources: a DNS subdomain, '/', then a name; kubernetes.io's own
    // names are the kubelet's, and none of them is written with a prefix here.
    match s.split_once('/') {
        Some((domain, name)) if domain.contains('.') && dns_subdomain(domain).is_ok() && qualified_name_part(name) => {
            Ok(())
        }
        _ => help(),
    }
}

/// The most bytes the API server allows in one object's annotations, keys and values
/// together (`TotalAnnotationSizeLimitB` in apimachinery's validation).
pub(crate) const ANNOTATIONS_MAX_BYTES: usize = 256 * 1024;

/// The size the API server counts for a set of annotations: every key and value.
pub(crate) fn annotations_size<'a>(pairs: impl IntoIterator<Item = (&'a str, &'a str)>) -> usize {
    pairs.into_iter().map(|(k, v)| k.len() + v.len()).sum()
}

/// Pieces of the OCI distribution reference grammar, anchored when used.
mod oci {
    /// A path component: lowercase alphanumerics, separated by `.`, `_`, `__` or dashes.
    pub(super) const PATH_COMPONENT: &str = r"[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*";
    /// A domain: DNS-like components joined by dots, or a bracketed IPv6 address,
    /// then an optional port.
    pub(super) const DOMAIN: &str = r"(?:(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])(?:\.(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9]))*|\[[a-fA-F0-9:]+\])(?::[0-9]+)?";
    pub(super) const TAG: &str = r"[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}";
    pub(super) const DIGEST: &str = r"sha256:[a-f0-9]{64}";
    /// The longest name (domain and path) a registry accepts.
    pub(super) const NAME_MAX: usize = 255;
}

/// Compiles an anchored pattern once. The patterns are constants of this file, so
/// compiling them cannot fail at run time on any input.
macro_rules! anchored {
    ($pattern:expr) => {{
        static RE: std::sync::LazyLock<Option<regex::Regex>> =
            std::sync::LazyLock::new(|| regex::Regex::new(&format!("^(?:{})$", $pattern)).ok());
        move |s: &str| RE.as_ref().is_some_and(|re| re.is_match(s))
    }};
}

fn is_domain(s: &str) -> bool {
    anchored!(oci::DOMAIN)(s)
}

fn is_path(s: &str) -> bool {
    anchored!(format!("{0}(?:/{0})*", oci::PATH_COMPONENT))(s)
}

/// Docker's rule for whether the first component of a name is a registry host rather
/// than the first path component: it has a dot or a port, or is `localhost`.
fn looks_like_host(first: &str) -> bool {
    first.contains(['.', ':']) || first == "localhost" || first.starts_with('[')
}

/// A repository path such as `dgraph/dgraph`: lowercase components separated by '/'.
pub(crate) fn image_path(s: &str) -> Result<(), String> {
    if is_path(s) {
        Ok(())
    } else {
        Err(format!("`{s}` is not a repository path; use lowercase letters and digits, separated within a component by '.', '_', '__' or dashes and between components by '/', such as dgraph/dgraph"))
    }
}

/// What precedes an image's own name: a registry host with an optional path
/// (`cr.l5d.io/linkerd`, `localhost:5000`), or only a path on the default registry
/// (`prom`). No tag, no scheme, no trailing '/'.
pub(crate) fn image_registry(s: &str) -> Result<(), String> {
    let (first, rest) = match s.split_once('/') {
        Some((first, rest)) => (first, Some(rest)),
        None => (s, None),
    };
    let ok = if looks_like_host(first) {
        is_domain(first) && rest.is_none_or(is_path)
    } else {
        is_path(s)
    };
    if ok {
        Ok(())
    } else {
        Err(format!("`{s}` is not a registry; write a host with an optional port and path, such as cr.l5d.io/linkerd, myregistry.azurecr.io or localhost:5000, without https://, a tag or a trailing '/'"))
    }
}

/// An image tag, as the OCI distribution spec allows it.
pub(crate) fn image_tag(s: &str) -> Result<(), String> {
    if anchored!(oci::TAG)(s) {
        Ok(())
    } else {
        Err(format!("`{s}` is not an image tag; use 1 to 128 letters, digits, '_', '.' and '-', not starting with '.' or '-', such as edge-26.8.3"))
    }
}

/// A whole image reference, `[registry/]path[:tag][@sha256:digest]`, with its name
/// (registry and path) at most 255 characters: what a container's `image` must be.
pub(crate) fn image_reference(s: &str) -> Result<(), String> {
    let fail = |why: &str| Err(format!("`{s}` is not an image reference: {why}"));
    let (rest, digest) = match s.split_once('@') {
        Some((rest, digest)) => (rest, Some(digest)),
        None => (s, None),
    };
    if digest.is_some_and(|d| !anchored!(oci::DIGEST)(d)) {
        return fail("a digest is sha256: and 64 lowercase hex digits");
    }
    // A ':' after the last '/' starts the tag; one before it is a registry port.
    let (name, tag) = match rest.rfind(':') {
        Some(i) if !rest[i..].contains('/') => (&rest[..i], Some(&rest[i + 1..])),
        _ => (rest, None),
    };
    if let Some(tag) = tag {
        image_tag(tag)?;
    }
    if name.len() > oci::NAME_MAX {
        return fail("its name (registry and repository) is longer than 255 characters");
    }
    let (first, path) = match name.split_once('/') {
        Some((first, path)) if looks_like_host(first) => (Some(first), path),
        _ => (None, name),
    };
    if first.is_some_and(|d| !is_domain(d)) || !is_path(path) {
        return fail("write [registry/]repository[:tag], such as docker.io/dgraph/dgraph:v25.4.0");
    }
    Ok(())
}

/// An IPv4 or IPv6 network in CIDR notation, or a single address.
pub(crate) fn cidr(s: &str) -> Result<(), String> {
    if s.parse::<IpNet>().is_ok() || s.parse::<IpAddr>().is_ok() {
        return Ok(());
    }
    Err(format!(
        "`{s}` is not an IP range; write an address or CIDR such as 10.0.0.0/8 or ::1/128"
    ))
}

/// A Go duration such as `24h0m0s`, `20s` or `1h30m`, as the controllers parse it
/// (kube-core's `Duration` is Go's `time.ParseDuration`), and not negative. Go
/// refuses an empty string, which kube-core reads as zero.
pub(crate) fn duration(s: &str) -> Result<(), String> {
    match s.parse::<kube_core::Duration>() {
        Ok(d) if !s.is_empty() && !d.is_negative() => Ok(()),
        _ => Err(format!(
            "`{s}` is not a duration; write a number and unit such as 20s, 90m or 24h0m0s"
        )),
    }
}

/// An age X25519 recipient as `age-keygen -y` prints it: `age1` and the Bech32 encoding
/// of a 32-byte public key. Parsed by the age crate that seals to it (src/sops/), so a
/// mistyped character fails its checksum here rather than at the first seal.
#[allow(deprecated)] // X25519, on purpose: see src/sops/keys.rs.
pub(crate) fn age_recipient(s: &str) -> Result<(), String> {
    match s.starts_with("age1") && s.parse::<age::x25519::Recipient>().is_ok() {
        true => Ok(()),
        false => Err(AGE_RECIPIENT_HELP.into()),
    }
}

/// What to do about a value that is not an age recipient.
pub(crate) const AGE_RECIPIENT_HELP: &str =
    "give the public key that `age-keygen -y <identity file>` prints: age1 followed by 58 lower-case letters and \
     digits, copied whole (its last 6 characters are a checksum)";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dns_labels() {
        for ok in ["demo", "a", "dgraph-2", "0abc"] {
            assert!(dns_label(ok).is_ok(), "{ok}");
        }
        for bad in ["", "Demo", "-a", "a-", "a.b", "a_b", &"x".repeat(64)] {
            assert!(dns_label(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn keys_and_label_values() {
        for ok in ["app", "linkerd.io/inject", "a.b-c/x_y.z", "prometheus.io/port"] {
            assert!(qualified_key(ok).is_ok(), "{ok}");
        }
        for bad in ["", "/x", "Bad_Prefix/x", "a/", "-x", "a/b/c", "x y"] {
            assert!(qualified_key(bad).is_err(), "{bad}");
        }
        for ok in ["", "on", "v25.4.0", "1e3", "a_b-c"] {
            assert!(label_value(ok).is_ok(), "{ok}");
        }
        for bad in ["10:30", "a b", "-x", "x.", &"v".repeat(64)] {
            assert!(label_value(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn quantities() {
        for ok in ["100Mi", "1", "0.5", "250m", "1e3", "2E-2", "+1Gi", "1.5Ti", ".5"] {
            assert!(quantity(ok).is_ok(), "{ok}");
        }
        for bad in ["", "Mi", "100MB", "1..2", "1e", "one", "100 Mi", "."] {
            assert!(quantity(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn cidrs() {
        for ok in ["0.0.0.0/0", "10.0.0.0/8", "::1/128", "192.168.1.1"] {
            assert!(cidr(ok).is_ok(), "{ok}");
        }
        for bad in ["", "10.0.0.0/33", "::/129", "10.0.0/8", "host/8", "10.0.0.0/x"] {
            assert!(cidr(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn quantity_values() {
        let cases = [
            ("1Gi", 1024.0 * 1024.0 * 1024.0),
            ("2G", 2e9),
            ("250m", 0.25),
            ("-1", -1.0),
            ("+1.5k", 1500.0),
            ("1e3", 1000.0),
            ("2E-2", 0.02),
            ("0", 0.0),
            (".5Mi", 512.0 * 1024.0),
        ];
        for (text, value) in cases {
            let got = quantity_value(text).unwrap_or_else(|e| panic!("{text}: {e}"));
            assert!((got - value).abs() <= value.abs() * 1e-12, "{text}: {got} != {value}");
        }
        assert!(quantity_value("1Gi").ok() < quantity_value("2Gi").ok());
        assert!(quantity_value("1Gi").ok() > quantity_value("1G").ok());
        assert!(quantity_value("100MB").is_err());
        assert!(quantity_value("1e999999999999").is_err());
    }

    #[test]
    fn resource_names() {
        for ok in [
            "cpu",
            "memory",
            "ephemeral-storage",
            "hugepages-2Mi",
            "hugepages-1Gi",
            "example.com/gpu",
            "nvidia.com/gpu",
        ] {
            assert!(resource_name(ok).is_ok(), "{ok}");
        }
        for bad in [
            "",
            "memroy",
            "CPU",
            "hugepages-",
            "hugepages-x",
            "gpu/x",
            "example.com/",
            "/gpu",
            "a b",
        ] {
            assert!(resource_name(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn annotation_sizes() {
        assert_eq!(annotations_size([("ab", "cde"), ("f", "")]), 6);
    }

    #[test]
    fn image_references() {
        let sha = "a".repeat(64);
        let long = format!("docker.io/{}", "a".repeat(245));
        let too_long = format!("docker.io/{}", "a".repeat(246));
        let digested = format!("docker.io/dgraph/dgraph:v25.4.0@sha256:{sha}");
        let bad_digest = format!("dgraph@sha256:{}", "A".repeat(64));
        let table: &[(&str, bool)] = &[
            ("docker.io/dgraph/dgraph:v25.4.0", true),
            ("cr.l5d.io/linkerd/proxy:edge-26.8.3", true),
            ("localhost:5000/l5d/controller:x", true),
            ("[::1]:5000/a/b:c", true),
            ("prom/prometheus:v2.55.1", true),
            ("pydgraph-client:latest", true),
            ("a/b__c/d-e--f.g_h", true),
            (&digested, true),
            (&long, true),
            (&too_long, false),
            (&bad_digest, false),
            ("dgraph@sha256:abc", false),
            ("", false),
            ("Dgraph/dgraph", false),
            ("docker.io/Dgraph", false),
            ("docker.io/a..b", false),
            ("/dgraph", false),
            ("docker.io//dgraph", false),
            ("docker.io/dgraph/", false),
            ("docker io/dgraph", false),
            ("a:b/c", false),
            ("docker.io/dgraph-", false),
            ("docker.io/dgraph:-x", false),
            ("docker.io/dgraph:a:b", false),
            ("docker.io/dgraph:", false),
            ("https://docker.io/dgraph", false),
            ("---/controller", false),
        ];
        for (reference, ok) in table {
            assert_eq!(image_reference(reference).is_ok(), *ok, "{reference}");
        }
    }

    #[test]
    fn registries_and_repositories() {
        for ok in [
            "cr.l5d.io/linkerd",
            "docker.io",
            "localhost:5000",
            "localhost:5000/l5d",
            "ghcr.io",
            "prom",
            "myregistry.azurecr.io/a/b",
            "myregistry.azurecr.io/linkerd",
            "[::1]:5000",
        ] {
            assert!(image_registry(ok).is_ok(), "{ok}");
        }
        for bad in [
            "",
            "a:b",
            "---",
            "cr.l5d.io/linkerd/",
            "/linkerd",
            "cr.l5d.io/linkerd:edge",
            "a b/c",
            "a//b",
            "https://x.io",
            "Prom",
            "x.io/A",
        ] {
            assert!(image_registry(bad).is_err(), "{bad}");
        }
        for ok in [
            "docker.io",
            "localhost:5000",
            "10.0.0.1:5000",
            "[fd00::1]",
            "Registry.Example.com",
        ] {
            assert!(is_domain(ok), "{ok}");
        }
        for bad in ["", "a:b", "-a.io", "a.io:", "a_b.io", "a.io/x"] {
            assert!(!is_domain(bad), "{bad}");
        }
        for ok in ["dgraph/dgraph", "a", "a.b/c_d/e--f"] {
            assert!(image_path(ok).is_ok(), "{ok}");
        }
        for bad in [
            "", "Dgraph", "a..b", "/a", "a/", "a b", "a@b", "a-", "-a", "a___b", "a/./b",
        ] {
            assert!(image_path(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn image_tags() {
        assert!(image_tag("edge-26.8.3").is_ok());
        assert!(image_tag("stable-2.14.10").is_ok());
        assert!(image_tag(&"x".repeat(128)).is_ok());
        for bad in ["", "-x", ".x", "a:b", "a/b", "a b", &"x".repeat(129)] {
            assert!(image_tag(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn durations() {
        for ok in ["24h0m0s", "20s", "1h30m", "1.5h", "100ms", "10µs"] {
            assert!(duration(ok).is_ok(), "{ok}");
        }
        for bad in ["", "20", "s", "1d", "1h 30m", "-1s", "1x", "h1"] {
            assert!(duration(bad).is_err(), "{bad}");
        }
    }
}
