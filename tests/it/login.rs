//! `awsmfa login`: a console sign-in URL for a role profile, from the role's
//! credentials on the user's MFA session, through a federation stand-in that
//! checks whose session it was given.

use crate::support::signin::Signin;
use crate::support::*;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

fn with_signin() -> (World, Signin) {
    let world = world_with_admin();
    let signin = Signin::start(&world.sts);
    (world, signin)
}

fn login(world: &World, signin: &Signin, args: &[&str]) -> Run {
    let mut command = world.command(&[&["login"], args].concat());
    command.env("AWS_ENDPOINT_URL_SIGNIN", &signin.url);
    world.run_command(command)
}

#[test]
fn stdout_gets_a_signin_url_for_the_roles_session() {
    let (world, signin) = with_signin();
    let run = login(
        &world,
        &signin,
        &["--profile", "admin", "--stdout", "--token-code", &code()],
    );
    run.ok();
    let url = run.stdout.trim_end();
    assert_eq!(run.stdout.lines().count(), 1, "{}", run.stdout);
    let prefix = format!(
        "{}/federation?Action=login&Issuer=awsmfa&Destination=",
        signin.url
    );
    assert!(url.starts_with(&prefix), "{url}");
    assert!(
        url.contains("Destination=https%3A%2F%2Fconsole.aws.amazon.com%2Fconsole%2Fhome%3Fregion%3Deu-west-1&"),
        "{url}"
    );
    let requests = signin.requests();
    assert_eq!(requests.len(), 1);
    let request = &requests[0];
    assert!(
        request
            .arn
            .as_deref()
            .is_some_and(|arn| arn.starts_with("arn:aws:sts::123456789012:assumed-role/admin/")),
        "the role's session, not the user's: {request:?}"
    );
    assert!(request.temporary, "never the long-term keys");
    assert_eq!(
        request.session_duration, None,
        "no SessionDuration for credentials from role chaining"
    );
    let issued = request.token.as_deref().unwrap();
    assert!(url.ends_with(&format!("&SigninToken={issued}")), "{url}");
    assert!(!run.stderr.contains(issued));
}

#[test]
fn a_second_login_reuses_the_role_credentials_and_verbose_names_only_the_endpoint() {
    let (world, signin) = with_signin();
    login(
        &world,
        &signin,
        &["--profile", "admin", "--stdout", "--token-code", &code()],
    )
    .ok();
    let run = login(&world, &signin, &["--profile", "admin", "--stdout", "-v"]);
    run.ok();
    assert_eq!(world.sts.count("GetSessionToken"), 1);
    assert_eq!(
        world.sts.count("AssumeRole"),
        1,
        "the cached role credentials"
    );
    let requests = signin.requests();
    assert_eq!(requests.len(), 2);
    let token = requests[1].token.as_deref().unwrap();
    assert!(run.stdout.contains(token));
    assert!(
        run.stderr
            .contains(&format!("sign-in token from {}/federation", signin.url)),
        "{}",
        run.stderr
    );
    assert!(!run.stderr.contains(token), "{}", run.stderr);
    assert!(!run.stderr.contains("Action="), "{}", run.stderr);
}

/// A browser that records what it was given: its arguments, its
/// environment, the page it was handed and that page's modes.
fn recording_browser(world: &World, path: &Path) -> PathBuf {
    let record = world.home().join("opened");
    executable(
        path,
        &format!(
            "#!/bin/sh\n{{ printf 'args:%s\\n' \"$*\"; env | sed 's/^/env:/'; \
             printf 'modes:%s %s\\n' \"$(stat -c %a \"$1\")\" \"$(stat -c %a \"$(dirname \"$1\")\")\"; \
             printf 'page:%s\\n' \"$1\"; cat \"$1\"; }} > {0}.tmp\nmv {0}.tmp {0}\n",
            record.display()
        ),
    );
    record
}

/// What the recording browser wrote, once it has.
fn recorded(record: &Path) -> String {
    let started = Instant::now();
    while !record.exists() && started.elapsed() < Duration::from_secs(10) {
        std::thread::sleep(Duration::from_millis(20));
    }
    std::fs::read_to_string(record).expect("the browser was started")
}

#[test]
fn without_stdout_the_url_goes_to_the_browser_only() {
    let (world, signin) = with_signin();
    let browser = world.home().join("browser");
    let record = recording_browser(&world, &browser);
    let given = code();
    let mut command = world.command(&["login", "--profile", "admin"]);
    command
        .env("AWS_ENDPOINT_URL_SIGNIN", &signin.url)
        .env("BROWSER", &browser)
        .env("AWSMFA_TOKEN_CODE", &given)
        .env("AWS_SECRET_ACCESS_KEY", "shellSecretThatMustNotTravel");
    let run = world.run_command(command);
    run.ok();
    let seen = recorded(&record);
    let token = signin.requests()[0].token.clone().unwrap();
    let line = |prefix: &str| {
        seen.lines()
            .filter_map(|l| l.strip_prefix(prefix))
            .collect::<Vec<_>>()
            .join("\n")
    };
    // Not an argument: every local user can read those.
    assert!(
        !line("args:").contains(&token) && !line("args:").contains("federation"),
        "{seen}"
    );
    // A private page that forwards to the URL.
    assert_eq!(line("modes:"), "600 700", "{seen}");
    assert!(
        seen.contains(&format!("SigninToken={token}\">")),
        "the page forwards to the URL: {seen}"
    );
    // No code, no credentials in the browser's environment.
    let env = line("env:");
    assert!(
        !env.contains("AWSMFA_TOKEN_CODE") && !env.contains(&given),
        "{env}"
    );
    assert!(!env.contains("AWS_SECRET_ACCESS_KEY"), "{env}");
    assert_eq!(run.stdout, "");
    assert!(!run.stderr.contains(&token) && !run.stderr.contains("federation?"));
    assert!(
        run.stderr
            .contains("opened the AWS console for profile 'admin'")
    );
    // The page does not stay: the next run removes what this one left.
    let page = PathBuf::from(line("page:"));
    assert!(page.exists());
    std::fs::remove_file(&record).unwrap();
    let mut command = world.command_with_code(&["login", "--profile", "admin"]);
    command
        .env("AWS_ENDPOINT_URL_SIGNIN", &signin.url)
        .env("BROWSER", &browser);
    world.run_command(command).ok();
    recorded(&record);
    assert!(!page.exists(), "{} is still there", page.display());
}

#[test]
fn a_user_profile_cannot_sign_in() {
    let (world, signin) = with_signin();
    let run = login(
        &world,
        &signin,
        &["--profile", "alice", "--stdout", "--token-code", &code()],
    );
    run.fails_with(1, "profile 'alice' is an IAM user profile");
    assert!(
        run.stderr
            .ends_with("\nhint: sign in as its role: awsmfa login --profile admin\n"),
        "the user's own role is named: {}",
        run.stderr
    );
    assert!(
        signin.requests().is_empty(),
        "no call to the federation endpoint"
    );
    assert!(world.sts.calls().is_empty(), "no code spent");
}

#[test]
fn a_user_profile_gets_its_own_role_profiles_named_or_how_to_write_one() {
    let world = World::new();
    world.write_config(&format!(
        "{ALICE_CONFIG}[profile admin]\nrole_arn = {ADMIN}\nsource_profile = alice\n\
         [profile audit]\nrole_arn = arn:aws:iam::123456789012:role/audit\nsource_profile = admin\n\
         [profile other]\nrole_arn = arn:aws:iam::123456789012:role/other\nsource_profile = bob\n\
         [profile bob]\nmfa_serial = arn:aws:iam::123456789012:mfa/bob\n\
         [profile carol]\nmfa_serial = arn:aws:iam::123456789012:mfa/carol\n"
    ));
    world.write_credentials(&format!(
        "{}[bob]\naws_access_key_id = AKIABOB\naws_secret_access_key = b\n\
         [carol]\naws_access_key_id = AKIACAROL\naws_secret_access_key = c\n",
        alice_credentials()
    ));
    let run = world.run(&["login", "--profile", "alice", "--stdout"]);
    run.fails_with(1, "profile 'alice' is an IAM user profile");
    assert!(
        run.stderr.ends_with(
            "\nhint: sign in as one of its roles (admin, audit): awsmfa login --profile admin\n"
        ),
        "only alice's roles, chained ones too: {}",
        run.stderr
    );
    let run = world.run(&["login", "--profile", "carol", "--stdout"]);
    run.fails_with(1, "profile 'carol' is an IAM user profile");
    assert!(
        run.stderr.ends_with(
            "\nhint: use a role profile: one with role_arn and source_profile = carol, \
             then awsmfa login --profile ROLE\n"
        ),
        "{}",
        run.stderr
    );
    assert!(world.sts.calls().is_empty(), "no code spent");
}

#[test]
fn a_role_assumed_directly_asks_for_a_console_session_as_long() {
    let (world, signin) = with_signin();
    let run = login(
        &world,
        &signin,
        &[
            "--profile",
            "admin",
            "--duration",
            "2h",
            "--stdout",
            "--token-code",
            &code(),
        ],
    );
    run.ok();
    let request = &signin.requests()[0];
    assert_eq!(request.session_duration.as_deref(), Some("7200"));
    assert_eq!(world.sts.count("GetSessionToken"), 0, "assumed directly");
}

#[test]
fn an_unreachable_federation_endpoint_is_named() {
    let (world, _) = with_signin();
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", closed.local_addr().unwrap());
    drop(closed);
    let mut command = world.command(&[
        "login",
        "--profile",
        "admin",
        "--stdout",
        "--token-code",
        &code(),
    ]);
    command.env("AWS_ENDPOINT_URL_SIGNIN", &url);
    let run = world.run_command(command);
    run.fails_with(
        1,
        &format!("cannot reach the federation endpoint at {url}/federation: connection refused"),
    );
}

#[test]
fn without_browser_the_platforms_opener_gets_the_page() {
    let (world, signin) = with_signin();
    let bin = world.home().join("bin");
    std::fs::create_dir(&bin).unwrap();
    let record = recording_browser(&world, &bin.join("xdg-open"));
    let mut command = world.command_with_code(&["login", "--profile", "admin"]);
    command
        .env("AWS_ENDPOINT_URL_SIGNIN", &signin.url)
        .env("PATH", format!("{}:{}", bin.display(), test_path()))
        .env_remove("BROWSER");
    let run = world.run_command(command);
    run.ok();
    let seen = recorded(&record);
    assert!(
        seen.contains(&format!("url={}/federation?Action=login", signin.url)),
        "{seen}"
    );
    assert_eq!(run.stdout, "");
    assert!(run.stderr.contains("with xdg-open"), "{}", run.stderr);
}

/// A browser that is not there is found out before anything is spent: no
/// code, no role session, no sign-in token; the hint on a line of its own.
#[test]
fn a_missing_browser_is_found_before_a_signin_token_is_asked_for() {
    let (world, signin) = with_signin();
    let mut command = world.command_with_code(&["login", "--profile", "admin"]);
    command
        .env("AWS_ENDPOINT_URL_SIGNIN", &signin.url)
        .env("BROWSER", "no-such-browser --new-window");
    let run = world.run_command(command);
    assert_eq!(run.status, 1, "{}", run.stderr);
    let lines: Vec<&str> = run.stderr.lines().collect();
    assert_eq!(
        lines,
        [
            "awsmfa: cannot start the browser 'no-such-browser' (from BROWSER): it is not on PATH",
            "hint: print the sign-in URL instead: awsmfa login --stdout",
        ],
        "{}",
        run.stderr
    );
    assert!(signin.requests().is_empty());
    assert_eq!(world.sts.count("GetSessionToken"), 0);
    assert_eq!(world.sts.count("AssumeRole"), 0);
}
