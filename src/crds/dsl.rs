//! A small builder for structural OpenAPI v3 schemas, the dialect of a CRD's
//! `openAPIV3Schema`. Each builder returns a [`Schema`] whose keys appear in the
//! order they were set, so the rendered YAML reads type first, then its limits.

use serde_json::{Map, Value as Json};

/// One schema node.
#[derive(Debug, Clone, PartialEq)]
pub struct Schema(Map<String, Json>);

/// A schema with no constraints; the base of value-only alternatives (oneOf, anyOf
/// and not branches), which add constraints but declare no type.
pub(crate) fn empty() -> Schema {
    Schema(Map::new())
}

fn typed(ty: &str) -> Schema {
    empty().with("type", ty)
}

/// A string.
pub(crate) fn string() -> Schema {
    typed("string")
}

/// A boolean.
pub(crate) fn boolean() -> Schema {
    typed("boolean")
}

/// An integer without a format (the width is the server's choice).
pub(crate) fn integer() -> Schema {
    typed("integer")
}

/// A 32-bit integer.
pub(crate) fn int32() -> Schema {
    integer().format("int32")
}

/// A 64-bit integer.
pub(crate) fn int64() -> Schema {
    integer().format("int64")
}

/// A floating-point number.
pub(crate) fn float() -> Schema {
    typed("number").format("float")
}

/// An RFC 3339 timestamp, as in status conditions.
pub(crate) fn date_time() -> Schema {
    string().format("date-time")
}

/// A list of `items`.
pub(crate) fn array(items: Schema) -> Schema {
    typed("array").with("items", items)
}

/// An object with exactly these properties; any other field is pruned by the server.
pub(crate) fn object<const N: usize>(props: [(&str, Schema); N]) -> Schema {
    let props: Map<String, Json> = props.into_iter().map(|(k, s)| (k.to_string(), s.into())).collect();
    typed("object").with("properties", props)
}

/// An object with no declared properties, such as `metadata` at the root.
pub(crate) fn bare_object() -> Schema {
    typed("object")
}

/// An object whose content the server keeps as written (label maps, opaque matchers).
pub(crate) fn free_object() -> Schema {
    typed("object").preserve_unknown_fields()
}

/// An object whose values all satisfy `values`, such as a map of strings.
pub(crate) fn map_of(values: Schema) -> Schema {
    typed("object").with("additionalProperties", values)
}

/// A value of any type, kept as written (a plugin's free-form configuration).
pub(crate) fn any_value() -> Schema {
    empty().preserve_unknown_fields()
}

/// A value that is either an integer or a string, such as a port number or name.
pub(crate) fn int_or_string() -> Schema {
    empty().with("x-kubernetes-int-or-string", true)
}

impl Schema {
    fn with(mut self, key: &str, value: impl Into<Json>) -> Self {
        self.0.insert(key.to_string(), value.into());
        self
    }

    /// A short description, shown by `kubectl explain`.
    pub fn doc(self, text: &str) -> Self {
        self.with("description", text)
    }

    /// Sets the format, such as `date-time`.
    pub fn format(self, format: &str) -> Self {
        self.with("format", format)
    }

    /// Names the fields that must be present.
    pub fn required<const N: usize>(self, fields: [&str; N]) -> Self {
        self.with("required", strings(fields))
    }

    /// Exactly one of `fields` must be present (`oneOf` of `required` alternatives).
    pub fn one_of_required<const N: usize>(self, fields: [&str; N]) -> Self {
        let alternatives: Vec<Json> = fields.iter().map(|f| empty().required([*f]).into()).collect();
        self.with("oneOf", alternatives)
    }

    /// `anyOf` of the given alternatives.
    pub fn any_of<const N: usize>(self, alternatives: [Schema; N]) -> Self {
        let alternatives: Vec<Json> = alternatives.into_iter().map(Json::from).collect();
        self.with("anyOf", alternatives)
    }

    /// The value must not satisfy `schema` (`not`), such as "this field is absent".
    pub fn not(self, schema: Schema) -> Self {
        self.with("not", schema)
    }

    /// Restricts the value to `values` (an `enum`).
    pub fn one_of_values<T: Into<Json>, const N: usize>(self, values: [T; N]) -> Self {
        let values: Vec<Json> = values.into_iter().map(Into::into).collect();
        self.with("enum", values)
    }

    /// Requires a string to match `regex`.
    pub fn pattern(self, regex: &str) -> Self {
        self.with("pattern", regex)
    }

    /// The shortest allowed string.
    pub fn min_len(self, n: u64) -> Self {
        self.with("minLength", n)
    }

    /// The longest allowed string.
    pub fn max_len(self, n: u64) -> Self {
        self.with("maxLength", n)
    }

    /// `minLength` and `maxLength`.
    pub fn length(self, min: u64, max: u64) -> Self {
        self.min_len(min).max_len(max)
    }

    /// The smallest allowed number.
    pub fn min(self, n: i64) -> Self {
        self.with("minimum", n)
    }

    /// The largest allowed number.
    pub fn max(self, n: i64) -> Self {
        self.with("maximum", n)
    }

    /// `minimum` and `maximum`, both inclusive.
    pub fn range(self, min: i64, max: i64) -> Self {
        self.min(min).max(max)
    }

    /// The fewest allowed items.
    pub fn min_items(self, n: u64) -> Self {
        self.with("minItems", n)
    }

    /// The most allowed items.
    pub fn max_items(self, n: u64) -> Self {
        self.with("maxItems", n)
    }

    /// The value the server fills in when the field is absent.
    pub fn default(self, value: impl Into<Json>) -> Self {
        self.with("default", value)
    }

    /// Keeps fields the schema does not name (`x-kubernetes-preserve-unknown-fields`).
    pub fn preserve_unknown_fields(self) -> Self {
        self.with("x-kubernetes-preserve-unknown-fields", true)
    }

    /// A list whose items are identified (and merged by server-side apply) by `keys`.
    pub fn list_map<const N: usize>(self, keys: [&str; N]) -> Self {
        self.with("x-kubernetes-list-type", "map")
            .with("x-kubernetes-list-map-keys", strings(keys))
    }

    /// A list that server-side apply replaces as a whole (`x-kubernetes-list-type: atomic`).
    pub fn atomic_list(self) -> Self {
        self.with("x-kubernetes-list-type", "atomic")
    }

    /// An object that server-side apply replaces as a whole (`x-kubernetes-map-type: atomic`).
    pub fn atomic_map(self) -> Self {
        self.with("x-kubernetes-map-type", "atomic")
    }

    /// Adds a property, or replaces it; for what one version adds to another.
    pub fn prop(mut self, name: &str, schema: Schema) -> Self {
        if let Some(Json::Object(props)) = self.0.get_mut("properties") {
            props.insert(name.to_string(), schema.into());
            self
        } else {
            self.with("properties", Map::from_iter([(name.to_string(), schema.into())]))
        }
    }
}

fn strings<const N: usize>(items: [&str; N]) -> Json {
    Json::Array(items.iter().map(|s| Json::from(*s)).collect())
}

impl From<Schema> for Json {
    fn from(s: Schema) -> Json {
        Json::Object(s.0)
    }
}
