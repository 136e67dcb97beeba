//! A string that must never be shown by accident: secret keys, session
//! tokens and MFA codes. `Debug` prints `***`; only `expose` gives the value.
//! An MFA code is one once it is well formed: `MfaCode`.

use crate::error::{Error, Result};
use serde::{Deserialize, Serialize};
use std::fmt;

#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: impl Into<String>) -> Self {
        Secret(value.into())
    }

    /// The value itself, for the places the user asked for it.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("***")
    }
}

/// A well-formed MFA code. `Debug` does not show it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MfaCode(Secret);

impl MfaCode {
    /// Six ASCII digits once white space is removed (`123 456`, as
    /// authenticator apps show codes, is `123456`); `origin` says where the
    /// text came from, for the message, which never repeats the text.
    pub fn parse(text: &str, origin: &str) -> Result<MfaCode> {
        let code: String = text.chars().filter(|c| !c.is_whitespace()).collect();
        if code.len() == 6 && code.bytes().all(|b| b.is_ascii_digit()) {
            Ok(MfaCode(Secret::new(code)))
        } else {
            Err(Error::MalformedCode(format!(
                "{origin}: an MFA code is exactly 6 digits"
            )))
        }
    }

    pub fn expose(&self) -> &str {
        self.0.expose()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn six_digits_only() {
        assert_eq!(MfaCode::parse(" 012345\n", "t").unwrap().expose(), "012345");
        assert_eq!(MfaCode::parse("123 456", "t").unwrap().expose(), "123456");
        assert_eq!(
            MfaCode::parse("\t12 34 56 ", "t").unwrap().expose(),
            "123456"
        );
        for bad in [
            "12345",
            "1234567",
            "abcdef",
            "12 456",
            "123 4567",
            "١٢٣٤٥٦",
            "",
        ] {
            let err = MfaCode::parse(bad, "--token-code").unwrap_err();
            assert_eq!(
                err.to_string(),
                "--token-code: an MFA code is exactly 6 digits"
            );
        }
    }

    #[test]
    fn debug_never_shows_the_value() {
        let secret = Secret::new("wJalrXUtnFEMI/K7MDENG");
        assert_eq!(format!("{secret:?}"), "***");
        assert_eq!(format!("{:?}", Some(secret.clone())), "Some(***)");
        assert_eq!(secret.expose(), "wJalrXUtnFEMI/K7MDENG");
    }
}
