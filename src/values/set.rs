//! `--set path.to.key=value`: one assignment, turned into a values source of its own
//! so that it merges, validates and is blamed like any overlay file. Its name is
//! `--set path.to.key`, which is what an error about it names.

use serde_json::{Map, Value as Json};

use super::ValuesSource;
use crate::error::{Error, Result};

/// Parses `path.to.key=value` into an overlay setting that one key.
///
/// The value is read as YAML, as in a values file: `3` is a number, `true` a boolean,
/// `"3"` a string, `[a, b]` a list and an empty value an empty string. A dot inside a
/// key (a label key such as `linkerd.io/inject`) is written `\.`.
pub(crate) fn assignment(text: &str) -> Result<ValuesSource> {
    let fail = |name: &str, message: &str| Error::Values {
        file: format!("--set {name}"),
        path: name.to_string(),
        message: message.to_string(),
        help: "write --set path.to.key=value, e.g. --set dgraph.alpha.replicas=5; escape a dot inside a key as \\."
            .into(),
    };
    let Some((path, value)) = text.split_once('=') else {
        return Err(fail(text, "has no `=`"));
    };
    let keys = split_keys(path);
    if keys.iter().any(String::is_empty) {
        return Err(fail(path, "has an empty key"));
    }
    let name = format!("--set {path}");
    let parsed = if value.is_empty() {
        Json::String(String::new())
    } else {
        crate::yaml::parse_named(value, &name).map_err(|e| Error::ValuesSyntax {
            file: name.clone(),
            message: e.message,
            help: e.help,
        })?
    };
    let mut tree = parsed;
    for key in keys.into_iter().rev() {
        let mut map = Map::new();
        map.insert(key, tree);
        tree = Json::Object(map);
    }
    Ok(ValuesSource {
        name,
        text: tree.to_string(),
    })
}

/// Splits on unescaped dots; `\.` stands for a dot inside a key.
fn split_keys(path: &str) -> Vec<String> {
    let mut keys = Vec::new();
    let mut key = String::new();
    let mut chars = path.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\\' if chars.peek() == Some(&'.') => {
                chars.next();
                key.push('.');
            }
            '.' => keys.push(std::mem::take(&mut key)),
            c => key.push(c),
        }
    }
    keys.push(key);
    keys
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tree(text: &str) -> Json {
        let source = assignment(text).unwrap_or_else(|e| panic!("{e}"));
        serde_json::from_str(&source.text).expect("json")
    }

    #[test]
    fn values_are_read_as_yaml() {
        assert_eq!(tree("a.b=3"), serde_json::json!({"a": {"b": 3}}));
        assert_eq!(tree("a=\"3\""), serde_json::json!({"a": "3"}));
        assert_eq!(tree("a=true"), serde_json::json!({"a": true}));
        assert_eq!(tree("a=[x, z]"), serde_json::json!({"a": ["x", "z"]}));
        assert_eq!(tree("a="), serde_json::json!({"a": ""}));
        assert_eq!(tree("a=x=y"), serde_json::json!({"a": "x=y"}));
    }

    #[test]
    fn escaped_dots_stay_in_the_key() {
        assert_eq!(
            tree(r"p.linkerd\.io/inject=enabled"),
            serde_json::json!({"p": {"linkerd.io/inject": "enabled"}})
        );
    }

    #[test]
    fn malformed_assignments_name_the_flag() {
        for bad in ["novalue", "a..b=1", ".a=1", "=1"] {
            let err = assignment(bad).expect_err(bad).to_string();
            assert!(err.starts_with("--set "), "{err}");
            assert!(err.contains("help:"), "{err}");
        }
        let err = assignment("a=[unclosed").expect_err("bad yaml").to_string();
        assert!(err.starts_with("--set a: "), "{err}");
    }
}
