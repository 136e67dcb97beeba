//! Keeps the served credentials fresh: shortly before they run low, new ones
//! come from the cache or STS (a role is re-assumed on the user's cached MFA
//! session). A code, when the MFA session itself runs low, is asked for then,
//! while the endpoint goes on serving the credentials it has.

use super::Current;
use crate::error::Error;
use crate::session::{self, Credentials, Setup};
use std::time::{Duration, SystemTime};

/// Wake at least this often, so a suspended laptop notices the time on waking.
const LONGEST_SLEEP: Duration = Duration::from_secs(30);
/// After a failed refresh, try again this much later.
const RETRY: Duration = Duration::from_secs(30);

pub struct Refresher {
    /// The run's set-up; its options as for the first session, but with no
    /// given code (it was spent) and no `--refresh`.
    pub setup: Setup,
    pub current: Current,
}

impl Refresher {
    pub fn start(self) {
        std::thread::spawn(move || self.run());
    }

    fn run(mut self) {
        // A prompt here runs beside the command: Ctrl-C must not stop it.
        crate::sys::ctrl_c_only_cancels();
        let asked = self.setup.options.min_ttl;
        self.setup.options.given_code = None;
        self.setup.options.refresh = false;
        let mut served = self.served();
        let mut lifetime = served.seconds_left(SystemTime::now()).max(0) as u64;
        let mut last_failure = String::new();
        loop {
            // Refresh when the served credentials stop being usable by the
            // rule every run applies (the minimum time to live, at most half
            // their life), so short credentials are refreshed in time too.
            let margin = session::min_ttl(asked, Some(lifetime)).max(1);
            sleep_until(served.expires_at.saturating_sub(margin));
            // Anything newer must outlast what is served now.
            self.setup.options.min_ttl = margin + 1;
            match self.setup.get() {
                Ok(credentials) => {
                    lifetime = credentials.seconds_left(SystemTime::now()).max(0) as u64;
                    if self.setup.options.verbose {
                        crate::say!(
                            "awsmfa: profile '{}': serving credentials until {}",
                            self.setup.plan.profile,
                            credentials.expiration()
                        );
                    }
                    served = credentials.clone();
                    *self.current.lock().unwrap_or_else(|p| p.into_inner()) = credentials;
                    last_failure.clear();
                }
                Err(e @ (Error::NoCodeSource | Error::PromptCancelled)) => {
                    let why = if matches!(e, Error::NoCodeSource) {
                        "there is no terminal or mfa_process to ask for a new code"
                    } else {
                        "no new code was given"
                    };
                    crate::say!(
                        "awsmfa: credentials for profile '{}' stop at {}: the MFA session of \
                         profile '{}' runs out and {why}",
                        self.setup.plan.profile,
                        served.expiration(),
                        self.setup.plan.user.profile
                    );
                    // Nothing will change that: serve what there is until it expires.
                    loop {
                        std::thread::sleep(Duration::from_secs(3600));
                    }
                }
                Err(e) => {
                    let failure = e.to_string();
                    if failure != last_failure {
                        crate::say!(
                            "awsmfa: warning: cannot refresh the credentials of profile '{}' \
                             (they expire at {}): {failure}; trying again every {} s",
                            self.setup.plan.profile,
                            served.expiration(),
                            RETRY.as_secs()
                        );
                        last_failure = failure;
                    }
                    std::thread::sleep(RETRY);
                }
            }
        }
    }

    fn served(&self) -> Credentials {
        self.current
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }
}

/// Sleeps until the Unix time `at`, in steps, going by the wall clock.
fn sleep_until(at: u64) {
    loop {
        let now = SystemTime::now()
            .duration_since(SystemTime::UNIX_EPOCH)
            .unwrap_or_default();
        let Some(left) = Duration::from_secs(at).checked_sub(now) else {
            return;
        };
        if left.is_zero() {
            return;
        }
        std::thread::sleep(left.min(LONGEST_SLEEP));
    }
}
