//! Rebuilds the library when anything under templates/ changes, a new file included:
//! `include_dir!` embeds the files it found at the last build, and cargo would not
//! otherwise notice a template added since.

fn main() {
    println!("cargo:rerun-if-changed=templates");
    println!("cargo:rerun-if-changed=build.rs");
}
