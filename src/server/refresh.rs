//! Keeps the served credentials fresh: shortly before they run low, new ones
//! come from the cache or STS (a role is re-assumed on the user's cached MFA
//! session). A code, when the MFA session itself runs low, is asked for then,
//! while the endpoint goes on serving the credentials it has.
//!
//! When no code comes (no way to ask, or the person at the terminal
//! declined), roles are still assumed again on what is left of the MFA
//! session, the last time shortly before it ends; a declined code is asked
//! for again when half the time left has passed; and once nothing more can
//! come, the endpoint is told why, for the command's SDK to fail with.

use super::{Current, Served};
use crate::error::{Error, Result};
use crate::mfa::TERMINAL_TRIES;
use crate::session::{self, Credentials, Setup};
use crate::sys::Terminal;
use std::io::Write;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// Wake at least this often, so a suspended laptop notices the time on waking.
const LONGEST_SLEEP: Duration = Duration::from_secs(30);
/// After a failed refresh, try again this much later.
const RETRY: Duration = Duration::from_secs(30);
/// A declined code is asked for again once half the time left has passed,
/// as long as at least this many seconds are then left.
const ASK_AGAIN_LEAST: u64 = 5;
/// A role is assumed on an MFA session with at least this many seconds
/// left (STS must receive the call before the session ends).
const LAST_SESSION_LEAST: u64 = 2;
/// The last role on a spent MFA session is assumed this long before the
/// session ends, at most (less for a session that has less time left).
const LAST_CALL_MARGIN: u64 = 60;

/// Whether a refresh prompt is waiting at the terminal.
static PROMPTING: AtomicBool = AtomicBool::new(false);

pub struct Refresher {
    /// The run's set-up; its options as for the first session, but with no
    /// given code (it was spent) and no `--refresh`.
    pub setup: Setup,
    pub current: Current,
}

/// Why no new MFA session comes.
#[derive(Clone, Copy, PartialEq)]
enum NoCode {
    /// No terminal and no `mfa_process`: nothing will change that.
    NoSource,
    /// The person at the terminal declined: asked again later.
    Declined,
    /// STS no longer knows the long-term key: no code can help.
    UnknownKey,
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
        let mut lifetime = left(&served, unix_now());
        // When to get new credentials (and perhaps ask for a code).
        let mut ask_at = refresh_point(&served, lifetime, asked);
        // When to assume the role again on what is left of a spent MFA session.
        let mut reassume_at: Option<u64> = None;
        let mut declined = false;
        let mut last_failure = String::new();
        loop {
            sleep_until(ask_at.min(reassume_at.unwrap_or(u64::MAX)));
            let now = unix_now();
            if let Some(at) = reassume_at
                && at <= now
                && ask_at > now
            {
                reassume_at = None;
                if let Some(credentials) = self.on_last_session() {
                    lifetime = left(&credentials, now);
                    served = credentials;
                    self.serve(&served);
                }
                // A declined code is asked for again halfway through what
                // is left; else at the refresh point, as usual.
                let again = match declined {
                    true => ask_again_at(&served, now),
                    false => None,
                };
                ask_at =
                    ask_at.min(again.unwrap_or_else(|| refresh_point(&served, lifetime, asked)));
                continue;
            }
            // Refresh when the served credentials stop being usable by the
            // rule every run applies (the minimum time to live, at most half
            // their life), so short credentials are refreshed in time too.
            // Anything newer must outlast what is served now.
            let margin = session::min_ttl(asked, Some(lifetime)).max(1);
            self.setup.options.min_ttl = margin + 1;
            let failure = match self.attempt() {
                Ok(credentials) => {
                    lifetime = left(&credentials, unix_now());
                    served = credentials;
                    self.serve(&served);
                    ask_at = refresh_point(&served, lifetime, asked);
                    reassume_at = None;
                    declined = false;
                    last_failure.clear();
                    continue;
                }
                Err(Error::NoCodeSource) => NoCode::NoSource,
                Err(Error::PromptCancelled) => NoCode::Declined,
                Err(Error::UnknownKey(why)) => {
                    crate::say!("awsmfa: {why}");
                    NoCode::UnknownKey
                }
                Err(e) => {
                    let failure = e.to_string();
                    if failure != last_failure {
                        crate::say!(
                            "awsmfa: warning: cannot refresh the credentials of profile '{}' \
                             (they expire at {}): {failure}; trying again every {} s",
                            self.setup.plan.profile,
                            crate::words::local_time(served.expires_at),
                            RETRY.as_secs()
                        );
                        last_failure = failure;
                    }
                    std::thread::sleep(RETRY);
                    ask_at = unix_now();
                    continue;
                }
            };
            // No new MFA session: a role still gets the most out of the one
            // there is, now and once more shortly before it ends.
            let now = unix_now();
            if let Some(credentials) = self.on_last_session() {
                lifetime = left(&credentials, now);
                served = credentials;
                self.serve(&served);
            }
            reassume_at = self.last_call(now);
            declined = failure == NoCode::Declined;
            let again = if declined {
                ask_again_at(&served, now)
            } else {
                None
            };
            match (again, reassume_at) {
                (Some(at), _) => {
                    crate::say!(
                        "{}; the code is asked for again in {}",
                        self.stop_line(&served, failure),
                        span(at.saturating_sub(now))
                    );
                    ask_at = at;
                }
                (None, Some(_)) => {
                    if declined {
                        crate::say!("{}", self.stop_line(&served, failure));
                    }
                    // Until the last role on the session, then as usual.
                    ask_at = u64::MAX;
                }
                (None, None) => {
                    crate::say!("{}", self.stop_line(&served, failure));
                    self.lock().ended = Some(self.ended_line(&served, failure));
                    return;
                }
            }
        }
    }

    /// New credentials for the plan; a code, when one is needed and would
    /// be asked for at the terminal, is asked for here; `mfa_process`, a
    /// dialog or ykman (`mfa_prompt`) are asked as any run asks them.
    fn attempt(&mut self) -> Result<Credentials> {
        // The keys as they are now: a rotate elsewhere may have replaced
        // them since this run read the files.
        if let Err(e) = self.setup.reread()
            && self.setup.options.verbose
        {
            crate::say!("awsmfa: the AWS files cannot be read again ({e}); keeping what was read");
        }
        let prompt = self.setup.options.prompt.or(self.setup.plan.mfa.prompt);
        let at_terminal = matches!(prompt, None | Some(crate::mfa::Prompt::Terminal));
        if self.setup.plan.mfa.process.is_some() || !at_terminal || !self.needs_code() {
            return self.setup.get();
        }
        match Terminal::open() {
            Some(mut tty) => self.ask(&mut tty),
            // No terminal: a desktop dialog, where there is one, as any run asks.
            None => self.setup.get(),
        }
    }

    /// Asks for a code at the terminal, on a line of its own (the
    /// command's output may have left the cursor anywhere), and gets the
    /// credentials with it; a malformed, used or rejected code is asked for
    /// again, as at any prompt.
    fn ask(&mut self, tty: &mut Terminal) -> Result<Credentials> {
        let plan = &self.setup.plan;
        let (what, ends) = match plan.direct_role() {
            true => (
                format!("The role session of profile '{}'", plan.profile),
                self.served().expires_at,
            ),
            false => (
                format!("The MFA session of profile '{}'", plan.user.profile),
                self.cached_end(0)
                    .unwrap_or_else(|| self.served().expires_at),
            ),
        };
        tty.say("");
        // Information, not a failure: not in the `awsmfa: …` form.
        tty.say(&format!(
            "{what} runs out in {}: a new code keeps the command's credentials \
             coming (Ctrl-C: not now)",
            span(ends.saturating_sub(unix_now()))
        ));
        let prompt = format!("MFA code for {}: ", plan.mfa.serial);
        let mut last_error = None;
        for attempt in 1..=TERMINAL_TRIES {
            PROMPTING.store(true, Ordering::SeqCst);
            // An empty line asks again and spends no try.
            let typed = crate::mfa::ask_terminal(tty, &prompt);
            PROMPTING.store(false, Ordering::SeqCst);
            let outcome = typed.and_then(|code| {
                self.setup.options.given_code = Some(code);
                let outcome = self.setup.get();
                self.setup.options.given_code = None;
                outcome
            });
            match outcome {
                Err(
                    e @ (Error::MalformedCode(_)
                    | Error::UsedCode { .. }
                    | Error::MfaRejected { .. }),
                ) => {
                    match TERMINAL_TRIES - attempt {
                        0 => tty.say(&format!("awsmfa: {e}")),
                        left => tty.say(&format!("awsmfa: {}", crate::mfa::failed_line(&e, left))),
                    }
                    last_error = Some(e);
                }
                other => return other,
            }
        }
        Err(last_error.unwrap_or_else(|| Error::Mfa("no MFA code".into())))
    }

    /// Whether getting credentials now takes a new code, by the rule
    /// `session::get` applies: no level that would spare one is usable.
    fn needs_code(&self) -> bool {
        let Setup {
            plan,
            cache,
            options,
            ..
        } = &self.setup;
        let keys = session::keys(plan);
        let now = SystemTime::now();
        let usable = |level: usize| {
            let duration = match level {
                0 => plan.user.duration,
                n => plan.roles[n - 1].duration,
            };
            matches!(cache.load(&keys[level]), Ok(Some(entry))
                if session::usable(&entry.credentials, Some(duration), options.min_ttl, now))
        };
        let top = keys.len() - 1;
        match plan.direct_role() {
            true => !usable(top),
            false => !(0..=top).any(usable),
        }
    }

    /// The role assumed again on what is left of the cached MFA session.
    fn on_last_session(&self) -> Option<Credentials> {
        let Setup {
            plan,
            cache,
            options,
            ..
        } = &self.setup;
        match session::reassume_on_last_session(plan, cache, options, LAST_SESSION_LEAST) {
            Ok(Some(credentials)) => {
                if options.verbose {
                    crate::say!(
                        "awsmfa: profile '{}': role assumed again on the MFA session of profile \
                         '{}', which gets no new code: serving credentials until {}",
                        plan.profile,
                        plan.user.profile,
                        crate::words::local_time(credentials.expires_at)
                    );
                }
                Some(credentials)
            }
            Ok(None) => None,
            Err(e) => {
                crate::say!(
                    "awsmfa: warning: cannot assume the role of profile '{}' again on its MFA \
                     session: {e}",
                    plan.profile
                );
                None
            }
        }
    }

    /// When to assume the role a last time on the cached MFA session: a
    /// little before it ends, if that is still ahead.
    fn last_call(&self, now: u64) -> Option<u64> {
        let plan = &self.setup.plan;
        if plan.roles.is_empty() || plan.direct_role() {
            return None;
        }
        let end = self.cached_end(0)?;
        let margin = (end.saturating_sub(now) / 4).clamp(LAST_SESSION_LEAST, LAST_CALL_MARGIN);
        let at = end.saturating_sub(margin);
        (at > now).then_some(at)
    }

    /// When the cached credentials of `level` (0: the MFA session) expire.
    fn cached_end(&self, level: usize) -> Option<u64> {
        let keys = session::keys(&self.setup.plan);
        let entry = self.setup.cache.load(keys.get(level)?).ok()??;
        Some(entry.credentials.expires_at)
    }

    /// "Credentials stop at …, and why": said when no code comes.
    fn stop_line(&self, served: &Credentials, why: NoCode) -> String {
        let plan = &self.setup.plan;
        format!(
            "awsmfa: credentials for profile '{}' stop at {}: the MFA session of profile '{}' \
             runs out and {}",
            plan.profile,
            crate::words::local_time(served.expires_at),
            plan.user.profile,
            reason(why)
        )
    }

    /// What the endpoint answers once those credentials have expired.
    fn ended_line(&self, served: &Credentials, why: NoCode) -> String {
        let plan = &self.setup.plan;
        format!(
            "awsmfa: no credentials for profile '{}' since {}: the MFA session of profile '{}' \
             ran out and {}",
            plan.profile,
            crate::words::local_time(served.expires_at),
            plan.user.profile,
            reason(why)
        )
    }

    fn serve(&self, credentials: &Credentials) {
        if self.setup.options.verbose {
            crate::say!(
                "awsmfa: profile '{}': serving credentials until {}",
                self.setup.plan.profile,
                crate::words::local_time(credentials.expires_at)
            );
        }
        let mut served = self.lock();
        served.credentials = credentials.clone();
        served.ended = None;
    }

    fn served(&self) -> Credentials {
        self.lock().credentials.clone()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Served> {
        self.current.lock().unwrap_or_else(|p| p.into_inner())
    }
}

fn reason(why: NoCode) -> &'static str {
    match why {
        NoCode::NoSource => "there is no terminal or mfa_process to ask for a new code",
        NoCode::Declined => "no new code was given",
        NoCode::UnknownKey => "STS no longer knows the long-term access key in the files",
    }
}

/// When the served credentials are refreshed: with `margin` left.
fn refresh_point(served: &Credentials, lifetime: u64, asked: u64) -> u64 {
    let margin = session::min_ttl(asked, Some(lifetime)).max(1);
    served.expires_at.saturating_sub(margin)
}

/// When a declined code is asked for again: once half the time the served
/// credentials have left has passed, if enough is left then.
fn ask_again_at(served: &Credentials, now: u64) -> Option<u64> {
    let left = served.expires_at.saturating_sub(now);
    (left / 2 >= ASK_AGAIN_LEAST).then(|| now + left - left / 2)
}

/// Seconds `credentials` have left at `now`.
fn left(credentials: &Credentials, now: u64) -> u64 {
    credentials.expires_at.saturating_sub(now)
}

/// A stretch of time as a prompt shows it: in seconds under two minutes,
/// so that no figure is a minute rounded off.
fn span(seconds: u64) -> String {
    match seconds {
        0..120 => format!("{seconds}s"),
        120..3600 => format!("{}m {}s", seconds / 60, seconds % 60),
        _ => format!("{}h {}m", seconds / 3600, seconds % 3600 / 60),
    }
}

/// Takes a waiting prompt off the terminal when the command has ended: the
/// terminal gets its settings back and the prompt's line is erased.
pub fn clear_prompt() {
    if !PROMPTING.load(Ordering::SeqCst) {
        return;
    }
    // Settings back, and a line break after the prompt.
    crate::sys::restore_terminal();
    if let Ok(mut tty) = std::fs::OpenOptions::new().write(true).open("/dev/tty") {
        // Up to the prompt's line, and erase it.
        let _ = tty.write_all(b"\x1b[A\r\x1b[2K");
    }
}

fn unix_now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default()
        .as_secs()
}

/// Sleeps until the Unix time `at`, in steps, going by the wall clock.
fn sleep_until(at: u64) {
    loop {
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::secret::Secret;

    fn expiring(at: u64) -> Credentials {
        Credentials {
            access_key_id: "ASIATEMP".into(),
            secret_access_key: Secret::new("secret"),
            session_token: Secret::new("token"),
            expires_at: at,
        }
    }

    #[test]
    fn times_under_two_minutes_are_in_seconds() {
        assert_eq!(span(59), "59s");
        assert_eq!(span(119), "119s");
        assert_eq!(span(120), "2m 0s");
        assert_eq!(span(899), "14m 59s");
        assert_eq!(span(3 * 3600 + 5 * 60 + 7), "3h 5m");
    }

    #[test]
    fn a_declined_code_is_asked_for_again_halfway_while_time_is_left() {
        assert_eq!(ask_again_at(&expiring(1_900), 1_000), Some(1_450));
        assert_eq!(ask_again_at(&expiring(1_011), 1_000), Some(1_006));
        assert_eq!(ask_again_at(&expiring(1_009), 1_000), None);
        assert_eq!(ask_again_at(&expiring(900), 1_000), None);
    }
}
