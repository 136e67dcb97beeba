//! Tests of the reader and of resolution together, on files given as text.

use super::*;
use crate::settings::is_region;

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
