//! One vocabulary across `list`, `status`, `doctor` and `-v`, found by
//! running them: the same word for a user's session and a role's, the same
//! column for the time left, the role chain drawn one way; times in the
//! local zone; ASCII where the locale is not UTF-8; each `-v` line once;
//! a profile that cannot be used is named, with why, and offered to doctor.

use crate::support::*;
use std::collections::HashMap;

const OPS: &str = "arn:aws:iam::123456789012:role/ops";
const KEY_SERIAL: &str = "arn:aws:iam::123456789012:u2f/user/carol/key-ABC";

/// alice (an IAM user), admin (a role on alice), ops (a role on admin), and
/// three that cannot be used: key (a FIDO security key), nokeys (no keys
/// anywhere), orphan (its source_profile is not there).
fn world() -> World {
    let world = World::new();
    world.write_config(&format!(
        "{ALICE_CONFIG}[profile admin]\nrole_arn = {ADMIN}\nsource_profile = alice\n\
         [profile ops]\nrole_arn = {OPS}\nsource_profile = admin\n\
         [profile key]\nmfa_serial = {KEY_SERIAL}\n\
         [profile nokeys]\nregion = eu-west-1\n\
         [profile orphan]\nrole_arn = {ADMIN}\nsource_profile = ghost\n"
    ));
    world.write_credentials(&format!(
        "{}[key]\naws_access_key_id = AKIAKEY0000000000000\naws_secret_access_key = x\n",
        alice_credentials()
    ));
    world.sts.add_role(ADMIN, None);
    world.sts.add_role(OPS, None);
    world
}

/// A table's rows as column → cell, the columns found by where each header
/// word starts (after two spaces or more); a row of fewer cells (a profile
/// that cannot be used) puts the rest of its line in its second column.
fn table(text: &str) -> Vec<HashMap<String, String>> {
    let mut lines = text.lines();
    let header: Vec<char> = lines.next().unwrap_or_default().chars().collect();
    let mut starts = vec![0];
    for i in 2..header.len() {
        if header[i] != ' ' && header[i - 1] == ' ' && header[i - 2] == ' ' {
            starts.push(i);
        }
    }
    let name = |k: usize| -> String {
        let end = starts.get(k + 1).copied().unwrap_or(header.len());
        header[starts[k]..end]
            .iter()
            .collect::<String>()
            .trim()
            .to_owned()
    };
    lines
        .map(|line| {
            let chars: Vec<char> = line.chars().collect();
            (0..starts.len())
                .map(|k| {
                    let from = starts[k].min(chars.len());
                    let to = match starts.get(k + 1) {
                        Some(&end) if !(k == 1 && line.contains("not usable")) => {
                            end.min(chars.len())
                        }
                        _ => chars.len(),
                    };
                    (
                        name(k),
                        chars[from..to].iter().collect::<String>().trim().to_owned(),
                    )
                })
                .collect()
        })
        .collect()
}

fn row<'a>(rows: &'a [HashMap<String, String>], profile: &str) -> &'a HashMap<String, String> {
    rows.iter()
        .find(|r| r.get("PROFILE").map(String::as_str) == Some(profile))
        .unwrap_or_else(|| panic!("no row for {profile}: {rows:?}"))
}

/// The line of doctor's `name` check.
fn check<'a>(report: &'a str, name: &str) -> &'a str {
    report
        .lines()
        .find(|l| {
            l.get(6..)
                .is_some_and(|rest| rest.starts_with(&format!("{name} ")))
        })
        .unwrap_or_else(|| panic!("no {name} check in:\n{report}"))
}

#[test]
fn list_status_doctor_and_verbose_use_the_same_words() {
    let world = world();
    world
        .run_with_code(&["exec", "--profile", "ops", "--", "true"])
        .ok();

    // The words of -v, on the cached sessions.
    let verbose = |profile: &str| {
        let run = world.run(&["exec", "-v", "--profile", profile, "--", "true"]);
        run.ok();
        run.stderr
    };
    let (v_alice, v_admin, v_ops) = (verbose("alice"), verbose("admin"), verbose("ops"));

    let status = world.run(&["status"]);
    status.ok();
    let status_rows = table(&status.stdout);
    let list = world.run(&["list"]);
    list.ok();
    let list_rows = table(&list.stdout);
    let doctor = |profile: &str| {
        let run = world.run(&["doctor", "--profile", profile]);
        run.stdout
    };
    let (d_alice, d_admin, d_ops) = (doctor("alice"), doctor("admin"), doctor("ops"));

    // A user's session: the word status's KIND shows is the word of doctor
    // and -v; so is a role's.
    let user_word = row(&status_rows, "alice")["KIND"].clone();
    let role_word = row(&status_rows, "admin")["KIND"].clone();
    assert_ne!(user_word, role_word);
    for (said, profile, word) in [
        (&v_alice, "alice", &user_word),
        (&v_admin, "admin", &role_word),
        (&v_ops, "ops", &role_word),
    ] {
        assert!(
            said.contains(&format!(
                "profile '{profile}': using the cached {word} until "
            )),
            "-v of {profile} does not say '{word}':\n{said}"
        );
    }
    for (report, word) in [(&d_alice, &user_word), (&d_admin, &role_word)] {
        let session = check(report, "session");
        assert!(
            session.contains(&format!("cached {word} until ")),
            "doctor does not say '{word}': {session}"
        );
    }

    // The time left: one column name in list and status, holding the same
    // figure; doctor and -v say such a figure, then the column's word.
    let is_left = |cell: &str| cell == "11h 59m" || cell == "12h 0m";
    let column_of_left = |rows: &[HashMap<String, String>], text: &str| {
        row(rows, "alice")
            .iter()
            .find(|(_, cell)| is_left(cell))
            .map(|(column, _)| column.clone())
            .unwrap_or_else(|| panic!("no time left for alice:\n{text}"))
    };
    let status_column = column_of_left(&status_rows, &status.stdout);
    let list_column = column_of_left(&list_rows, &list.stdout);
    assert_eq!(
        status_column, list_column,
        "status and list name the time left differently:\n{}\n{}",
        status.stdout, list.stdout
    );
    let word = status_column.to_lowercase();
    let says_left = |text: &str| {
        ["11h 59m", "12h 0m"]
            .iter()
            .any(|figure| text.contains(&format!("({figure} {word})")))
    };
    assert!(says_left(check(&d_alice, "session")), "{d_alice}");
    assert!(says_left(&v_alice), "{v_alice}");

    // The chain: list's KIND, drawn the same in doctor and -v.
    for (profile, report, said) in [("admin", &d_admin, &v_admin), ("ops", &d_ops, &v_ops)] {
        let kind = &row(&list_rows, profile)["KIND"];
        assert!(
            kind.starts_with("role ") && kind.ends_with(" alice"),
            "{kind}"
        );
        assert!(
            check(report, "profile").contains(&format!("'{profile}': {kind}")),
            "doctor draws {profile} otherwise than list ({kind}):\n{report}"
        );
        assert!(
            said.lines()
                .next()
                .is_some_and(|l| l.contains(&format!("profile '{profile}': {kind},"))),
            "-v draws {profile} otherwise than list ({kind}):\n{said}"
        );
    }
    assert_eq!(row(&list_rows, "ops")["KIND"], "role ← admin ← alice");
    let user_kind = &row(&list_rows, "alice")["KIND"];
    assert!(check(&d_alice, "profile").contains(&format!("'alice': {user_kind}")));
    assert!(v_alice.contains(&format!("profile 'alice': {user_kind},")));
}

#[test]
fn verbose_says_each_line_once() {
    let world = world();
    for args in [
        &["exec", "-v", "--profile", "ops", "--", "true"][..],
        &["exec", "-v", "--profile", "ops", "--", "true"],
        &[
            "exec",
            "-v",
            "--profile",
            "admin",
            "--refresh",
            "--",
            "true",
        ],
    ] {
        let run = world.run_with_code(args);
        run.ok();
        let lines: Vec<&str> = run.stderr.lines().collect();
        assert!(lines.len() >= 2, "{}", run.stderr);
        for (i, line) in lines.iter().enumerate() {
            assert!(
                !lines[..i].contains(line),
                "said twice: {line}\n{}",
                run.stderr
            );
        }
    }
}

/// Every byte below 0x80.
fn assert_ascii(what: &str, text: &str) {
    if let Some(c) = text.chars().find(|c| !c.is_ascii()) {
        panic!("{what} prints '{c}' in a non-UTF-8 locale:\n{text}");
    }
}

#[test]
fn ascii_only_where_the_locale_is_not_utf8() {
    let world = world();
    world
        .run_with_code(&["exec", "--profile", "ops", "--", "true"])
        .ok();
    for locale in [
        &[("LANG", "C")][..],
        &[("LANG", "POSIX")],
        &[("LC_ALL", "C"), ("LANG", "en_US.UTF-8")],
        &[("LC_CTYPE", "en_US.ISO-8859-1"), ("LANG", "en_US.UTF-8")],
    ] {
        let run = |args: &[&str]| {
            let mut command = world.command(args);
            command.env_remove("LANG");
            for (name, value) in locale {
                command.env(name, value);
            }
            world.run_command(command)
        };
        for args in [
            &["list"][..],
            &["status"],
            &["doctor", "--profile", "ops"],
            &["doctor", "--profile", "key"],
            &["exec", "-v", "--profile", "ops", "--", "true"],
            &["exec", "--profile", "orphan", "--", "true"],
            &["list", "--names"],
        ] {
            let out = run(args);
            assert_ascii(&format!("{args:?} ({locale:?})"), &out.stdout);
            assert_ascii(&format!("{args:?} on stderr ({locale:?})"), &out.stderr);
        }
        // The symbols are there, in ASCII: not left out.
        let list = run(&["list"]);
        assert!(
            list.stdout.contains("role <- admin <- alice"),
            "{}",
            list.stdout
        );
        // The columns line up as printed, arrows and all.
        let device = list.stdout.lines().next().unwrap().find("MFA DEVICE");
        for row in list.stdout.lines().filter(|l| l.contains("arn:aws:iam::")) {
            if !row.contains("not usable") {
                assert_eq!(row.find("arn:aws:iam::"), device, "{}", list.stdout);
            }
        }
        let doctor = run(&["doctor", "--profile", "key"]);
        assert!(doctor.stdout.contains(" -> register"), "{}", doctor.stdout);
        assert!(doctor.stdout.contains("AKIA...0000"), "{}", doctor.stdout);
    }
    // A UTF-8 locale keeps them.
    let list = world.run(&["list"]);
    assert!(
        list.stdout.contains("role ← admin ← alice"),
        "{}",
        list.stdout
    );
}

#[test]
fn times_a_person_reads_are_in_the_local_zone() {
    let world = world();
    world.run_with_code(&["exec", "--", "true"]).ok();
    // Machine formats stay in UTC.
    let json = world.run(&["status", "--json"]);
    let entries: serde_json::Value = serde_json::from_str(&json.stdout).unwrap();
    let expiration = entries[0]["expiration"].as_str().unwrap().to_owned();
    assert!(expiration.ends_with('Z'), "{expiration}");
    let at = humantime::parse_rfc3339(&expiration).unwrap();

    // A zone nine hours east of UTC, written the POSIX way (no zone files
    // needed), and one from the zone files where they are installed.
    let mut zones = vec![("JST-9", 9 * 3600, "JST")];
    if std::path::Path::new("/usr/share/zoneinfo/Asia/Kolkata").exists() {
        zones.push(("Asia/Kolkata", 5 * 3600 + 1800, "IST"));
    }
    for (tz, offset, name) in zones {
        let local = humantime::format_rfc3339_seconds(at + std::time::Duration::from_secs(offset))
            .to_string();
        let shown = format!("{} {} {name}", &local[..10], &local[11..16]);
        let run = |args: &[&str]| {
            let mut command = world.command(args);
            command.env("TZ", tz);
            world.run_command(command)
        };
        let status = run(&["status"]);
        status.ok();
        assert_eq!(
            row(&table(&status.stdout), "alice")["EXPIRES"],
            shown,
            "TZ={tz}:\n{}",
            status.stdout
        );
        let doctor = run(&["doctor", "--profile", "alice"]);
        assert!(
            check(&doctor.stdout, "session").contains(&format!("until {shown} (")),
            "TZ={tz}:\n{}",
            doctor.stdout
        );
        let verbose = run(&["exec", "-v", "--", "true"]);
        verbose.ok();
        assert!(
            verbose.stderr.contains(&format!("until {shown} (")),
            "TZ={tz}:\n{}",
            verbose.stderr
        );
        assert!(!status.stdout.contains(&expiration) && !verbose.stderr.contains(&expiration));
        // What the command gets is still UTC.
        let env = run(&["exec", "--", "sh", "-c", "echo $AWS_CREDENTIAL_EXPIRATION"]);
        assert_eq!(env.stdout.trim(), expiration);
    }
}

#[test]
fn a_security_key_is_not_usable_and_list_says_why() {
    let world = world();
    let list = world.run(&["list"]);
    list.ok();
    let rows = table(&list.stdout);
    let key = &row(&rows, "key")["KIND"];
    assert!(
        key.starts_with("not usable: ")
            && key.contains(KEY_SERIAL)
            && key.contains("FIDO security key"),
        "{}",
        list.stdout
    );
    // Each other one says its own why.
    assert!(
        row(&rows, "nokeys")["KIND"].contains("no long-term keys"),
        "{}",
        list.stdout
    );
    assert!(
        row(&rows, "orphan")["KIND"].contains("source_profile 'ghost'"),
        "{}",
        list.stdout
    );
    assert_eq!(row(&rows, "alice")["KIND"], "IAM user");

    let json = world.run(&["list", "--json"]);
    json.ok();
    let profiles: serde_json::Value = serde_json::from_str(&json.stdout).unwrap();
    let key = profiles
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["profile"] == "key")
        .unwrap();
    assert_eq!(key["usable"], false);
    assert!(key["why"].as_str().unwrap().contains("FIDO security key"));

    // exec refuses it the same way, before looking for a code.
    world
        .run(&["exec", "--profile", "key", "--", "true"])
        .fails_with(125, "FIDO security key");
}

#[test]
fn list_with_no_usable_profile_names_the_others_and_fails() {
    let world = world();
    world.write_config(&format!(
        "[profile key]\nmfa_serial = {KEY_SERIAL}\n\
         [profile nokeys]\nregion = eu-west-1\n\
         [profile orphan]\nrole_arn = {ADMIN}\nsource_profile = ghost\n"
    ));
    world.write_credentials(
        "[key]\naws_access_key_id = AKIAKEY0000000000000\naws_secret_access_key = x\n",
    );
    let list = world.run(&["list"]);
    list.fails_with(1, "can be used");
    let rows = table(&list.stdout);
    assert_eq!(rows.len(), 3, "{}", list.stdout);
    for (profile, why) in [
        ("key", "FIDO security key"),
        ("nokeys", "no long-term keys"),
        ("orphan", "'ghost'"),
    ] {
        let kind = &row(&rows, profile)["KIND"];
        assert!(
            kind.starts_with("not usable: ") && kind.contains(why),
            "{kind}"
        );
    }
    assert!(
        list.stderr.contains("awsmfa doctor --profile"),
        "{}",
        list.stderr
    );

    let json = world.run(&["list", "--json"]);
    assert_eq!(json.status, 1);
    let profiles: serde_json::Value = serde_json::from_str(&json.stdout).unwrap();
    assert_eq!(profiles.as_array().map(Vec::len), Some(3));
}

#[test]
fn doctor_is_offered_every_profile_and_exec_the_usable_ones() {
    use crate::completions::{bash_complete, script, shell, sorted};
    let world = world();
    let file = script(&world, "bash");
    let complete = |words: &str| bash_complete(&world, &file, "", words, 3);
    let every = ["admin", "alice", "key", "nokeys", "ops", "orphan"];
    let usable = ["admin", "alice", "ops"];
    assert_eq!(sorted(&complete("awsmfa doctor --profile ''")), every);
    assert_eq!(sorted(&complete("awsmfa exec --profile ''")), usable);

    let file = script(&world, "fish");
    let fish = |line: &str| {
        let out = shell(
            &world,
            "fish",
            &format!("source '{}'; complete -C '{line}'", file.display()),
        );
        out.lines()
            .map(|l| l.split('\t').next().unwrap_or_default().to_owned())
            .collect::<Vec<_>>()
            .join(" ")
    };
    assert_eq!(sorted(&fish("awsmfa doctor --profile ")), every);
    assert_eq!(sorted(&fish("awsmfa exec --profile ")), usable);

    let file = script(&world, "zsh");
    let zsh = |all: &str| {
        let out = shell(
            &world,
            "zsh",
            &format!(
                "compdef() {{ : }}; source '{}'; \
                 _describe() {{ print -l -- ${{(P)${{argv[-1]}}}} }}; _awsmfa_profiles {all}",
                file.display()
            ),
        );
        out.lines()
            .map(|l| l.split(':').next().unwrap_or_default().to_owned())
            .collect::<Vec<_>>()
            .join(" ")
    };
    assert_eq!(sorted(&zsh("all")), every);
    assert_eq!(sorted(&zsh("")), usable);
    let text = std::fs::read_to_string(&file).unwrap();
    let doctor = text
        .lines()
        .skip_while(|l| l.trim() != "(doctor)")
        .find(|l| l.starts_with("'--profile="))
        .unwrap_or_default();
    assert!(
        doctor.ends_with(":NAME:_awsmfa_profiles all' \\"),
        "{doctor}"
    );
}

#[test]
fn what_programs_read_keeps_names_as_they_are_in_any_locale() {
    let world = World::new();
    world.write_config(&format!(
        "[profile prod—eu]\nmfa_serial = {ALICE_SERIAL}\nregion = eu-west-1\n"
    ));
    world.write_credentials(&format!(
        "[prod—eu]\naws_access_key_id = {ALICE_KEY}\naws_secret_access_key = {ALICE_SECRET}\n"
    ));
    let c_locale = |args: &[&str]| {
        let mut command = world.command(args);
        command.env_remove("LC_ALL").env("LANG", "C");
        world.run_command(command)
    };
    let mut first = world.command_with_code(&["exec", "--profile", "prod—eu", "--", "true"]);
    first.env("LANG", "C");
    world.run_command(first).ok();
    let names = c_locale(&["list", "--names"]);
    assert!(
        names.stdout.starts_with("prod—eu\tIAM user\n"),
        "{}",
        names.stdout
    );
    let status = c_locale(&["status", "--json"]);
    let value: serde_json::Value = serde_json::from_str(&status.stdout).unwrap();
    assert_eq!(value[0]["profile"], "prod—eu", "{}", status.stdout);
}
