//! Tests of the reader and of resolution together, on files given as text.

use super::*;
use crate::settings::is_region;
use std::path::Path;

/// The keys a plan found in the files.
fn file_keys(plan: &Plan) -> &LongTermKeys {
    match &plan.user.keys {
        KeysAt::Files(keys) => keys,
        KeysAt::Keystore => panic!("no keys in the files"),
    }
}

fn request(profile: &str) -> Request {
    Request {
        profile: profile.to_owned(),
        region: None,
        duration: None,
    }
}

const CREDENTIALS: &str =
    "[alice]\naws_access_key_id = AKIAALICE\naws_secret_access_key = s3cret\n";

#[test]
fn user_profile_from_both_files() {
    let files = Files::from_texts(
        "# comment\n[profile alice]\nMFA_Serial = arn:aws:iam::123456789012:mfa/alice\nregion=eu-west-1\nmfa_process = ykman oath accounts code -s aws ; echo done # all of it\n",
        CREDENTIALS,
    )
    .unwrap();
    let plan = files.resolve(&request("alice")).unwrap();
    assert_eq!(file_keys(&plan).access_key_id, "AKIAALICE");
    assert_eq!(file_keys(&plan).secret_access_key.expose(), "s3cret");
    assert_eq!(plan.mfa.serial, "arn:aws:iam::123456789012:mfa/alice");
    assert_eq!(plan.region.as_deref(), Some("eu-west-1"));
    // `;` and `#` inside a value are part of it, as the AWS CLI reads it.
    assert_eq!(
        plan.mfa.process.as_deref(),
        Some("ykman oath accounts code -s aws ; echo done # all of it")
    );
    assert_eq!(plan.user.duration, 43_200);
    assert!(plan.roles.is_empty());
}

#[test]
fn credentials_file_wins_and_sections_merge() {
    let files = Files::from_texts(
        "[default]\naws_access_key_id = FROMCONFIG\nmfa_serial = arn:aws:iam::123456789012:mfa/m\n[profile default]\nregion = us-west-2\n",
        "[default]\naws_access_key_id = FROMCREDS\naws_secret_access_key = s\n",
    )
    .unwrap();
    let plan = files.resolve(&request("default")).unwrap();
    assert_eq!(file_keys(&plan).access_key_id, "FROMCREDS");
    assert_eq!(plan.region.as_deref(), Some("us-west-2"));
}

#[test]
fn continuation_lines_and_foreign_sections_are_tolerated() {
    let files = Files::from_texts(
        "[profile alice]\nmfa_serial = arn:aws:iam::123456789012:mfa/m\ns3 =\n  max_concurrent_requests = 10\n[sso-session x]\nmfa_serial = arn:aws:iam::123456789012:mfa/other\n[alice]\nmfa_serial = arn:aws:iam::123456789012:mfa/not-a-profile\n",
        CREDENTIALS,
    )
    .unwrap();
    assert_eq!(
        files.resolve(&request("alice")).unwrap().mfa.serial,
        "arn:aws:iam::123456789012:mfa/m"
    );
}

#[test]
fn malformed_line_names_file_and_line() {
    let err = Files::from_texts("[profile a]\nthis is not a setting\n", "")
        .err()
        .unwrap();
    assert_eq!(
        err.to_string(),
        "config line 2: expected 'key = value' or a [section]"
    );
}

#[test]
fn missing_mfa_serial_hints_the_line_to_add() {
    let files = Files::from_texts("", CREDENTIALS).unwrap();
    let err = files.resolve(&request("alice")).unwrap_err();
    assert_eq!(err.to_string(), "profile 'alice' has no mfa_serial");
    assert!(
        err.hint()
            .unwrap()
            .contains("[profile alice] in config: mfa_serial = arn:aws:iam::ACCOUNT:mfa/NAME")
    );
}

#[test]
fn temporary_credentials_are_refused() {
    let files = Files::from_texts(
        "[profile alice]\nmfa_serial = arn:aws:iam::123456789012:mfa/m\n",
        "[alice]\naws_access_key_id = ASIA\naws_secret_access_key = s\naws_session_token = t\n",
    )
    .unwrap();
    let err = files.resolve(&request("alice")).unwrap_err();
    assert!(err.to_string().contains("temporary credentials"), "{err}");
}

#[test]
fn durations_are_checked() {
    let files = Files::from_texts(
        "[profile alice]\nmfa_serial = arn:aws:iam::123456789012:mfa/m\n",
        CREDENTIALS,
    )
    .unwrap();
    for bad in [899, 129_601] {
        let mut r = request("alice");
        r.duration = Some(bad);
        let err = files.resolve(&r).unwrap_err();
        assert!(err.to_string().contains("out of range"), "{err}");
    }
}

const ROLES: &str = "[profile alice]\nmfa_serial = arn:aws:iam::123456789012:mfa/m\nregion = eu-west-1\nduration_seconds = 7200\n\
    [profile admin]\nrole_arn = arn:aws:iam::1:role/admin\nsource_profile = alice\nexternal_id = x\n\
    [profile deep]\nrole_arn = arn:aws:iam::1:role/deep\nsource_profile = admin\nregion = us-east-2\n\
    [profile loop1]\nrole_arn = r\nsource_profile = loop2\n[profile loop2]\nrole_arn = r\nsource_profile = loop1\n\
    [profile orphan]\nrole_arn = r\nsource_profile = nobody\n";

#[test]
fn role_chain_resolves_outward() {
    let files = Files::from_texts(ROLES, CREDENTIALS).unwrap();
    let plan = files.resolve(&request("deep")).unwrap();
    let arns: Vec<_> = plan.roles.iter().map(|r| r.arn.as_str()).collect();
    assert_eq!(
        arns,
        ["arn:aws:iam::1:role/admin", "arn:aws:iam::1:role/deep"]
    );
    assert_eq!(plan.user.profile, "alice");
    assert_eq!(
        plan.user.duration, 7200,
        "the user session keeps its own duration"
    );
    assert_eq!(plan.roles[1].duration, 3600);
    assert_eq!(plan.region.as_deref(), Some("us-east-2"));
    assert_eq!(plan.roles[0].external_id.as_deref(), Some("x"));
    assert!(!plan.direct_role());
}

#[test]
fn long_role_sessions() {
    let files = Files::from_texts(ROLES, CREDENTIALS).unwrap();
    let mut r = request("admin");
    r.duration = Some(7200);
    let plan = files.resolve(&r).unwrap();
    assert!(plan.direct_role());
    assert_eq!(plan.user.duration, 7200);
    let mut r = request("deep");
    r.duration = Some(7200);
    let err = files.resolve(&r).unwrap_err();
    assert!(err.to_string().contains("one-hour limit"), "{err}");
}

#[test]
fn broken_chains_are_named() {
    let files = Files::from_texts(ROLES, CREDENTIALS).unwrap();
    let err = files.resolve(&request("loop1")).unwrap_err();
    assert_eq!(
        err.to_string(),
        "source_profile cycle: loop1 -> loop2 -> loop1"
    );
    let err = files.resolve(&request("orphan")).unwrap_err();
    assert!(err.to_string().contains("source_profile 'nobody'"), "{err}");
    let err = files.resolve(&request("nobody")).unwrap_err();
    assert!(
        err.to_string().starts_with("profile 'nobody' is not in"),
        "{err}"
    );
}

#[test]
fn values_that_cannot_be_right() {
    for good in [
        "eu-west-1",
        "us-gov-west-1",
        "cn-north-1",
        "us-isob-east-1",
        "ap-southeast-5",
        "eusc-de-east-1",
    ] {
        assert!(is_region(good), "{good}");
    }
    for bad in [
        "eu-west-1#oops",
        "\"eu-west-1\"",
        "EU-WEST-1",
        "",
        "-eu",
        "eu west 1",
        "foo",
        "us-east-1x",
        "us-east",
        "east-1",
        "us--east-1",
        "us-east-123",
        "us-east-1-",
        "local",
    ] {
        assert!(!is_region(bad), "{bad}");
    }
    for good in [
        "arn:aws:iam::123456789012:mfa/alice",
        "arn:aws-us-gov:iam::123456789012:mfa/path/alice",
        "arn:aws:iam::123456789012:u2f/user/alice/key-ABC",
        "GAHT12345678",
    ] {
        assert!(is_mfa_serial(good), "{good}");
    }
    for bad in [
        "alice",
        "arn:aws:iam::1234:mfa/alice",
        "arn:aws:iam::123456789012:user/alice",
        "arn:aws:iam::123456789012:mfa/",
        "arn:aws:sts::123456789012:mfa/alice",
        "GAHT 12345678",
    ] {
        assert!(!is_mfa_serial(bad), "{bad}");
    }
    let files = Files::from_texts(
        "[profile alice]\nmfa_serial = arn:aws:iam::123456789012:mfa/alice\nregion = eu-west-1#oops\n",
        CREDENTIALS,
    )
    .unwrap();
    let err = files.resolve(&request("alice")).unwrap_err();
    assert_eq!(
        err.to_string(),
        "profile 'alice' in config: region = eu-west-1#oops is not a region name"
    );
    let files = Files::from_texts("", &format!("{CREDENTIALS}mfa_serial = phone\n")).unwrap();
    let err = files.resolve(&request("alice")).unwrap_err();
    assert!(
        err.to_string()
            .starts_with("profile 'alice' in credentials: mfa_serial = phone is not"),
        "{err}"
    );
}

#[test]
fn colon_separates_like_equals() {
    let files = Files::from_texts(
        "[profile alice]\nmfa_serial: arn:aws:iam::123456789012:mfa/alice\nregion : eu-west-1\n",
        CREDENTIALS,
    )
    .unwrap();
    let plan = files.resolve(&request("alice")).unwrap();
    assert_eq!(plan.mfa.serial, "arn:aws:iam::123456789012:mfa/alice");
    assert_eq!(plan.region.as_deref(), Some("eu-west-1"));
}

#[test]
fn chains_are_bounded() {
    let mut config =
        String::from("[profile alice]\nmfa_serial = arn:aws:iam::123456789012:mfa/alice\n");
    for i in 0..100 {
        let source = if i == 0 {
            "alice".to_owned()
        } else {
            format!("r{}", i - 1)
        };
        config.push_str(&format!(
            "[profile r{i}]\nrole_arn = arn:aws:iam::123456789012:role/r\nsource_profile = {source}\n"
        ));
    }
    let files = Files::from_texts(&config, CREDENTIALS).unwrap();
    assert_eq!(files.resolve(&request("r60")).unwrap().roles.len(), 61);
    let err = files.resolve(&request("r99")).unwrap_err();
    assert_eq!(
        err.to_string(),
        "profile 'r99': its source_profile chain is longer than 64 profiles"
    );
}

/// Lines an AWS file is made of, and a few it should not contain.
fn line() -> impl proptest::strategy::Strategy<Value = String> {
    use proptest::prelude::*;
    let name = "[a-zA-Z0-9_ü -]{0,12}";
    let key = prop_oneof![
        Just("region".to_owned()),
        Just("mfa_serial".to_owned()),
        Just("role_arn".to_owned()),
        Just("source_profile".to_owned()),
        Just("aws_access_key_id".to_owned()),
        Just("aws_secret_access_key".to_owned()),
        Just("duration_seconds".to_owned()),
        Just("credential_process".to_owned()),
        "[a-z_]{1,10}",
    ];
    prop_oneof![
        name.prop_map(|n| format!("[profile {n}]")),
        name.prop_map(|n| format!("[{n}]")),
        (key.clone(), "[ \t]{0,2}", "[=:]", "\\PC{0,30}")
            .prop_map(|(k, w, sep, v)| format!("{k}{w}{sep}{v}")),
        (key, "[a-z0-9 ]{0,8}").prop_map(|(k, n)| format!("source_profile = {k}{n}")),
        // Values that pass the checks, so resolution gets past them.
        "[a-z]{1,8}".prop_map(|n| format!("mfa_serial = arn:aws:iam::123456789012:mfa/{n}")),
        "[a-z]{1,8}".prop_map(|n| format!("role_arn = arn:aws:iam::123456789012:role/{n}")),
        (900u64..50_000).prop_map(|d| format!("duration_seconds = {d}")),
        "(eu|us)-(west|east)-[1-3]".prop_map(|r| format!("region = {r}")),
        "[ \t]+\\PC{0,20}",
        "[#;]\\PC{0,20}",
        "\\PC{0,40}",
    ]
}

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig { cases: 500, ..Default::default() })]

    /// Whatever the files hold, reading and resolving them never panics,
    /// and takes no time to speak of.
    #[test]
    fn any_file_is_read_or_refused(
        config in proptest::collection::vec(line(), 0..40),
        credentials in proptest::collection::vec(line(), 0..10),
        ending in proptest::prelude::prop_oneof![proptest::prelude::Just("\n"), proptest::prelude::Just("\r\n")],
    ) {
        let started = std::time::Instant::now();
        if let Ok(files) = Files::from_texts(&config.join(ending), &credentials.join(ending)) {
            for name in files.names() {
                let _ = files.resolve(&request(name));
            }
        }
        proptest::prop_assert!(started.elapsed() < std::time::Duration::from_secs(1));
    }

    /// Well-formed files of users and roles (each role's source drawn
    /// from the profiles before it), with settings in either file: every
    /// profile resolves, down to the user its chain ends in, with that
    /// user's keys and device and the durations STS allows.
    #[test]
    fn well_formed_chains_resolve_to_their_user(
        users in proptest::collection::vec(("[a-z]{1,6}", proptest::option::of(900u64..=129_600), proptest::bool::ANY), 1..4),
        roles in proptest::collection::vec((proptest::prelude::any::<proptest::sample::Index>(), proptest::option::of(900u64..=3600)), 0..6),
    ) {
        let (mut config, mut credentials) = (String::new(), String::new());
        // name → the user profile its chain ends in.
        let mut names: Vec<(String, usize)> = Vec::new();
        for (i, (device, duration, in_credentials)) in users.iter().enumerate() {
            let name = format!("user{i}");
            config.push_str(&format!("[profile {name}]\nmfa_serial = arn:aws:iam::123456789012:mfa/{device}\n"));
            if let Some(duration) = duration {
                config.push_str(&format!("duration_seconds = {duration}\n"));
            }
            let keys = format!("aws_access_key_id = AKIA{i:016}\naws_secret_access_key = secret{i}\n");
            if *in_credentials {
                credentials.push_str(&format!("[{name}]\n{keys}"));
            } else {
                config.push_str(&keys);
            }
            names.push((name, i));
        }
        for (i, (source, duration)) in roles.iter().enumerate() {
            let (source, user) = names[source.index(names.len())].clone();
            let name = format!("role{i}");
            config.push_str(&format!(
                "[profile {name}]\nrole_arn = arn:aws:iam::123456789012:role/r{i}\nsource_profile = {source}\n"
            ));
            if let Some(duration) = duration {
                config.push_str(&format!("duration_seconds = {duration}\n"));
            }
            names.push((name, user));
        }
        let files = Files::from_texts(&config, &credentials).unwrap();
        for (name, user) in &names {
            let plan = files.resolve(&request(name));
            proptest::prop_assert!(plan.is_ok(), "{name}: {:?}\n{config}", plan.err());
            let plan = plan.unwrap();
            let (device, duration, _) = &users[*user];
            proptest::prop_assert_eq!(&plan.user.profile, &format!("user{user}"));
            proptest::prop_assert_eq!(&file_keys(&plan).access_key_id, &format!("AKIA{user:016}"));
            proptest::prop_assert_eq!(&plan.mfa.serial, &format!("arn:aws:iam::123456789012:mfa/{device}"));
            proptest::prop_assert_eq!(plan.user.duration, duration.unwrap_or(43_200));
            for role in &plan.roles {
                proptest::prop_assert!(role.duration <= CHAINED_ROLE_MAX);
            }
        }
    }
}

#[test]
fn a_user_profile_without_keys_in_the_files_takes_them_from_the_keystore() {
    let config = "[profile work]\nmfa_serial = arn:aws:iam::123456789012:mfa/alice\n\
                  [profile admin]\nrole_arn = arn:aws:iam::123456789012:role/admin\nsource_profile = work\n\
                  [profile bare]\nregion = eu-west-1\n";
    let files = Files::from_texts(config, "[half]\naws_access_key_id = AKIAHALF\n").unwrap();
    for profile in ["work", "admin"] {
        let plan = files.resolve(&request(profile)).unwrap();
        assert!(matches!(plan.user.keys, KeysAt::Keystore), "{profile}");
        assert_eq!(plan.user.key_identity(), "keystore:work");
    }
    // Neither keys nor a device, or half a key pair: not a keystore profile.
    for profile in ["bare", "half"] {
        let error = files.resolve(&request(profile)).unwrap_err();
        assert!(
            error.to_string().contains("has no long-term keys"),
            "{error}"
        );
    }
}

// The rules of resolution at their edges (issue 34).

const ALICE: &str = "[profile alice]\nmfa_serial = arn:aws:iam::123456789012:mfa/alice\n";

fn with_alice(config: &str) -> Files {
    Files::from_texts(config, CREDENTIALS).unwrap()
}

fn error_of(files: &Files, profile: &str) -> (String, Option<String>) {
    let error = files.resolve(&request(profile)).unwrap_err();
    (error.to_string(), error.hint().map(str::to_owned))
}

fn plan_with_roles(durations: &[u64]) -> Plan {
    let mut plan = with_alice(ALICE).resolve(&request("alice")).unwrap();
    plan.roles = durations
        .iter()
        .map(|&duration| Role {
            profile: "r".into(),
            arn: "arn:aws:iam::123456789012:role/r".into(),
            external_id: None,
            session_name: None,
            duration,
        })
        .collect();
    plan
}

#[test]
fn only_a_single_role_longer_than_an_hour_is_assumed_directly() {
    assert!(!plan_with_roles(&[]).direct_role());
    assert!(!plan_with_roles(&[3600]).direct_role());
    assert!(plan_with_roles(&[3601]).direct_role());
    assert!(plan_with_roles(&[43_200]).direct_role());
    assert!(!plan_with_roles(&[7200, 3600]).direct_role());
    assert!(!plan_with_roles(&[3600, 7200]).direct_role());
}

#[test]
fn the_duration_asked_for_is_the_last_roles_and_the_users_own_stays() {
    let files = with_alice(ROLES);
    let mut r = request("deep");
    r.duration = Some(900);
    let plan = files.resolve(&r).unwrap();
    assert_eq!(
        plan.roles.iter().map(|r| r.duration).collect::<Vec<_>>(),
        [3600, 900]
    );
    assert_eq!(plan.user.duration, 7200);
    // One second over the chained limit, for a role on a role: refused;
    // for a role on the user: assumed directly.
    r.duration = Some(3601);
    let error = files.resolve(&r).unwrap_err().to_string();
    assert_eq!(
        error,
        "profile 'deep': a 3601 s session is longer than STS's one-hour limit for chained \
         roles (its source is itself a role)"
    );
    let mut r = request("admin");
    r.duration = Some(3601);
    let plan = files.resolve(&r).unwrap();
    assert_eq!(plan.roles[0].duration, 3601);
    assert!(plan.direct_role());
    assert_eq!(plan.user.duration, 7200, "not the role's duration");
    // A user asked for a duration takes it.
    let mut r = request("alice");
    r.duration = Some(900);
    assert_eq!(files.resolve(&r).unwrap().user.duration, 900);
}

#[test]
fn session_lengths_are_within_stss_bounds_at_both_ends() {
    let files = with_alice(ROLES);
    let with = |profile: &str, duration: u64| {
        let mut r = request(profile);
        r.duration = Some(duration);
        files.resolve(&r).map(|_| ()).map_err(|e| e.to_string())
    };
    assert_eq!(with("alice", 900), Ok(()));
    assert_eq!(with("alice", 129_600), Ok(()));
    assert_eq!(
        with("alice", 899),
        Err(
            "profile 'alice': a 899 s session is out of range; STS allows 900 to 129600 seconds"
                .into()
        )
    );
    assert!(with("alice", 129_601).is_err());
    assert_eq!(with("admin", 900), Ok(()));
    assert_eq!(with("admin", 43_200), Ok(()));
    assert_eq!(
        with("admin", 43_201),
        Err(
            "role profile 'admin': a 43201 s session is out of range; STS allows 900 to 43200 \
             seconds"
                .into()
        )
    );
    assert!(with("admin", 899).is_err());
}

#[test]
fn a_duration_setting_must_be_a_number() {
    let files = with_alice(&format!("{ALICE}duration_seconds = 1h\n"));
    assert_eq!(
        error_of(&files, "alice").0,
        "profile 'alice' in config: duration_seconds = 1h is not a number of seconds"
    );
    let files = files_with_role_duration("soon");
    assert_eq!(
        error_of(&files, "admin").0,
        "profile 'admin' in config: duration_seconds = soon is not a number of seconds"
    );
}

fn files_with_role_duration(duration: &str) -> Files {
    with_alice(&format!(
        "{ALICE}[profile admin]\nrole_arn = arn:aws:iam::1:role/admin\nsource_profile = alice\n\
         duration_seconds = {duration}\n"
    ))
}

#[test]
fn a_roles_own_settings_reach_its_plan() {
    let files = with_alice(&format!(
        "{ALICE}[profile admin]\nrole_arn = arn:aws:iam::1:role/admin\nsource_profile = alice\n\
         external_id = ext\nrole_session_name = me\nduration_seconds = 1800\nmfa_prompt = zenity\n"
    ));
    let plan = files.resolve(&request("admin")).unwrap();
    let role = &plan.roles[0];
    assert_eq!(role.profile, "admin");
    assert_eq!(role.arn, "arn:aws:iam::1:role/admin");
    assert_eq!(role.external_id.as_deref(), Some("ext"));
    assert_eq!(role.session_name.as_deref(), Some("me"));
    assert_eq!(role.duration, 1800);
    assert_eq!(plan.mfa.prompt, Some(crate::mfa::Prompt::Zenity));
    assert_eq!(plan.profile, "admin");
    assert_eq!(plan.mfa.process, None);
    let files = with_alice(&format!("{ALICE}mfa_prompt = gui\n"));
    assert_eq!(
        error_of(&files, "alice").0,
        format!(
            "profile 'alice' in config: mfa_prompt = gui is not one of {}",
            crate::mfa::Prompt::NAMES
        )
    );
}

#[test]
fn the_region_asked_for_wins_and_a_bad_one_in_the_files_is_then_ignored() {
    let files = with_alice(&format!("{ALICE}region = eu-west-1#oops\n"));
    assert!(files.resolve(&request("alice")).is_err());
    let mut r = request("alice");
    r.region = Some("us-east-1".into());
    assert_eq!(
        files.resolve(&r).unwrap().region.as_deref(),
        Some("us-east-1")
    );
    let files = Files::from_texts(ALICE, CREDENTIALS).unwrap();
    assert_eq!(files.resolve(&request("alice")).unwrap().region, None);
}

#[test]
fn who_has_no_mfa_serial_is_named_with_whom_it_serves() {
    let files = with_alice(
        "[profile admin]\nrole_arn = arn:aws:iam::1:role/admin\nsource_profile = alice\n",
    );
    let (error, hint) = error_of(&files, "admin");
    assert_eq!(
        error,
        "profile 'alice' (source of 'admin') has no mfa_serial"
    );
    assert_eq!(
        hint.unwrap(),
        "add this line to [profile alice] in config: mfa_serial = arn:aws:iam::ACCOUNT:mfa/NAME"
    );
    let files = Files::from_texts(
        "",
        "[default]\naws_access_key_id = AKIA\naws_secret_access_key = s\n",
    )
    .unwrap();
    let (error, hint) = error_of(&files, "default");
    assert_eq!(error, "profile 'default' has no mfa_serial");
    assert!(
        hint.unwrap()
            .starts_with("add this line to [default] in config")
    );
}

#[test]
fn half_a_key_pair_is_not_a_keystore_profile_even_with_a_device() {
    for half in [
        "aws_access_key_id = AKIAHALF\n",
        "aws_secret_access_key = s\n",
    ] {
        let files = Files::from_texts(ALICE, &format!("[alice]\n{half}")).unwrap();
        let (error, hint) = error_of(&files, "alice");
        assert_eq!(
            error,
            "profile 'alice' has no long-term keys (aws_access_key_id and aws_secret_access_key)"
        );
        assert!(hint.unwrap().contains("awsmfa add --profile alice"));
    }
    let files = Files::from_texts(ALICE, "").unwrap();
    let plan = files.resolve(&request("alice")).unwrap();
    assert!(matches!(plan.user.keys, KeysAt::Keystore));
}

#[test]
fn temporary_credentials_point_at_the_file_that_holds_them() {
    let files = Files::from_texts(&format!("{ALICE}aws_session_token = t\n"), CREDENTIALS).unwrap();
    let (error, hint) = error_of(&files, "alice");
    assert!(error.starts_with("profile 'alice' holds temporary credentials"));
    assert_eq!(
        hint.unwrap(),
        long_term_pair_hint("alice", Path::new("config"))
    );
    assert!(long_term_pair_hint("alice", Path::new("config")).contains("[alice] in config"));
}

#[test]
fn profiles_whose_credentials_come_from_elsewhere_say_so() {
    // A role whose source is awsmfa's own credential_process for alice:
    // alice is the profile to use.
    let files = with_alice(&format!(
        "{ALICE}[profile r]\nrole_arn = arn:aws:iam::1:role/r\nsource_profile = w\n\
         [profile w]\ncredential_process = /usr/bin/awsmfa credential-process --profile alice\n"
    ));
    let (error, hint) = error_of(&files, "r");
    assert_eq!(
        error,
        "profile 'w' (source of 'r') gets its credentials from awsmfa credential-process for \
         profile 'alice'; awsmfa gets sessions from that profile itself"
    );
    assert_eq!(hint.unwrap(), "use --profile alice");
    let cases = [
        (
            "credential_process = aws-vault export --format=json x",
            "profile 'other' gets its credentials from credential_process, not from an IAM \
             user's long-term keys, so MFA sessions do not apply",
        ),
        (
            "sso_session = corp",
            "profile 'other' is an IAM Identity Center (SSO) profile, whose sessions come from \
             aws sso login, not from an IAM user's long-term keys, so MFA sessions do not apply",
        ),
        (
            "sso_start_url = https://x.awsapps.com/start",
            "profile 'other' is an IAM Identity Center (SSO) profile, whose sessions come from \
             aws sso login, not from an IAM user's long-term keys, so MFA sessions do not apply",
        ),
        (
            "web_identity_token_file = /t",
            "profile 'other' gets its credentials from a web identity token, not from an IAM \
             user's long-term keys, so MFA sessions do not apply",
        ),
        (
            "credential_source = Ec2InstanceMetadata",
            "profile 'other' gets its credentials from credential_source, not from an IAM \
             user's long-term keys, so MFA sessions do not apply",
        ),
    ];
    for (setting, says) in cases {
        let files = with_alice(&format!("{ALICE}[profile other]\n{setting}\n"));
        let (error, hint) = error_of(&files, "other");
        assert_eq!(error, says, "{setting}");
        assert_eq!(
            hint.unwrap(),
            "use the IAM user profile 'alice': --profile alice"
        );
    }
}

#[test]
fn the_user_profiles_hinted_at_hold_both_keys_and_no_token() {
    let role = "[profile r]\nrole_arn = arn:aws:iam::1:role/r\n";
    let hint = |credentials: &str| {
        let files = Files::from_texts(role, credentials).unwrap();
        files
            .resolve(&request("r"))
            .unwrap_err()
            .hint()
            .unwrap()
            .to_owned()
    };
    assert_eq!(
        hint(""),
        "add source_profile = USER to the profile, with an IAM user profile"
    );
    assert_eq!(
        hint(
            "[a]\naws_access_key_id = A\n[b]\naws_secret_access_key = s\n\
              [c]\naws_access_key_id = A\naws_secret_access_key = s\naws_session_token = t\n"
        ),
        "add source_profile = USER to the profile, with an IAM user profile"
    );
    assert_eq!(
        hint("[a]\naws_access_key_id = A\naws_secret_access_key = s\n"),
        "use the IAM user profile 'a': --profile a"
    );
    assert_eq!(
        hint(
            "[b]\naws_access_key_id = A\naws_secret_access_key = s\n\
              [a]\naws_access_key_id = A\naws_secret_access_key = s\n"
        ),
        "IAM user profiles here: a, b"
    );
}

#[test]
fn a_role_without_a_source_profile_says_where_its_credentials_would_come_from() {
    let error = |setting: &str| {
        let files = with_alice(&format!(
            "[profile r]\nrole_arn = arn:aws:iam::1:role/r\n{setting}"
        ));
        error_of(&files, "r").0
    };
    let says = |from: &str| {
        format!(
            "profile 'r' is a role profile with {from}; awsmfa assumes roles on the MFA \
             session of a source_profile with an IAM user's keys"
        )
    };
    assert_eq!(
        error("credential_source = Environment\n"),
        says("credential_source = Environment, not a source_profile")
    );
    assert_eq!(
        error("web_identity_token_file = /t\n"),
        says("web_identity_token_file (a web identity role), not a source_profile")
    );
    assert_eq!(error(""), says("no source_profile"));
}

#[test]
fn a_chain_of_exactly_the_longest_length_is_followed() {
    let mut config = String::from(ALICE);
    for i in 0..64 {
        let source = if i == 0 {
            "alice".to_owned()
        } else {
            format!("r{}", i - 1)
        };
        config.push_str(&format!(
            "[profile r{i}]\nrole_arn = arn:aws:iam::123456789012:role/r\nsource_profile = {source}\n"
        ));
    }
    let files = with_alice(&config);
    // r62: 63 roles and the user, 64 profiles.
    assert_eq!(files.resolve(&request("r62")).unwrap().roles.len(), 63);
    assert!(files.resolve(&request("r63")).is_err());
}

#[test]
fn awsmfas_own_credential_process_profile_stands_for_the_one_it_names() {
    let config = format!(
        "{ALICE}[profile wrapped]\ncredential_process = awsmfa credential-process --profile=alice\n\
         [profile twice]\ncredential_process = /opt/bin/awsmfa credential-process --profile wrapped\n\
         [profile self]\ncredential_process = awsmfa credential-process --profile self\n\
         [profile lost]\ncredential_process = awsmfa credential-process --profile nobody\n\
         [profile exec]\ncredential_process = awsmfa exec --profile alice\n\
         [profile glued]\ncredential_process = awsmfa credential-process --profilealice\n\
         [profile other]\ncredential_process = notawsmfa credential-process --profile alice\n"
    );
    let files = with_alice(&config);
    for profile in ["wrapped", "twice"] {
        let plan = files.resolve(&request(profile)).unwrap();
        assert_eq!(plan.user.profile, "alice", "{profile}");
        assert_eq!(plan.profile, profile);
    }
    let (error, _) = error_of(&files, "self");
    assert_eq!(
        error,
        "profile 'self' gets its credentials from awsmfa credential-process --profile self, \
         which leads back to it: a loop (self -> self)"
    );
    assert!(
        error_of(&files, "lost")
            .0
            .starts_with("profile 'nobody' is not in")
    );
    // Not `awsmfa credential-process --profile NAME`: credentials from elsewhere.
    for profile in ["exec", "glued", "other"] {
        assert!(
            error_of(&files, profile)
                .0
                .contains("gets its credentials from credential_process,"),
            "{profile}"
        );
    }
}

#[test]
fn the_device_of_a_profile_is_found_down_its_sources() {
    let files = with_alice(&format!(
        "{ALICE}[profile admin]\nrole_arn = r\nsource_profile = alice\n\
         [profile own]\nrole_arn = r\nsource_profile = alice\n\
         mfa_serial = arn:aws:iam::123456789012:mfa/own\n\
         [profile loop1]\nsource_profile = loop2\n[profile loop2]\nsource_profile = loop1\n\
         [profile bare]\nregion = eu-west-1\n"
    ));
    assert_eq!(
        files.mfa_serial_of("admin"),
        Some("arn:aws:iam::123456789012:mfa/alice")
    );
    assert_eq!(
        files.mfa_serial_of("own"),
        Some("arn:aws:iam::123456789012:mfa/own")
    );
    assert_eq!(files.mfa_serial_of("loop1"), None);
    assert_eq!(files.mfa_serial_of("bare"), None);
    assert_eq!(files.mfa_serial_of("nobody"), None);
}

#[test]
fn a_security_key_is_refused_before_a_code_is_asked_for() {
    for key in [
        "arn:aws:iam::123456789012:u2f/user/alice/key-ABC",
        "arn:aws-us-gov:iam::123456789012:u2f/alice",
    ] {
        let error = security_key(key).unwrap();
        assert!(
            error
                .to_string()
                .starts_with(&format!("{key} is a FIDO security key"))
        );
    }
    for not_a_key in [
        "arn:aws:iam::123456789012:mfa/alice",
        "arn:aws:sts::123456789012:u2f/alice",
        "arn:azure:iam::123456789012:u2f/alice",
        "urn:aws:iam::123456789012:u2f/alice",
        "arn:aws:iam::u2f/alice",
        "GAHT12345678",
    ] {
        assert!(security_key(not_a_key).is_none(), "{not_a_key}");
    }
    let config = "[profile key]\nmfa_serial = arn:aws:iam::123456789012:u2f/user/alice/k\n";
    let files = Files::from_texts(
        config,
        "[key]\naws_access_key_id = AKIA\naws_secret_access_key = s\n",
    )
    .unwrap();
    assert!(files.resolve(&request("key")).is_ok());
    assert!(
        files
            .resolve(&request("key"))
            .unwrap()
            .mfa
            .check_device()
            .is_err()
    );
    let error = files.usable("key").unwrap_err().to_string();
    assert!(error.contains("is a FIDO security key"), "{error}");
    let alice = Files::from_texts(ALICE, CREDENTIALS).unwrap();
    assert!(
        alice
            .resolve(&request("alice"))
            .unwrap()
            .mfa
            .check_device()
            .is_ok()
    );
    assert_eq!(alice.usable("alice").unwrap().user.profile, "alice");
}

#[test]
fn mfa_serials_at_the_edges_of_their_forms() {
    for good in [
        "arn:aws:iam::123456789012:mfa/a",
        "arn:aws-cn:iam::123456789012:mfa/a",
        "123456789",
        &"A".repeat(256),
        "GAHT+=/:,.@-_1",
    ] {
        assert!(is_mfa_serial(good), "{good}");
    }
    for bad in [
        "arn:aws:iam::12345678901:mfa/a",
        "arn:aws:iam::1234567890123:mfa/a",
        "arn:aws:iam::12345678901a:mfa/a",
        "arn:aws:iam:x:123456789012:mfa/a",
        "arn:gcp:iam::123456789012:mfa/a",
        "arn:aws:iam::123456789012:mfa/a b",
        "arn:aws:iam::123456789012:u2f/",
        "arn:aws:iam::123456789012",
        "12345678",
        &"A".repeat(257),
        "GAHT#12345",
    ] {
        assert!(!is_mfa_serial(bad), "{bad}");
    }
}

#[test]
fn the_usable_roles_on_a_user_sorted() {
    let files = with_alice(&format!(
        "{ALICE}[profile zed]\nrole_arn = r\nsource_profile = alice\n\
         [profile admin]\nrole_arn = r\nsource_profile = alice\n\
         [profile broken]\nrole_arn = r\nsource_profile = nobody\n\
         [profile bob]\nmfa_serial = arn:aws:iam::123456789012:mfa/bob\n\
         [profile onbob]\nrole_arn = r\nsource_profile = bob\n"
    ));
    assert_eq!(files.roles_on("alice"), ["admin", "zed"]);
    // bob's keys are in the keystore: his role counts too.
    assert_eq!(files.roles_on("bob"), ["onbob"]);
    assert!(files.roles_on("zed").is_empty());
    assert_eq!(
        files.names(),
        ["admin", "alice", "bob", "broken", "onbob", "zed"]
    );
}

#[test]
fn a_profile_not_there_is_named_with_the_nearest_and_the_list() {
    let files = with_alice(ALICE);
    let hint = |missing: &str| files.unknown_profile(missing).hint().unwrap().to_owned();
    assert_eq!(hint("alicee"), "did you mean 'alice'? profiles: alice");
    assert_eq!(hint("zzz"), "profiles: alice");
    assert_eq!(
        files.unknown_profile("zzz").to_string(),
        "profile 'zzz' is not in config or credentials"
    );
    assert!(files.check_asked("alice", None).is_ok());
    let error = files.check_asked("bob", Some("AWS_PROFILE")).unwrap_err();
    assert_eq!(
        error.to_string(),
        "profile 'bob' (from AWS_PROFILE) is not in config or credentials"
    );
    assert_eq!(
        error.hint().unwrap(),
        "profiles: alice; or unset AWS_PROFILE, or give --profile"
    );
}

#[test]
fn the_list_of_profiles_stops_at_twelve() {
    let twelve: String = (0..12)
        .map(|i| format!("[profile p{i:02}]\nregion = eu-west-1\n"))
        .collect();
    let files = Files::from_texts(&twelve, "").unwrap();
    let hint = files.unknown_profile("zzz").hint().unwrap().to_owned();
    assert_eq!(
        hint,
        "profiles: p00, p01, p02, p03, p04, p05, p06, p07, p08, p09, p10, p11"
    );
    let files =
        Files::from_texts(&format!("{twelve}[profile p12]\nregion = eu-west-1\n"), "").unwrap();
    let hint = files.unknown_profile("zzz").hint().unwrap().to_owned();
    assert_eq!(
        hint,
        "profiles: p00, p01, p02, p03, p04, p05, p06, p07, p08, p09, p10, p11, … (13 in all)"
    );
    // The nearest of several: the one that is nearer.
    let files = Files::from_texts(
        "[profile production]\nregion = eu-west-1\n[profile produce]\nregion = eu-west-1\n",
        "",
    )
    .unwrap();
    assert!(
        files
            .unknown_profile("productio")
            .hint()
            .unwrap()
            .starts_with("did you mean 'production'?")
    );
}

#[test]
fn the_very_first_run_is_told_what_to_write_and_where() {
    let files = Files::from_texts("", "").unwrap();
    let error = files.unknown_profile("default");
    assert_eq!(
        error.to_string(),
        "no AWS profile is set up yet: config and credentials hold none"
    );
    let hint = error.hint().unwrap();
    assert!(hint.starts_with("put the IAM user's keys in credentials under [default] "));
    assert!(hint.contains("its MFA device in config under [default] (mfa_serial"));
    let hint = files.unknown_profile("work").hint().unwrap().to_owned();
    assert!(hint.starts_with("put the IAM user's keys in credentials under [work] "));
    assert!(hint.contains("awsmfa add --profile work"));
    assert!(hint.contains("in config under [profile work] (mfa_serial"));
    // A source that is not there, in files that hold no other profile.
    let files =
        Files::from_texts("[profile r]\nrole_arn = x\nsource_profile = gone\n", "").unwrap();
    let (error, hint) = error_of(&files, "r");
    assert_eq!(
        error,
        "profile 'r' names source_profile 'gone', which is not in config or credentials"
    );
    assert_eq!(hint.unwrap(), "profiles: r");
}

#[test]
fn a_request_from_the_settings_or_by_name() {
    let named = Request::named("alice");
    assert_eq!(
        (named.profile.as_str(), named.region, named.duration),
        ("alice", None, None)
    );
    let settings = crate::settings::Settings::resolve(
        &crate::settings::Flags::default(),
        &|name| match name {
            "HOME" => Some("/h".into()),
            "AWS_PROFILE" => Some("work".into()),
            "AWS_REGION" => Some("eu-west-1".into()),
            "AWSMFA_DURATION" => Some("1h".into()),
            _ => None,
        },
    )
    .unwrap();
    let request = Request::from(&settings);
    assert_eq!(request.profile, "work");
    assert_eq!(request.region.as_deref(), Some("eu-west-1"));
    assert_eq!(request.duration, Some(3600));
}

#[test]
fn the_keys_identity_is_the_key_id_or_the_keystore_entry() {
    let plan = with_alice(ALICE).resolve(&request("alice")).unwrap();
    assert_eq!(plan.user.key_identity(), "AKIAALICE");
}

#[test]
fn a_name_exactly_at_the_nearness_bound_is_not_suggested() {
    // Jaro-Winkler("aaaa", "aababb") is 0.8 exactly; "aaab" is nearer.
    assert_eq!(strsim::jaro_winkler("aaaa", "aababb"), 0.8);
    let files = Files::from_texts("[profile aababb]\nregion = eu-west-1\n", "").unwrap();
    assert_eq!(
        files.unknown_profile("aaaa").hint().unwrap(),
        "profiles: aababb"
    );
    let files = Files::from_texts("[profile aaab]\nregion = eu-west-1\n", "").unwrap();
    assert!(strsim::jaro_winkler("aaaa", "aaab") > 0.8);
    assert_eq!(
        files.unknown_profile("aaaa").hint().unwrap(),
        "did you mean 'aaab'? profiles: aaab"
    );
}
