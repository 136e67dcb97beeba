//! What an installed copy depends on: the two programs side by side, and a
//! clear word when the second cannot start. (The release artefacts
//! themselves are proven by `packaging/check.sh`.)

use crate::support::*;

/// An `awsmfa-full` that is there but whose loader is not (a program built
/// for another system): the kernel says "no such file", awsmfa says what is
/// really wrong.
#[test]
fn a_full_program_whose_loader_is_missing_is_named_as_such() {
    let world = World::new();
    let dir = world.home().join("installed");
    std::fs::create_dir_all(&dir).unwrap();
    copy_program(std::path::Path::new(BIN), &dir.join("awsmfa"));
    // execve fails with ENOENT for a missing interpreter, as for a missing
    // dynamic loader.
    executable(&dir.join("awsmfa-full"), "#!/no/such/loader\n");
    let run = world.run_command(world.program(dir.join("awsmfa"), &["status"]));
    assert_eq!(run.status, 1, "{}", run.stderr);
    assert!(
        run.stderr
            .contains("the file is there, but the program loader or a library it needs is missing"),
        "{}",
        run.stderr
    );
    assert!(run.stderr.contains("awsmfa-full"), "{}", run.stderr);
}
