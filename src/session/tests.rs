//! The rules of getting a session, at their edges: reuse (`usable`, the
//! minimum time to live), the session keys, which level needs a new session
//! and why (`because`), and the retry rule of `with_code`. Nothing here
//! reaches STS: a miss ends at the code, which `mfa_process = false` refuses.

use super::*;
use crate::profile::User;
use crate::settings::{Flags, Settings};

/// 2033-05-18T03:33:20Z: the clock of the tests that take one.
const NOW: u64 = 2_000_000_000;
const SERIAL: &str = "arn:aws:iam::123456789012:mfa/alice";

fn at(unix: u64) -> SystemTime {
    UNIX_EPOCH + Duration::from_secs(unix)
}

fn credentials(key: &str, expires_at: u64) -> Credentials {
    Credentials {
        access_key_id: key.into(),
        secret_access_key: Secret::new("tempsecret"),
        session_token: Secret::new("token"),
        expires_at,
    }
}

/// Expiring `left` seconds after `now`.
fn left_at(now: u64, left: i64) -> Credentials {
    credentials("ASIATEMP", now.saturating_add_signed(left))
}

/// The IAM user alice, 12-hour sessions, whose code comes from
/// `mfa_process = false`: asking for one fails, and no call is made.
fn user_plan() -> Plan {
    Plan {
        profile: "alice".into(),
        region: None,
        user: User {
            profile: "alice".into(),
            keys: KeysAt::Files(LongTermKeys {
                access_key_id: "AKIAALICE".into(),
                secret_access_key: Secret::new("s3cret"),
            }),
            duration: 43_200,
        },
        mfa: crate::profile::Mfa {
            serial: SERIAL.into(),
            process: Some("false".into()),
            prompt: None,
        },
        roles: Vec::new(),
    }
}

fn role(profile: &str, arn: &str, duration: u64) -> Role {
    Role {
        profile: profile.into(),
        arn: arn.into(),
        external_id: None,
        session_name: None,
        duration,
    }
}

/// `admin` on alice's MFA session, then `deep` on admin's.
fn chained_plan() -> Plan {
    let mut plan = user_plan();
    plan.profile = "deep".into();
    plan.roles = vec![
        role("admin", "arn:aws:iam::123456789012:role/admin", 3600),
        role("deep", "arn:aws:iam::123456789012:role/deep", 3600),
    ];
    plan
}

/// `admin` for two hours: assumed directly with the long-term keys.
fn direct_plan() -> Plan {
    let mut plan = user_plan();
    plan.profile = "admin".into();
    plan.roles = vec![role("admin", "arn:aws:iam::123456789012:role/admin", 7200)];
    plan
}

fn cache_in(dir: &std::path::Path) -> Cache {
    let dir = dir.join("cache").to_string_lossy().into_owned();
    let settings = Settings::resolve(&Flags::default(), &|name| match name {
        "HOME" => Some("/nonexistent-home".into()),
        "AWSMFA_CACHE_DIR" => Some(dir.clone()),
        // A run that waits on its own lock (a mutant's endless recursion)
        // fails in seconds.
        "AWSMFA_LOCK_TIMEOUT" => Some("2".into()),
        _ => None,
    })
    .unwrap();
    Cache::new(&settings).unwrap()
}

fn default_options() -> Options {
    Options {
        // Never reached: every miss here ends at the code.
        endpoint: Endpoint::new(None, Some("http://127.0.0.1:9".into())),
        min_ttl: 300,
        refresh: false,
        given_code: None,
        process_timeout: Duration::from_secs(10),
        prompt: None,
        verbose: false,
        iam_url: None,
    }
}

fn run<'a>(plan: &'a Plan, cache: &'a Cache, options: &'a Options) -> Run<'a> {
    Run {
        plan,
        cache,
        options,
        keys: keys(plan),
        why: Default::default(),
        last_session: None,
    }
}

/// Stores `credentials` as the entry of `plan`'s `level`.
fn store(cache: &Cache, plan: &Plan, level: usize, credentials: Credentials) {
    let (profile, kind, arn, duration) = match level {
        0 => (&plan.user.profile, Kind::Session, None, plan.user.duration),
        n => {
            let role = &plan.roles[n - 1];
            (
                &role.profile,
                Kind::Role,
                Some(role.arn.as_str()),
                role.duration,
            )
        }
    };
    let mut entry = Entry::new(profile, kind, arn, SERIAL, credentials);
    entry.duration = Some(duration);
    cache.store(&keys(plan)[level], &entry).unwrap();
}

fn why(run: &Run) -> String {
    run.why.borrow().clone()
}

// Credentials' clock.

#[test]
fn seconds_left_count_down_to_the_expiry_and_past_it() {
    let credentials = credentials("ASIA", NOW);
    assert_eq!(credentials.seconds_left(at(NOW - 1)), 1);
    assert_eq!(credentials.seconds_left(at(NOW)), 0);
    assert_eq!(credentials.seconds_left(at(NOW + 1)), -1);
    assert_eq!(credentials.seconds_left(at(NOW + 3600)), -3600);
    // A clock before 1970 counts from 1970.
    assert_eq!(
        credentials.seconds_left(UNIX_EPOCH - Duration::from_secs(5)),
        NOW as i64
    );
}

#[test]
fn expiries_beyond_what_rfc_3339_writes_are_held_at_its_last_second() {
    let far = credentials("ASIA", u64::MAX);
    assert_eq!(far.expiration(), "9999-12-31T23:59:59Z");
    assert_eq!(far.seconds_left(at(LATEST_EXPIRY - 10)), 10);
    assert_eq!(far.seconds_left(at(LATEST_EXPIRY)), 0);
    assert_eq!(far.seconds_left(at(LATEST_EXPIRY + 1000)), 0);
    let last = credentials("ASIA", LATEST_EXPIRY);
    assert_eq!(last.expiration(), "9999-12-31T23:59:59Z");
    assert_eq!(
        credentials("ASIA", 1_795_460_400).expiration(),
        "2026-11-23T19:00:00Z"
    );
    assert_eq!(credentials("ASIA", 0).expiration(), "1970-01-01T00:00:00Z");
}

// The minimum time to live, and reuse.

#[test]
fn the_minimum_time_to_live_is_at_most_half_the_session() {
    // Asked for, where the session is long enough.
    assert_eq!(min_ttl(300, Some(43_200)), 300);
    // Exactly at half the session, and one second either side.
    assert_eq!(min_ttl(300, Some(600)), 300);
    assert_eq!(min_ttl(300, Some(601)), 300);
    assert_eq!(min_ttl(300, Some(599)), 299);
    // A 15-minute session asked for an hour: half of it.
    assert_eq!(min_ttl(3600, Some(900)), 450);
    assert_eq!(min_ttl(3600, Some(901)), 450);
    // Of unknown length (an older entry): what is asked.
    assert_eq!(min_ttl(3600, None), 3600);
    assert_eq!(min_ttl(0, Some(900)), 0);
    assert_eq!(min_ttl(1, Some(900)), 1);
}

#[test]
fn a_session_is_reused_with_at_least_the_minimum_time_to_live_left() {
    let now = at(NOW);
    let usable_with =
        |left: i64, duration, asked| usable(&left_at(NOW, left), duration, asked, now);
    // Exactly at the minimum, one second either side.
    assert!(usable_with(300, Some(43_200), 300));
    assert!(usable_with(301, Some(43_200), 300));
    assert!(!usable_with(299, Some(43_200), 300));
    // A 15-minute session asked for an hour: half of it, 450 s.
    assert!(usable_with(450, Some(900), 3600));
    assert!(usable_with(451, Some(900), 3600));
    assert!(!usable_with(449, Some(900), 3600));
    // Of unknown length: the whole minimum.
    assert!(usable_with(3600, None, 3600));
    assert!(!usable_with(3599, None, 3600));
    // No minimum: anything not yet past its expiry.
    assert!(usable_with(0, Some(3600), 0));
    assert!(!usable_with(-1, Some(3600), 0));
    assert!(!usable_with(-3600, Some(3600), 300));
}

#[test]
fn a_cached_entry_is_judged_by_the_same_rule() {
    let entry = |duration| {
        let mut entry = Entry::new("alice", Kind::Session, None, SERIAL, left_at(NOW, 450));
        entry.duration = duration;
        entry
    };
    assert!(entry(Some(900)).usable(3600, at(NOW)));
    assert!(!entry(Some(900)).usable(3600, at(NOW + 1)));
    assert!(!entry(None).usable(3600, at(NOW)));
    assert!(entry(None).usable(450, at(NOW)));
}

// The session keys.

#[test]
fn a_user_session_is_keyed_by_its_keys_device_and_length() {
    let plan = user_plan();
    let keys = keys(&plan);
    assert_eq!(keys.len(), 1);
    let id = keys[0].id();
    assert_eq!(id.len(), 32);
    assert!(
        id.bytes()
            .all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase())
    );
    assert_eq!(
        id,
        SessionKey::new(Kind::Session, &["AKIAALICE", SERIAL, "43200"]).id()
    );
    assert_eq!(
        super::keys(&user_plan())[0].id(),
        id,
        "the same plan, the same key"
    );
    let differs = |change: &dyn Fn(&mut Plan)| {
        let mut plan = user_plan();
        change(&mut plan);
        super::keys(&plan)[0].id() != id
    };
    assert!(differs(&|p| p.user.duration = 3600));
    assert!(differs(
        &|p| p.mfa.serial = "arn:aws:iam::123456789012:mfa/bob".into()
    ));
    assert!(differs(&|p| p.user.keys = KeysAt::Keystore));
    assert!(differs(&|p| {
        p.user.keys = KeysAt::Files(LongTermKeys {
            access_key_id: "AKIAOTHER".into(),
            secret_access_key: Secret::new("s3cret"),
        })
    }));
    // Neither the secret, nor the profile's name, nor how a code is had.
    assert!(!differs(&|p| {
        p.user.keys = KeysAt::Files(LongTermKeys {
            access_key_id: "AKIAALICE".into(),
            secret_access_key: Secret::new("rotated"),
        })
    }));
    assert!(!differs(&|p| p.mfa.process = None));
}

#[test]
fn each_role_is_keyed_by_everything_that_makes_it_and_by_what_it_stands_on() {
    let plan = chained_plan();
    let keys = keys(&plan);
    assert_eq!(keys.len(), 3);
    let admin = SessionKey::new(
        Kind::Role,
        &[
            "chained",
            keys[0].id(),
            "AKIAALICE",
            SERIAL,
            "arn:aws:iam::123456789012:role/admin",
            "",
            "",
            "3600",
        ],
    );
    assert_eq!(keys[1].id(), admin.id());
    let deep = SessionKey::new(
        Kind::Role,
        &[
            "chained",
            admin.id(),
            "AKIAALICE",
            SERIAL,
            "arn:aws:iam::123456789012:role/deep",
            "",
            "",
            "3600",
        ],
    );
    assert_eq!(keys[2].id(), deep.id());
    let ids = |plan: &Plan| -> Vec<String> {
        super::keys(plan)
            .iter()
            .map(|k| k.id().to_owned())
            .collect()
    };
    let before = ids(&plan);
    let changed = |change: &dyn Fn(&mut Plan)| {
        let mut plan = chained_plan();
        change(&mut plan);
        let after = ids(&plan);
        (0..3).map(|i| after[i] != before[i]).collect::<Vec<_>>()
    };
    // A role's own settings change its key and those outward of it.
    assert_eq!(
        changed(&|p| p.roles[0].external_id = Some("x".into())),
        [false, true, true]
    );
    assert_eq!(
        changed(&|p| p.roles[1].session_name = Some("me".into())),
        [false, false, true]
    );
    assert_eq!(
        changed(&|p| p.roles[1].duration = 900),
        [false, false, true]
    );
    assert_eq!(
        changed(&|p| p.roles[0].arn = "arn:aws:iam::123456789012:role/other".into()),
        [false, true, true]
    );
    // The user's session under them changes them all.
    assert_eq!(changed(&|p| p.user.duration = 3600), [true, true, true]);
    // A profile's name is not part of any key.
    assert_eq!(
        changed(&|p| p.roles[0].profile = "renamed".into()),
        [false; 3]
    );
}

#[test]
fn a_role_assumed_directly_is_another_session_than_one_chained() {
    let plan = direct_plan();
    let keys = keys(&plan);
    assert_eq!(keys.len(), 2);
    let direct = SessionKey::new(
        Kind::Role,
        &[
            "direct",
            keys[0].id(),
            "AKIAALICE",
            SERIAL,
            "arn:aws:iam::123456789012:role/admin",
            "",
            "",
            "7200",
        ],
    );
    assert_eq!(keys[1].id(), direct.id());
}

// Which level needs a new session, and why.

#[test]
fn a_cached_session_is_used_exactly_while_it_has_the_minimum_left() {
    let dir = tempfile::tempdir().unwrap();
    let cache = cache_in(dir.path());
    let plan = user_plan();
    let options = default_options();
    let run = run(&plan, &cache, &options);
    let fresh = |left: i64, asked| {
        store(&cache, &plan, 0, left_at(NOW, left));
        run.fresh(
            &run.keys[0],
            "alice",
            Kind::Session,
            43_200,
            asked,
            false,
            at(NOW),
        )
    };
    assert_eq!(fresh(300, 300).unwrap().access_key_id, "ASIATEMP");
    assert_eq!(why(&run), "", "a session used needs no reason");
    assert!(fresh(301, 300).is_some());
    assert!(fresh(299, 300).is_none());
    assert_eq!(
        why(&run),
        "the cached MFA session of profile 'alice' has 4m left, less than the minimum 5m"
    );
    assert!(fresh(1, 300).is_none());
    assert_eq!(
        why(&run),
        "the cached MFA session of profile 'alice' has 1s left, less than the minimum 5m"
    );
    assert!(fresh(0, 300).is_none());
    assert_eq!(
        why(&run),
        "the cached MFA session of profile 'alice' has expired"
    );
    assert!(fresh(-1, 0).is_none());
    assert_eq!(
        why(&run),
        "the cached MFA session of profile 'alice' has expired"
    );
    assert!(
        fresh(0, 0).is_some(),
        "no minimum: good until its last second"
    );
}

#[test]
fn a_short_session_is_used_until_half_of_it_is_left() {
    let dir = tempfile::tempdir().unwrap();
    let cache = cache_in(dir.path());
    let mut plan = user_plan();
    plan.user.duration = 900;
    let options = default_options();
    let run = run(&plan, &cache, &options);
    let fresh = |left: i64| {
        store(&cache, &plan, 0, left_at(NOW, left));
        run.fresh(
            &run.keys[0],
            "alice",
            Kind::Session,
            900,
            3600,
            false,
            at(NOW),
        )
    };
    assert!(fresh(450).is_some());
    assert!(fresh(451).is_some());
    assert!(fresh(449).is_none());
    assert_eq!(
        why(&run),
        "the cached MFA session of profile 'alice' has 7m left, less than the minimum 7m"
    );
}

#[test]
fn a_miss_says_whether_a_session_of_another_length_is_cached() {
    let dir = tempfile::tempdir().unwrap();
    let cache = cache_in(dir.path());
    let plan = user_plan();
    let options = default_options();
    let run = run(&plan, &cache, &options);
    let fresh = || {
        run.fresh(
            &run.keys[0],
            "alice",
            Kind::Session,
            43_200,
            300,
            false,
            at(NOW),
        )
    };
    assert!(fresh().is_none());
    assert_eq!(why(&run), "no MFA session is cached for profile 'alice'");
    // An hour-long session of alice's, there under its own key, that has
    // run out exactly now: nothing to speak of.
    let mut hour = user_plan();
    hour.user.duration = 3600;
    store(&cache, &hour, 0, left_at(NOW, 0));
    assert!(fresh().is_none());
    assert_eq!(why(&run), "no MFA session is cached for profile 'alice'");
    // One second left: it is there, of another length.
    store(&cache, &hour, 0, left_at(NOW, 1));
    assert!(fresh().is_none());
    assert_eq!(
        why(&run),
        "the cached MFA session of profile 'alice' lasts 1h, and one of 12h is asked for"
    );
}

#[test]
fn sessions_of_other_profiles_kinds_or_devices_are_not_of_another_length() {
    let dir = tempfile::tempdir().unwrap();
    let cache = cache_in(dir.path());
    let plan = user_plan();
    let options = default_options();
    let run = run(&plan, &cache, &options);
    // Bob's session, alice's role session, and alice's 12-hour session
    // on another device: none is alice's MFA session of another length.
    let mut bob = user_plan();
    bob.user.profile = "bob".into();
    bob.user.duration = 3600;
    store(&cache, &bob, 0, left_at(NOW, 3000));
    let mut role = chained_plan();
    role.roles[0].profile = "alice".into();
    store(&cache, &role, 1, left_at(NOW, 3000));
    let mut device = user_plan();
    device.mfa.serial = "arn:aws:iam::123456789012:mfa/other".into();
    store(&cache, &device, 0, left_at(NOW, 3000));
    let fresh = run.fresh(
        &run.keys[0],
        "alice",
        Kind::Session,
        43_200,
        300,
        false,
        at(NOW),
    );
    assert!(fresh.is_none());
    assert_eq!(why(&run), "no MFA session is cached for profile 'alice'");
}

#[test]
fn an_entry_that_cannot_be_read_is_a_reason_for_a_new_session() {
    let dir = tempfile::tempdir().unwrap();
    let cache = cache_in(dir.path());
    let plan = chained_plan();
    let options = default_options();
    let run = run(&plan, &cache, &options);
    store(&cache, &plan, 1, left_at(NOW, 3000));
    let path = cache.dir().join(format!("{}.json", run.keys[1].id()));
    std::fs::write(&path, b"{ not json").unwrap();
    let fresh = run.fresh(&run.keys[1], "admin", Kind::Role, 3600, 300, true, at(NOW));
    assert!(fresh.is_none());
    assert_eq!(
        why(&run),
        "the cached role session of profile 'admin' cannot be used"
    );
}

#[test]
fn a_reason_is_kept_until_another_replaces_it() {
    let dir = tempfile::tempdir().unwrap();
    let cache = cache_in(dir.path());
    let plan = user_plan();
    let options = default_options();
    let run = run(&plan, &cache, &options);
    assert_eq!(why(&run), "");
    run.because("first".into());
    assert_eq!(why(&run), "first");
    run.because("first".into());
    assert_eq!(why(&run), "first");
    run.because("second".into());
    assert_eq!(why(&run), "second");
}

#[test]
fn a_usable_cached_session_is_returned_without_a_code() {
    let dir = tempfile::tempdir().unwrap();
    let cache = cache_in(dir.path());
    let plan = user_plan();
    let options = default_options();
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs();
    store(&cache, &plan, 0, credentials("ASIAUSER", now + 7200));
    let got = get(&plan, &cache, &options).unwrap();
    assert_eq!(got.access_key_id, "ASIAUSER");
    assert_eq!(got.expires_at, now + 7200);
}

#[test]
fn the_outermost_role_cached_is_used_whatever_lies_under_it() {
    let dir = tempfile::tempdir().unwrap();
    let cache = cache_in(dir.path());
    let plan = chained_plan();
    let options = default_options();
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs();
    // Only deep's session: neither admin's nor alice's is needed.
    store(&cache, &plan, 2, credentials("ASIADEEP", now + 3000));
    assert_eq!(
        get(&plan, &cache, &options).unwrap().access_key_id,
        "ASIADEEP"
    );
    // admin's alone, asked for by admin.
    let mut admin = chained_plan();
    admin.profile = "admin".into();
    admin.roles.truncate(1);
    store(&cache, &admin, 1, credentials("ASIAADMIN", now + 3000));
    assert_eq!(
        get(&admin, &cache, &options).unwrap().access_key_id,
        "ASIAADMIN"
    );
}

#[test]
fn a_miss_asks_for_a_code_and_says_why() {
    let dir = tempfile::tempdir().unwrap();
    let cache = cache_in(dir.path());
    let plan = user_plan();
    let options = default_options();
    let run = run(&plan, &cache, &options);
    // `mfa_process = false` gives no code: the run fails there.
    let error = run.level(0, false).unwrap_err();
    assert!(
        error.to_string().contains("mfa_process"),
        "the code was asked for: {error}"
    );
    assert_eq!(why(&run), "no MFA session is cached for profile 'alice'");
}

#[test]
fn refresh_asks_for_a_new_session_whatever_is_cached() {
    let dir = tempfile::tempdir().unwrap();
    let cache = cache_in(dir.path());
    let plan = user_plan();
    let options = default_options();
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs();
    store(&cache, &plan, 0, credentials("ASIAUSER", now + 7200));
    let run = run(&plan, &cache, &options);
    assert!(run.level(0, true).is_err(), "a code was asked for");
    assert_eq!(why(&run), "--refresh asks for a new MFA session");
    assert_eq!(run.level(0, false).unwrap().access_key_id, "ASIAUSER");
    let refresh = Options {
        refresh: true,
        ..default_options()
    };
    assert!(get(&plan, &cache, &refresh).is_err());
}

#[test]
fn a_role_on_an_expired_user_session_needs_a_new_user_session_first() {
    let dir = tempfile::tempdir().unwrap();
    let cache = cache_in(dir.path());
    let mut plan = chained_plan();
    plan.roles.truncate(1);
    let options = default_options();
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs();
    store(&cache, &plan, 0, credentials("ASIAUSER", now - 10));
    let run = run(&plan, &cache, &options);
    assert!(run.level(1, false).is_err());
    assert_eq!(
        why(&run),
        "the cached MFA session of profile 'alice' has expired"
    );
}

// The last MFA session of `exec --server`.

#[test]
fn no_role_is_assumed_again_for_a_user_or_a_role_assumed_directly() {
    let dir = tempfile::tempdir().unwrap();
    let cache = cache_in(dir.path());
    let options = default_options();
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs();
    // alice's session has plenty left, but a user profile has no role.
    let user = user_plan();
    store(&cache, &user, 0, credentials("ASIAUSER", now + 7200));
    assert!(
        reassume_on_last_session(&user, &cache, &options, 60)
            .unwrap()
            .is_none()
    );
    // A role assumed directly stands on no MFA session (and its code
    // would come from `mfa_process = false`, which fails).
    let direct = direct_plan();
    assert!(
        reassume_on_last_session(&direct, &cache, &options, 60)
            .unwrap()
            .is_none()
    );
}

#[test]
fn the_last_session_is_used_only_while_it_has_the_least_left() {
    let dir = tempfile::tempdir().unwrap();
    let cache = cache_in(dir.path());
    let mut plan = chained_plan();
    plan.roles.truncate(1);
    let options = default_options();
    // No MFA session at all: nothing to assume the role on, and no code asked.
    assert!(
        reassume_on_last_session(&plan, &cache, &options, 60)
            .unwrap()
            .is_none()
    );
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs();
    // 100 s left, 1000 s wanted: spent (the role's own cached session,
    // plenty left, is not what is asked for: every role is new).
    store(&cache, &plan, 0, credentials("ASIAUSER", now + 100));
    store(&cache, &plan, 1, credentials("ASIAROLE", now + 3000));
    assert!(
        reassume_on_last_session(&plan, &cache, &options, 1000)
            .unwrap()
            .is_none()
    );
}

// The retry rule.

fn rejected() -> Error {
    Error::MfaRejected {
        serial: SERIAL.into(),
    }
}

#[test]
fn a_prompt_asks_again_for_a_refused_code_until_its_tries_are_spent() {
    let tries = mfa::TERMINAL_TRIES;
    assert_eq!(tries, 3);
    for refused in [
        rejected(),
        Error::MalformedCode("'12345' is not six digits".into()),
        Error::UsedCode {
            serial: SERIAL.into(),
        },
    ] {
        assert_eq!(
            after_try(&refused, true, 1, tries),
            AfterTry::AskAgain { left: 2 },
            "{refused}"
        );
        assert_eq!(
            after_try(&refused, true, 2, tries),
            AfterTry::AskAgain { left: 1 }
        );
        assert_eq!(after_try(&refused, true, 3, tries), AfterTry::Last);
    }
    assert_eq!(
        after_try(&rejected(), true, 1, 2),
        AfterTry::AskAgain { left: 1 }
    );
    assert_eq!(after_try(&rejected(), true, 2, 2), AfterTry::Last);
}

#[test]
fn a_prompt_says_why_unless_there_is_no_reason_or_v_said_it() {
    assert!(prompt_says_why(
        "no MFA session is cached for profile 'alice'",
        false
    ));
    assert!(!prompt_says_why(
        "no MFA session is cached for profile 'alice'",
        true
    ));
    assert!(!prompt_says_why("", false));
    assert!(!prompt_says_why("", true));
}

#[test]
fn a_code_given_once_is_tried_once() {
    // A flag, a variable or mfa_process: one try, its own error.
    assert_eq!(after_try(&rejected(), false, 1, 1), AfterTry::Fail);
    // A prompt allowed one try.
    assert_eq!(after_try(&rejected(), true, 1, 1), AfterTry::Fail);
}

#[test]
fn other_failures_are_not_a_reason_to_ask_again() {
    for other in [
        Error::Sts("STS could not be reached".into()),
        Error::NoCodeSource,
        Error::PromptCancelled,
        Error::Mfa("mfa_process failed".into()),
    ] {
        assert_eq!(after_try(&other, true, 1, 3), AfterTry::Fail, "{other}");
        assert_eq!(after_try(&other, true, 3, 3), AfterTry::Fail, "{other}");
    }
}

#[test]
fn the_last_refused_code_says_no_tries_are_left_with_its_hint() {
    let error = no_tries_left(rejected());
    assert_eq!(
        error.to_string(),
        format!("STS rejected the MFA code for {SERIAL} (no tries left)")
    );
    assert_eq!(error.hint(), rejected().hint());
    assert!(error.hint().is_some());
    let error = no_tries_left(Error::MalformedCode("'12' is not six digits".into()));
    assert_eq!(error.to_string(), "'12' is not six digits (no tries left)");
    assert_eq!(error.hint(), None);
}

#[test]
fn a_given_code_is_used_once_and_remembered_only_when_accepted() {
    let dir = tempfile::tempdir().unwrap();
    let cache = cache_in(dir.path());
    let mut plan = user_plan();
    plan.mfa.process = None;
    let options = Options {
        given_code: Some(MfaCode::parse("123456", "--token-code").unwrap()),
        ..default_options()
    };
    let run = run(&plan, &cache, &options);
    let calls = std::cell::Cell::new(0);
    // Refused by STS: its own error, one call, and the code not remembered.
    let refused = run.with_code("alice", |_| -> Result<()> {
        calls.set(calls.get() + 1);
        Err(rejected())
    });
    assert!(matches!(refused, Err(Error::MfaRejected { .. })));
    assert_eq!(calls.get(), 1);
    assert!(!cache.is_used_code(SERIAL, "123456"));
    // Accepted: the call's value, and the code remembered.
    let value = run.with_code("alice", |code| {
        calls.set(calls.get() + 1);
        Ok(code.expose().to_owned())
    });
    assert_eq!(value.unwrap(), "123456");
    assert_eq!(calls.get(), 2);
    assert!(cache.is_used_code(SERIAL, "123456"));
    // The same code again is refused before any call.
    let again = run.with_code("alice", |_| -> Result<()> {
        calls.set(calls.get() + 1);
        Ok(())
    });
    assert!(matches!(again, Err(Error::UsedCode { .. })));
    assert_eq!(calls.get(), 2);
}

#[test]
fn missing_keys_say_where_they_were_looked_for_and_how_to_add_them() {
    let error = missing_keys("alice");
    assert_eq!(
        error.to_string(),
        format!(
            "profile 'alice' has no long-term keys: none in the AWS files, and none in {}",
            crate::keystore::NAME
        )
    );
    assert!(
        error
            .hint()
            .unwrap()
            .starts_with("store them with: awsmfa add --profile alice")
    );
}

#[test]
fn only_a_used_code_from_a_clock_program_waits_for_the_next_step_once() {
    let used = Error::UsedCode {
        serial: "arn:aws:iam::123456789012:mfa/alice".into(),
    };
    let rejected = Error::MfaRejected {
        serial: "arn:aws:iam::123456789012:mfa/alice".into(),
    };
    assert!(waits_for_next_step(&used, true, false));
    assert!(!waits_for_next_step(&used, true, true), "once a run");
    assert!(
        !waits_for_next_step(&used, false, false),
        "a prompt asks instead"
    );
    assert!(
        !waits_for_next_step(&rejected, true, false),
        "a wrong code is not early"
    );
}
