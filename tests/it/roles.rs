//! Role profiles: one MFA session serves every role of the user.

use crate::support::*;

const ADMIN: &str = "arn:aws:iam::123456789012:role/admin";
const READONLY: &str = "arn:aws:iam::123456789012:role/readonly";
const AUDIT: &str = "arn:aws:iam::123456789012:role/audit";

fn world_with_roles() -> World {
    let world = World::new();
    world.write_config(&format!(
        "{ALICE_CONFIG}\
         [profile admin]\nrole_arn = {ADMIN}\nsource_profile = alice\n\
         [profile readonly]\nrole_arn = {READONLY}\nsource_profile = alice\nexternal_id = ext-42\nrole_session_name = alice-reads\nregion = us-west-2\n\
         [profile audit]\nrole_arn = {AUDIT}\nsource_profile = admin\n"
    ));
    world.sts.add_role(ADMIN, None);
    world.sts.add_role(READONLY, Some("ext-42"));
    world.sts.add_role(AUDIT, None);
    world
}

fn caller_arn(world: &World, args: &[&str]) -> String {
    let mut all = args.to_vec();
    all.push("--");
    all.extend(CALLER_ARN);
    let run = world.run(&all);
    run.ok();
    run.stdout.trim().to_owned()
}

#[test]
fn a_role_is_assumed_with_the_users_mfa_session() {
    let world = world_with_roles();
    let arn = caller_arn(
        &world,
        &["exec", "--profile", "admin", "--token-code", &code()],
    );
    let session = arn
        .strip_prefix("arn:aws:sts::123456789012:assumed-role/admin/awsmfa-")
        .unwrap_or_else(|| panic!("{arn}"));
    assert!(
        session.parse::<u64>().is_ok(),
        "default session name: {arn}"
    );
    assert_eq!(world.sts.count("GetSessionToken"), 1);
    assert_eq!(world.sts.count("AssumeRole"), 1);
    let assume = world
        .sts
        .calls()
        .into_iter()
        .find(|c| c.action == "AssumeRole")
        .unwrap();
    assert!(
        assume.access_key_id.starts_with("ASIA"),
        "signed with the MFA session"
    );
    assert!(
        !assume.params.contains_key("TokenCode"),
        "the MFA context carries over"
    );
    assert_eq!(assume.params["DurationSeconds"], "3600");
    assert_eq!(assume.params["RoleArn"], ADMIN);
}

#[test]
fn one_code_serves_every_role_and_the_user() {
    let world = world_with_roles();
    caller_arn(
        &world,
        &["exec", "--profile", "admin", "--token-code", &code()],
    );
    // No code from here on: stdin is /dev/null and there is no terminal.
    let arn = caller_arn(&world, &["exec", "--profile", "readonly"]);
    assert!(arn.ends_with(":assumed-role/readonly/alice-reads"), "{arn}");
    assert_eq!(
        caller_arn(&world, &["exec", "--profile", "alice"]),
        ALICE_ARN
    );
    caller_arn(&world, &["exec", "--profile", "admin"]);
    assert_eq!(world.sts.count("GetSessionToken"), 1);
    assert_eq!(
        world.sts.count("AssumeRole"),
        2,
        "the second run of admin used its cache"
    );
    let readonly = world
        .sts
        .calls()
        .into_iter()
        .find(|c| c.params.get("RoleArn").map(String::as_str) == Some(READONLY))
        .unwrap();
    assert_eq!(readonly.params["ExternalId"], "ext-42");
    assert_eq!(readonly.params["RoleSessionName"], "alice-reads");
}

#[test]
fn the_child_sees_the_role_profile() {
    let world = world_with_roles();
    let run = world.run(&[
        "exec",
        "--profile",
        "readonly",
        "--token-code",
        &code(),
        "--",
        "sh",
        "-c",
        "echo $AWSMFA_PROFILE $AWS_REGION $AWS_DEFAULT_REGION",
    ]);
    run.ok();
    assert_eq!(run.stdout, "readonly us-west-2 us-west-2\n");
    let run = world.run(&["exec", "--profile", "admin", "--", "printenv", "AWS_REGION"]);
    run.ok();
    assert_eq!(run.stdout, "eu-west-1\n", "the source's region");
}

#[test]
fn a_long_role_session_is_assumed_directly_with_mfa() {
    let world = world_with_roles();
    let arn = caller_arn(
        &world,
        &[
            "exec",
            "--profile",
            "admin",
            "--duration",
            "2h",
            "--token-code",
            &code(),
        ],
    );
    assert!(arn.contains(":assumed-role/admin/"), "{arn}");
    assert_eq!(world.sts.count("GetSessionToken"), 0);
    let assume = &world.sts.calls()[0];
    assert_eq!(assume.action, "AssumeRole");
    assert_eq!(assume.access_key_id, ALICE_KEY);
    assert_eq!(assume.params["SerialNumber"], ALICE_SERIAL);
    assert_eq!(assume.params["DurationSeconds"], "7200");
    assert!(assume.params.contains_key("TokenCode"));
    // Cached like any other role session.
    caller_arn(&world, &["exec", "--profile", "admin", "--duration", "2h"]);
    assert_eq!(world.sts.count("AssumeRole"), 1);
}

#[test]
fn the_stand_in_like_sts_refuses_long_chained_sessions() {
    // What awsmfa avoids: asking a session-signed AssumeRole for over an hour.
    let world = world_with_roles();
    world.write_config(&format!(
        "{ALICE_CONFIG}[profile admin]\nrole_arn = {ADMIN}\nsource_profile = alice\n"
    ));
    caller_arn(
        &world,
        &["exec", "--profile", "admin", "--token-code", &code()],
    );
    let run = world.run(&[
        "exec",
        "--profile",
        "alice",
        "--",
        "aws",
        "sts",
        "assume-role",
        "--role-arn",
        ADMIN,
        "--role-session-name",
        "chained",
        "--duration-seconds",
        "7200",
    ]);
    assert_ne!(run.status, 0);
    assert!(
        run.stderr.contains("1 hour session limit"),
        "{}",
        run.stderr
    );
}

#[test]
fn a_role_of_a_role_chains_through_both() {
    let world = world_with_roles();
    let arn = caller_arn(
        &world,
        &["exec", "--profile", "audit", "--token-code", &code()],
    );
    assert!(arn.contains(":assumed-role/audit/"), "{arn}");
    assert_eq!(world.sts.count("GetSessionToken"), 1);
    assert_eq!(world.sts.count("AssumeRole"), 2);
    // Admin's role credentials were cached on the way.
    caller_arn(&world, &["exec", "--profile", "admin"]);
    assert_eq!(world.sts.count("AssumeRole"), 2);
    world
        .run(&[
            "exec",
            "--profile",
            "audit",
            "--duration",
            "2h",
            "--",
            "true",
        ])
        .fails_with(
            2,
            "--duration: '2h' is longer than STS's one-hour limit for chained roles",
        );
}

#[test]
fn broken_role_profiles_are_one_line_errors() {
    let world = World::new();
    world.write_config(&format!(
        "{ALICE_CONFIG}\
         [profile a]\nrole_arn = {ADMIN}\nsource_profile = b\n\
         [profile b]\nrole_arn = {ADMIN}\nsource_profile = a\n\
         [profile orphan]\nrole_arn = {ADMIN}\nsource_profile = gone\n\
         [profile keyless]\nregion = eu-west-1\n\
         [profile onkeyless]\nrole_arn = {ADMIN}\nsource_profile = keyless\nmfa_serial = {ALICE_SERIAL}\n"
    ));
    let c = code();
    world
        .run(&["exec", "--profile", "a", "--token-code", &c, "--", "true"])
        .fails_with(125, "source_profile cycle: a -> b -> a");
    world
        .run(&[
            "exec",
            "--profile",
            "orphan",
            "--token-code",
            &c,
            "--",
            "true",
        ])
        .fails_with(
            125,
            "profile 'orphan' names source_profile 'gone', which is not in",
        );
    world
        .run(&[
            "exec",
            "--profile",
            "onkeyless",
            "--token-code",
            &c,
            "--",
            "true",
        ])
        .fails_with(
            125,
            "profile 'keyless' (source of 'onkeyless') has no long-term keys",
        );
    assert!(world.sts.calls().is_empty());
}
