//! `values.schema.json`: committed, kept fresh, and meaningful for an editor: every key
//! of the defaults is described there, and a misspelt key is flagged.

use serde_json::Value;

const COMMITTED: &str = include_str!("../../values.schema.json");

#[test]
fn the_committed_schema_is_fresh() {
    assert!(
        COMMITTED == meshgen::values::schema_json(),
        "values.schema.json is stale: run `cargo xtask schema` and commit it"
    );
}

/// Follows a local `$ref` to its definition.
fn resolve<'a>(root: &'a Value, node: &'a Value) -> &'a Value {
    match node.get("$ref").and_then(Value::as_str) {
        Some(r) => resolve(root, root.pointer(r.trim_start_matches('#')).unwrap_or(&Value::Null)),
        None => node,
    }
}

/// Every key of `values` has a property in `schema`, and every object in the schema
/// refuses other keys (so an editor flags a typo).
fn covers(root: &Value, schema: &Value, values: &Value, path: &str) {
    let schema = resolve(root, schema);
    if let Value::Object(map) = values {
        let Some(props) = schema.get("properties") else {
            // Free-form maps (annotations, labels) take any key.
            assert!(
                schema.get("additionalProperties").is_some_and(Value::is_object),
                "{path}: {schema}"
            );
            return;
        };
        assert_eq!(
            schema["additionalProperties"],
            Value::Bool(false),
            "{path} accepts unknown keys"
        );
        for (key, value) in map {
            let prop = props
                .get(key)
                .unwrap_or_else(|| panic!("{path}.{key} is not in the schema"));
            assert!(
                resolve(root, prop)
                    .get("description")
                    .or(prop.get("description"))
                    .is_some()
                    || !value.is_object(),
                "{path}.{key} has no description"
            );
            covers(root, prop, value, &format!("{path}.{key}"));
        }
    }
}

#[test]
fn every_default_key_is_in_the_schema_and_nothing_is_required() {
    let schema: Value = serde_json::from_str(COMMITTED).expect("the schema is JSON");
    let defaults = crate::common::parse(meshgen::DEFAULT_VALUES).expect("the defaults are YAML");
    covers(&schema, &schema, &defaults, "");
    assert!(
        !COMMITTED.contains("\"required\""),
        "an overlay sets only what it changes"
    );
}
