//! Validators for the string formats Kubernetes and Dgraph accept. Each returns
//! `Err(help)` with a sentence that says what is allowed, for use in values errors.

use std::net::IpAddr;

/// An RFC 1123 label: what Kubernetes requires of namespace and most object names.
pub fn dns_label(s: &str) -> Result<(), String> {
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
pub fn dns_subdomain(s: &str) -> Result<(), String> {
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
pub fn qualified_key(s: &str) -> Result<(), String> {
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
pub fn label_value(s: &str) -> Result<(), String> {
    if s.is_empty() || qualified_name_part(s) {
        Ok(())
    } else {
        Err("a label value is empty or 1 to 63 letters, digits, '-', '_' or '.', starting and ending with a letter or digit; put free text in an annotation instead".into())
    }
}

/// A Kubernetes resource quantity such as `100Mi`, `0.5`, `250m` or `1e3`.
pub fn quantity(s: &str) -> Result<(), String> {
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

/// An IPv4 or IPv6 network in CIDR notation, or a single address.
pub fn cidr(s: &str) -> Result<(), String> {
    let (addr, prefix) = match s.split_once('/') {
        Some((a, p)) => (a, Some(p)),
        None => (s, None),
    };
    let help = || {
        Err(format!(
            "`{s}` is not an IP range; write an address or CIDR such as 10.0.0.0/8 or ::1/128"
        ))
    };
    let Ok(ip) = addr.parse::<IpAddr>() else {
        return help();
    };
    let max = if ip.is_ipv4() { 32 } else { 128 };
    match prefix.map(str::parse::<u8>) {
        None => Ok(()),
        Some(Ok(p)) if p <= max => Ok(()),
        _ => help(),
    }
}

/// An image tag, as the OCI distribution spec allows it.
pub fn image_tag(s: &str) -> Result<(), String> {
    let ok = (1..=128).contains(&s.len())
        && s.starts_with(|c: char| c.is_ascii_alphanumeric() || c == '_')
        && s.chars().all(|c| c.is_ascii_alphanumeric() || "_.-".contains(c));
    match ok {
        true => Ok(()),
        false => Err("use an image tag such as edge-26.8.3: letters, digits, '_', '.' and '-'".into()),
    }
}

/// A Go duration such as `24h0m0s`, `20s` or `1h30m`, as the controllers parse it.
pub fn duration(s: &str) -> Result<(), String> {
    let help = || {
        Err(format!(
            "`{s}` is not a duration; write a number and unit such as 20s, 90m or 24h0m0s"
        ))
    };
    let mut rest = s;
    if rest.is_empty() {
        return help();
    }
    while !rest.is_empty() {
        let digits = rest
            .find(|c: char| !(c.is_ascii_digit() || c == '.'))
            .unwrap_or(rest.len());
        if digits == 0 {
            return help();
        }
        rest = &rest[digits..];
        let Some(unit) = ["ns", "us", "µs", "ms", "s", "m", "h"]
            .into_iter()
            .filter(|u| rest.starts_with(u))
            .max_by_key(|u| u.len())
        else {
            return help();
        };
        rest = &rest[unit.len()..];
    }
    Ok(())
}

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
    fn image_tags() {
        assert!(image_tag("edge-26.8.3").is_ok());
        assert!(image_tag("stable-2.14.10").is_ok());
        for bad in ["", "-x", "a:b", "a/b", &"x".repeat(129)] {
            assert!(image_tag(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn durations() {
        for ok in ["24h0m0s", "20s", "1h30m", "1.5h", "100ms", "10µs"] {
            assert!(duration(ok).is_ok(), "{ok}");
        }
        for bad in ["", "20", "s", "1d", "1h 30m", "-1s"] {
            assert!(duration(bad).is_err(), "{bad}");
        }
    }
}
