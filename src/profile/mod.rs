//! The shared AWS files and the settings → a resolved `Plan`: the IAM user
//! whose long-term keys start everything, and the roles assumed on top of it.
//! `reader` reads the files; `resolve` follows a profile through them.

pub mod edit;
mod reader;
mod resolve;
#[cfg(test)]
mod tests;

pub use reader::Files;
pub(crate) use reader::{Line, classify, lines, lines_with_endings, read_file};
pub use resolve::{
    CHAINED_ROLE_MAX, KeysAt, LongTermKeys, MAX_CHAIN, Mfa, NO_MFA_SERIAL, Plan, ROLE_DURATION,
    Request, Role, SESSION_DURATION, User, is_mfa_serial, long_term_pair_hint, security_key,
};

impl Files {
    /// Whether `profile` holds an IAM user's long-term access key in the
    /// files (what an SDK told to use that profile would sign with).
    pub fn has_long_term_key(&self, profile: &str) -> bool {
        self.get(profile, "aws_access_key_id").is_some()
            && self.get(profile, "aws_session_token").is_none()
    }
}
