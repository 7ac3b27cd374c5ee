//! Snapshot tests: every file rendered for each configuration in tests/configs/.
//! For configurations other than the default, a file identical to the default
//! render is left out: the default's snapshot already guards it, and the snapshots
//! of a configuration then show exactly what that configuration changes. (Should
//! such a file start to differ, its snapshot is new, which fails under CI.)
//! Review changes with `cargo insta review`.

use meshgen::{load_values, render_trees, TemplateSet, ValuesSource};

#[test]
fn rendered_files() {
    let default_values = load_values(&[]).unwrap_or_else(|e| panic!("{e}"));
    let default = render_trees(&default_values, &certs(), &TemplateSet::embedded()).unwrap_or_else(|e| panic!("{e}"));
    insta::glob!("configs/*.yaml", |path| {
        let name = path
            .file_stem()
            .and_then(|s| s.to_str())
            .unwrap_or("config")
            .to_string();
        let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        let overlay = ValuesSource {
            name: format!("tests/configs/{name}.yaml"),
            text,
        };
        let values = load_values(&[overlay]).unwrap_or_else(|e| panic!("{e}"));
        let trees = render_trees(&values, &certs(), &TemplateSet::embedded()).unwrap_or_else(|e| panic!("{e}"));
        let mut settings = insta::Settings::clone_current();
        settings.set_snapshot_path("../snapshots");
        settings.set_prepend_module_to_snapshot(false);
        settings.set_omit_expression(true);
        settings.set_input_file(path);
        settings.bind(|| {
            for (file, content) in &trees.generated.files {
                if name != "default" && default.generated.files.get(file) == Some(content) {
                    continue;
                }
                let snap = format!("{name}__{}", file.replace('/', "__"));
                insta::assert_snapshot!(snap, content);
            }
        });
    });
}

/// The certificates committed in certs/ (public halves only in a fresh clone).
fn certs() -> meshgen::CertStore {
    meshgen::load_certs(meshgen::Utf8Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/certs"))).expect("certs/ loads")
}
