//! The minijinja environment. Templates live in `templates/<bundle>/*.yaml.j2`,
//! embedded into the library at build time.
//!
//! Output safety: every `{{ value }}` is written as JSON (a JSON string is a valid
//! YAML double-quoted scalar), so no value can add or change YAML structure, whatever
//! it contains. The one exception is the `shell_word` filter, for names spliced into
//! a shell script that is itself captured with `{% set %}` and then written as one
//! JSON string; it accepts only a conservative character set.

use std::fmt;
use std::sync::{Arc, OnceLock};

use include_dir::{include_dir, Dir};
use minijinja::value::{Object, Value};
use minijinja::{Environment, ErrorKind, UndefinedBehavior};

use crate::error::{Error, Result};

static EMBEDDED: Dir<'static> = include_dir!("$CARGO_MANIFEST_DIR/templates");

/// A named template, such as `dgraph/statefulset-alpha.yaml.j2`.
#[derive(Debug, Clone)]
pub struct TemplateFile {
    /// The template's path under `templates/`, such as `dgraph/namespace.yaml.j2`.
    pub name: String,
    /// Its text.
    pub source: String,
}

/// The set of templates to render, grouped by bundle (the first path segment).
#[derive(Debug, Clone)]
pub struct TemplateSet {
    files: Vec<TemplateFile>,
    /// The environment, parsed once and shared by every render (and every clone) of
    /// this set: parsing every template is a noticeable part of a render otherwise.
    env: Arc<OnceLock<Environment<'static>>>,
}

impl TemplateSet {
    /// The templates compiled into meshgen.
    pub fn embedded() -> Self {
        let mut files = Vec::new();
        collect(&EMBEDDED, &mut files);
        Self::from_files(files)
    }

    /// Templates read from a directory laid out like `templates/`; used by tests
    /// and by anyone trying a template change without rebuilding.
    pub fn from_dir(root: &camino::Utf8Path) -> Result<Self> {
        let mut files = Vec::new();
        read_dir_recursive(root, root, &mut files)?;
        Ok(Self::from_files(files))
    }

    /// A set of templates given in memory; only `*.j2` files are kept, sorted by name.
    pub fn from_files(mut files: Vec<TemplateFile>) -> Self {
        files.retain(|f| f.name.ends_with(".j2"));
        // Sorted so that render order never depends on the filesystem.
        files.sort_by(|a, b| a.name.cmp(&b.name));
        Self {
            files,
            env: Arc::default(),
        }
    }

    /// The templates, sorted by name.
    pub fn files(&self) -> &[TemplateFile] {
        &self.files
    }

    /// The templates that render objects. Files whose name starts with `_` are
    /// partials (macros) that other templates import.
    pub fn object_templates(&self) -> impl Iterator<Item = &TemplateFile> {
        self.files
            .iter()
            .filter(|f| !f.name.rsplit('/').next().unwrap_or("").starts_with('_'))
    }

    /// The environment with every template loaded and checked for syntax, built on
    /// first use and kept for the life of this set.
    pub fn environment(&self) -> Result<&Environment<'static>> {
        if let Some(env) = self.env.get() {
            return Ok(env);
        }
        // A set with a syntax error is not cached: each call reports it again.
        let built = self.build_environment()?;
        Ok(self.env.get_or_init(|| built))
    }

    fn build_environment(&self) -> Result<Environment<'static>> {
        let mut env = Environment::new();
        env.set_undefined_behavior(UndefinedBehavior::Strict);
        let syntax = minijinja::syntax::SyntaxConfig::builder()
            .trim_blocks(true)
            .lstrip_blocks(true)
            .keep_trailing_newline(true)
            .build()
            .map_err(|e| template_error("(syntax)", &e))?;
        env.set_syntax(syntax);
        env.set_formatter(json_formatter);
        // `safe` and `escape` would bypass or double the JSON escaping.
        env.remove_filter("safe");
        env.remove_filter("escape");
        env.remove_filter("e");
        env.add_filter("shell_word", shell_word);
        env.add_filter("fragment", fragment);
        for file in &self.files {
            env.add_template_owned(file.name.clone(), file.source.clone())
                .map_err(|e| template_error(&file.name, &e))?;
        }
        Ok(env)
    }
}

fn collect(dir: &Dir<'static>, out: &mut Vec<TemplateFile>) {
    for file in dir.files() {
        if let (Some(name), Some(source)) = (file.path().to_str(), file.contents_utf8()) {
            out.push(TemplateFile {
                name: name.to_string(),
                source: source.to_string(),
            });
        }
    }
    for sub in dir.dirs() {
        collect(sub, out);
    }
}

fn read_dir_recursive(root: &camino::Utf8Path, dir: &camino::Utf8Path, out: &mut Vec<TemplateFile>) -> Result<()> {
    let entries = dir
        .read_dir_utf8()
        .map_err(|e| Error::io(dir, "cannot list templates", e))?;
    for entry in entries {
        let entry = entry.map_err(|e| Error::io(dir, "cannot list templates", e))?;
        let path = entry.path();
        if path.is_dir() {
            read_dir_recursive(root, path, out)?;
        } else {
            let source = std::fs::read_to_string(path).map_err(|e| Error::io(path, "cannot read template", e))?;
            let name = path.strip_prefix(root).unwrap_or(path).as_str().replace('\\', "/");
            out.push(TemplateFile { name, source });
        }
    }
    Ok(())
}

pub(crate) fn template_error(name: &str, err: &minijinja::Error) -> Error {
    let mut message = err.to_string();
    if let Some(line) = err.line() {
        message = format!("line {line}: {message}");
    }
    let mut source = std::error::Error::source(err);
    while let Some(inner) = source {
        message.push_str(&format!(": {inner}"));
        source = inner.source();
    }
    Error::Template {
        template: err.name().unwrap_or(name).to_string(),
        message,
    }
}

/// Writes every value as JSON, except words checked by `shell_word` and
/// template fragments placed by `fragment`.
fn json_formatter(
    out: &mut minijinja::Output,
    _state: &mut minijinja::State,
    value: &Value,
) -> std::result::Result<(), minijinja::Error> {
    if let Some(word) = value.downcast_object_ref::<RawText>() {
        return out.write_str(&word.0).map_err(minijinja::Error::from);
    }
    if value.is_undefined() {
        return Err(minijinja::Error::new(
            ErrorKind::UndefinedError,
            "undefined value written",
        ));
    }
    let json =
        serde_json::to_string(value).map_err(|e| minijinja::Error::new(ErrorKind::BadSerialization, e.to_string()))?;
    out.write_str(&json).map_err(minijinja::Error::from)
}

/// Template text (a macro's output or a `{% set %}` capture) placed into another
/// template as YAML, with every line after the first indented by `indent` spaces
/// so that it nests where the call stands. Only template output is accepted: its
/// values were JSON-escaped when it was rendered. A plain value is refused, so this
/// cannot be used to write a value unescaped.
fn fragment(value: Value, indent: usize) -> std::result::Result<Value, minijinja::Error> {
    if !value.is_safe() {
        return Err(minijinja::Error::new(
            ErrorKind::InvalidOperation,
            "fragment: only a macro call or a {% set %} block can be placed as YAML",
        ));
    }
    let text = value.to_string();
    let pad = " ".repeat(indent);
    let mut out = String::with_capacity(text.len());
    for (i, line) in text.trim_end_matches('\n').split('\n').enumerate() {
        if i > 0 {
            out.push('\n');
            if !line.is_empty() {
                out.push_str(&pad);
            }
        }
        out.push_str(line);
    }
    Ok(Value::from_object(RawText(out)))
}

/// Text written as it is: a word checked by `shell_word`, or a template fragment.
#[derive(Debug)]
struct RawText(String);

impl Object for RawText {}

impl fmt::Display for RawText {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Accepts names, host names, ports and comma lists of them: nothing a shell or a
/// YAML reader could read as syntax.
fn shell_word(value: Value) -> std::result::Result<Value, minijinja::Error> {
    let text = value.to_string();
    let ok = !text.is_empty() && text.chars().all(|c| c.is_ascii_alphanumeric() || "-._:,/=".contains(c));
    if ok {
        Ok(Value::from_object(RawText(text)))
    } else {
        Err(minijinja::Error::new(
            ErrorKind::InvalidOperation,
            format!("shell_word: {text:?} may only hold letters, digits and - . _ : , / ="),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn render(src: &str, ctx: Value) -> std::result::Result<String, String> {
        let set = TemplateSet::from_files(vec![TemplateFile {
            name: "t/x.yaml.j2".into(),
            source: src.into(),
        }]);
        let env = set.environment().map_err(|e| e.to_string())?;
        let tpl = env.get_template("t/x.yaml.j2").map_err(|e| e.to_string())?;
        tpl.render(ctx).map_err(|e| e.to_string())
    }

    #[test]
    fn values_are_json_escaped() {
        let ctx = minijinja::context! { v => "a\"b\nevil: true", n => 3 };
        assert_eq!(
            render("k: {{ v }}\nn: {{ n }}", ctx).unwrap(),
            "k: \"a\\\"b\\nevil: true\"\nn: 3"
        );
    }

    #[test]
    fn captured_blocks_are_written_as_one_string() {
        let ctx = minijinja::context! { name => "demo", list => vec!["a", "b"] };
        let src =
            "{% set s %}\nrun {{ name|shell_word }} --x {{ list|join(',')|shell_word }}\n{% endset %}\nk: {{ s }}";
        assert_eq!(render(src, ctx).unwrap(), "k: \"run demo --x a,b\\n\"");
    }

    #[test]
    fn fragments_nest_macro_output() {
        let src =
            "{% macro c(n) %}\nname: {{ n }}\nimage: x\n{% endmacro %}\nlist:\n  - {{ c(\"a: b\")|fragment(4) }}\n";
        assert_eq!(
            render(src, minijinja::context! {}).unwrap(),
            "list:\n  - name: \"a: b\"\n    image: x\n"
        );
        assert!(render("{{ v|fragment(2) }}", minijinja::context! { v => "k: v" }).is_err());
    }

    #[test]
    fn shell_word_rejects_syntax() {
        let err = render("{{ v|shell_word }}", minijinja::context! { v => "a; rm -rf /" }).unwrap_err();
        assert!(err.contains("shell_word"), "{err}");
    }

    #[test]
    fn undefined_and_bypass_filters_are_errors() {
        assert!(render("{{ missing }}", minijinja::context! {})
            .unwrap_err()
            .contains("undefined"));
        assert!(render("{{ v|safe }}", minijinja::context! { v => "x" }).is_err());
    }
}
