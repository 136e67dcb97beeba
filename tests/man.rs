//! The man pages in man/ are generated from the clap definitions; this test
//! fails when they are stale. Regenerate with:
//!     AWSMFA_UPDATE_MAN=1 cargo test --test man

use awsmfa::cli::Cli;
use clap::CommandFactory;
use std::path::Path;

#[test]
fn man_pages_match_the_command_line() {
    let generated = tempfile::tempdir().unwrap();
    clap_mangen::generate_to(Cli::command(), generated.path()).unwrap();
    let committed = Path::new(env!("CARGO_MANIFEST_DIR")).join("man");
    let update = std::env::var_os("AWSMFA_UPDATE_MAN").is_some();
    let mut stale = Vec::new();
    let mut names: Vec<_> = std::fs::read_dir(generated.path())
        .unwrap()
        .flatten()
        .map(|e| e.file_name())
        .collect();
    names.sort();
    assert!(names.iter().any(|n| n == "awsmfa.1"), "{names:?}");
    for name in &names {
        let fresh = std::fs::read_to_string(generated.path().join(name)).unwrap();
        let path = committed.join(name);
        if update {
            std::fs::create_dir_all(&committed).unwrap();
            std::fs::write(&path, &fresh).unwrap();
        } else if std::fs::read_to_string(&path).ok().as_deref() != Some(fresh.as_str()) {
            stale.push(name.to_string_lossy().into_owned());
        }
    }
    let extra: Vec<_> = std::fs::read_dir(&committed)
        .map(|dir| {
            dir.flatten()
                .map(|e| e.file_name())
                .filter(|n| !names.contains(n))
                .collect()
        })
        .unwrap_or_default();
    assert!(
        stale.is_empty() && (update || extra.is_empty()),
        "man pages out of date: {stale:?}, left over: {extra:?}; run AWSMFA_UPDATE_MAN=1 cargo test --test man"
    );
}
