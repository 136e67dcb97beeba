//! Our reader of the AWS files against botocore's (the AWS CLI's), on files
//! made to be tricky: both must resolve the same profiles and settings, but
//! for the differences listed here, each deliberate and in the README.

use crate::support::*;
use std::collections::BTreeMap;

/// What a reader resolved: profile → setting → value, or that it refused.
type Resolved = Result<BTreeMap<String, BTreeMap<String, String>>, ()>;

const KEYS: &[&str] = &[
    "region",
    "mfa_serial",
    "role_arn",
    "source_profile",
    "aws_access_key_id",
    "aws_secret_access_key",
    "mfa_process",
    "external_id",
];

fn ours(world: &World) -> Resolved {
    let home = world.home().to_path_buf();
    let config = world.config_path();
    let credentials = world.home().join("aws-credentials");
    let env = move |name: &str| match name {
        "HOME" => Some(home.display().to_string()),
        "AWS_CONFIG_FILE" => Some(config.display().to_string()),
        "AWS_SHARED_CREDENTIALS_FILE" => Some(credentials.display().to_string()),
        _ => None,
    };
    let settings =
        awsmfa::settings::Settings::resolve(&Default::default(), &env).map_err(|_| ())?;
    let files = awsmfa::profile::Files::load(&settings.config_file, &settings.credentials_file)
        .map_err(|_| ())?;
    Ok(files
        .names()
        .into_iter()
        .map(|profile| {
            let settings = KEYS
                .iter()
                .filter_map(|key| {
                    files
                        .setting_of(profile, key)
                        .map(|v| ((*key).to_owned(), v.to_owned()))
                })
                .collect();
            (profile.to_owned(), settings)
        })
        .collect())
}

const BOTOCORE: &str = r#"
import json, sys
import botocore.session
keys = sys.argv[1].split(",")
try:
    profiles = botocore.session.Session().full_config["profiles"]
    out = {name: {k: v for k, v in values.items() if k in keys and isinstance(v, str)}
           for name, values in profiles.items()}
except Exception as error:
    out = None
print(json.dumps(out))
"#;

fn botocore(world: &World) -> Resolved {
    let mut command = world.program(
        python_bin().join("python3"),
        &["-c", BOTOCORE, &KEYS.join(",")],
    );
    command.env_remove("AWS_PROFILE");
    let output = command.output().expect("python3 with botocore");
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let value: Option<BTreeMap<String, BTreeMap<String, String>>> =
        serde_json::from_slice(&output.stdout).expect("JSON from botocore");
    value.ok_or(())
}

/// A tricky pair of files, and how our reading differs from botocore's, if
/// it does on purpose.
struct Case {
    name: &'static str,
    config: &'static str,
    credentials: &'static str,
    differs: Option<&'static str>,
}

const CASES: &[Case] = &[
    Case {
        name: "comments on lines of their own",
        config: "# top\n; also\n[profile a]\n# inside\nregion = eu-west-1\n  ; indented comment\nmfa_serial = arn:aws:iam::123456789012:mfa/a\n",
        credentials: "# c\n[a]\naws_access_key_id = AKIAA\naws_secret_access_key = s\n",
        differs: None,
    },
    Case {
        name: "case: keys fold, names do not",
        config: "[profile Alice]\nREGION = eu-west-1\nMfa_Serial = arn:aws:iam::123456789012:mfa/a\n[profile alice]\nregion = us-east-2\n",
        credentials: "[Alice]\nAWS_ACCESS_KEY_ID = AKIAA\n",
        differs: None,
    },
    Case {
        name: "white space around keys and values",
        config: "[profile a]\nregion=eu-west-1\nmfa_serial   =   arn:aws:iam::123456789012:mfa/a   \n\n\n[profile   b  ]\nregion\t=\tus-east-1\n",
        credentials: "",
        differs: None,
    },
    Case {
        name: "CRLF line ends",
        config: "[profile a]\r\nregion = eu-west-1\r\nrole_arn = arn:aws:iam::123456789012:role/r\r\nsource_profile = b\r\n",
        credentials: "[b]\r\naws_access_key_id = AKIAB\r\naws_secret_access_key = s\r\n",
        differs: None,
    },
    Case {
        name: "lone carriage returns as line ends",
        config: "[profile a]\rregion = eu-west-1\rmfa_serial = arn:aws:iam::123456789012:mfa/a\r",
        credentials: "[default]\raws_access_key_id = AKIAD\raws_secret_access_key = s\r[a]\raws_access_key_id = AKIAA\r",
        differs: None,
    },
    Case {
        name: "line ends of every kind in one file",
        config: "[profile a]\r\nregion = eu-west-1\rmfa_serial = arn:aws:iam::123456789012:mfa/a\n[default]\rregion = us-east-2",
        credentials: "[default]\naws_access_key_id = AKIAD\r",
        differs: None,
    },
    Case {
        name: "sub-sections and continuation lines",
        config: "[profile a]\ns3 =\n    max_concurrent_requests = 20\n    region = not-this\nregion = eu-west-1\n",
        credentials: "",
        differs: None,
    },
    Case {
        name: "[profile x] against [x] in the config file",
        config: "[a]\nregion = eu-west-1\n[profile b]\nregion = us-west-2\n[sso-session s]\nregion = ap-south-1\n",
        credentials: "[profile c]\naws_access_key_id = AKIAC\n",
        differs: None,
    },
    Case {
        name: "the credentials file wins for a key in both",
        config: "[profile a]\naws_access_key_id = AKIACONFIG\nregion = eu-west-1\n",
        credentials: "[a]\naws_access_key_id = AKIACREDS\n",
        differs: None,
    },
    Case {
        name: "quoting is kept as it is",
        config: "[profile a]\nregion = \"eu-west-1\"\nrole_arn = 'arn:aws:iam::123456789012:role/r'\n",
        credentials: "",
        differs: None,
    },
    Case {
        name: "colon as the separator",
        config: "[profile a]\nregion: eu-west-1\nmfa_serial : arn:aws:iam::123456789012:mfa/a\nrole_arn = arn:aws:iam::123456789012:role/x=y\n",
        credentials: "",
        differs: None,
    },
    Case {
        name: "empty values",
        config: "[profile a]\nregion =\nmfa_serial = arn:aws:iam::123456789012:mfa/a\n",
        credentials: "",
        differs: None,
    },
    Case {
        name: "unicode profile names",
        config: "[profile prod-ü]\nregion = eu-central-1\n[profile 生产]\nregion = cn-north-1\n",
        credentials: "",
        differs: None,
    },
    Case {
        name: "a setting before any section",
        config: "region = eu-west-1\n[profile a]\n",
        credentials: "",
        differs: None,
    },
    Case {
        name: "a line that is not a setting",
        config: "[profile a]\nregion eu-west-1\n",
        credentials: "",
        differs: None,
    },
    Case {
        name: "# and ; inside a value are part of it",
        config: "[profile a]\nregion = eu-west-1 # Ireland\nmfa_serial = arn:aws:iam::123456789012:mfa/a ; my phone\nmfa_process = a ; b\nexternal_id = x#y;z\n",
        credentials: "[a]\naws_access_key_id = AKIAA ;c\naws_secret_access_key = s #c\n",
        differs: None,
    },
    Case {
        name: "a key twice in one section",
        config: "[profile a]\nregion = eu-west-1\nregion = us-east-1\n",
        credentials: "",
        differs: Some(
            "awsmfa takes the last value, as the AWS SDKs for Go and Rust do; botocore refuses \
             the whole file",
        ),
    },
    Case {
        name: "a section twice in one file",
        config: "[profile a]\nregion = eu-west-1\n[profile a]\nmfa_serial = arn:aws:iam::123456789012:mfa/a\n",
        credentials: "",
        differs: Some(
            "awsmfa merges the two, as the AWS SDKs for Go and Rust do; botocore refuses the \
             whole file",
        ),
    },
];

#[test]
fn our_reader_resolves_what_botocore_resolves() {
    let mut report = Vec::new();
    for case in CASES {
        let world = World::new();
        world.write_config(case.config);
        world.write_credentials(case.credentials);
        let (ours, theirs) = (ours(&world), botocore(&world));
        match (case.differs, ours == theirs) {
            (None, false) => report.push(format!(
                "{}: awsmfa {ours:?}, botocore {theirs:?}",
                case.name
            )),
            (Some(why), true) => report.push(format!(
                "{}: listed as a difference ({why}), but both read {ours:?}",
                case.name
            )),
            _ => {}
        }
    }
    assert!(report.is_empty(), "\n{}", report.join("\n"));
}
