//! Links the `awsmfa` front as a static PIE on Linux with glibc, where the
//! static C library is installed: a cache hit then starts no dynamic loader
//! (measured in BENCHMARKS.md: it is what puts a hit below `env true`). ASLR
//! stays (PIE). `awsmfa-full` is linked as usual, dynamically: it resolves
//! host names, which static glibc does only through NSS at run time; the
//! front resolves none. Anywhere else, or without `libc.a`, nothing changes.
//!
//! rustc links every Rust program with `-Wl,-Bdynamic -lgcc_s … -lc`; for
//! the front only, a folder of linker scripts found first by those `-l`
//! names points each at its static archive.

use std::path::{Path, PathBuf};
use std::process::Command;

fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    let target = std::env::var("TARGET").unwrap_or_default();
    if !(target.contains("-linux-gnu")) {
        return;
    }
    let Some(archives) = static_archives() else {
        println!(
            "cargo:warning=no static libc.a: awsmfa is linked dynamically (a cache hit is a little slower)"
        );
        return;
    };
    let out = PathBuf::from(std::env::var("OUT_DIR").expect("OUT_DIR"));
    let scripts = out.join("static-front");
    std::fs::create_dir_all(&scripts).expect("create OUT_DIR/static-front");
    for (name, inputs) in archives {
        let list: Vec<String> = inputs.iter().map(|p| p.display().to_string()).collect();
        std::fs::write(
            scripts.join(format!("lib{name}.so")),
            format!("GROUP ( {} )\n", list.join(" ")),
        )
        .expect("write a linker script");
    }
    println!("cargo:rustc-link-arg-bin=awsmfa=-L{}", scripts.display());
    println!("cargo:rustc-link-arg-bin=awsmfa=-static-pie");
}

/// The static archive behind each library rustc links, if all are there.
fn static_archives() -> Option<Vec<(&'static str, Vec<PathBuf>)>> {
    let compiler = std::env::var("CC").unwrap_or_else(|_| "cc".into());
    let find = |file: &str| -> Option<PathBuf> {
        let output = Command::new(&compiler)
            .arg(format!("-print-file-name={file}"))
            .output()
            .ok()?;
        let path = PathBuf::from(String::from_utf8(output.stdout).ok()?.trim());
        (path.is_absolute() && Path::new(&path).exists()).then_some(path)
    };
    let (gcc, gcc_eh, c) = (find("libgcc.a")?, find("libgcc_eh.a")?, find("libc.a")?);
    let mut archives = vec![
        ("gcc_s", vec![gcc_eh.clone(), gcc.clone()]),
        ("c", vec![c, gcc_eh, gcc]),
    ];
    for name in ["util", "rt", "pthread", "m", "dl"] {
        archives.push((name, vec![find(&format!("lib{name}.a"))?]));
    }
    Some(archives)
}
