//! A loopback STS stand-in that behaves like STS where awsmfa and the AWS
//! clients can tell: the Query protocol over HTTP/1.1 with XML answers and
//! STS's error shapes, SigV4 signatures checked against the secret of the
//! key that signed, MFA codes checked and refused when reused, sessions and
//! roles issued and recognised by GetCallerIdentity, chained role sessions
//! capped at one hour, a count of calls per action, and faults on demand.
//!
//! The MFA device is the tests' own: the stand-in accepts only codes that
//! `next_code` handed out (each once), and records every `TokenCode` it
//! received (`codes`), so that a test can tell which code awsmfa sent.
#![allow(dead_code)]

use hmac::{Hmac, KeyInit, Mac};
use sha2::{Digest, Sha256};
use std::collections::{HashMap, HashSet, VecDeque};
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

pub const ACCOUNT: &str = "123456789012";
pub const ALICE_KEY: &str = "AKIAALICEEXAMPLE0001";
pub const ALICE_SECRET: &str = "aliceLongTermSecret/K7MDENG+bPxRfiCYEXAMPLE";
pub const ALICE_ARN: &str = "arn:aws:iam::123456789012:user/alice";
pub const ALICE_SERIAL: &str = "arn:aws:iam::123456789012:mfa/alice";
/// The one code the MFA device never shows.
pub const WRONG_CODE: &str = "000000";

/// The codes the tests' MFA device has shown, in this process.
fn shown_codes() -> &'static Mutex<HashSet<String>> {
    static SHOWN: OnceLock<Mutex<HashSet<String>>> = OnceLock::new();
    SHOWN.get_or_init(|| Mutex::new(HashSet::new()))
}

/// A fresh code from the tests' MFA device: never shown before in this
/// process, and never `WRONG_CODE`. The stand-in accepts no other code.
pub fn next_code() -> String {
    static NEXT: AtomicU32 = AtomicU32::new(0);
    let code = format!("{:06}", 314_159 + 7 * NEXT.fetch_add(1, Ordering::SeqCst));
    shown_codes().lock().unwrap().insert(code.clone());
    code
}

/// A connection's stream: plain TCP, or TLS over it.
pub trait Stream: Read + Write + Send {}
impl<S: Read + Write + Send> Stream for S {}

/// Makes the stream of an accepted connection.
pub type Wrap = Arc<dyn Fn(TcpStream) -> Box<dyn Stream> + Send + Sync>;

/// A scripted answer for the next request.
#[derive(Clone, Debug)]
pub enum Fault {
    /// Answer with this HTTP status and STS error code.
    Error(u16, &'static str),
    /// Wait this long, then answer normally.
    Delay(Duration),
    /// Answer with this HTTP status and body, as it is.
    Body(u16, String),
}

/// One request as the stand-in saw it.
#[derive(Clone, Debug)]
pub struct Call {
    pub action: String,
    pub access_key_id: String,
    /// The region of the SigV4 credential scope the request was signed for.
    pub region: String,
    pub params: HashMap<String, String>,
}

#[derive(Clone)]
struct Identity {
    secret: String,
    token: Option<String>,
    arn: String,
    user_id: String,
    temporary: bool,
    mfa: bool,
    expires: u64,
    /// A new access key works only from then on (IAM is eventually consistent).
    usable_from: Option<std::time::Instant>,
}

struct Role {
    external_id: Option<String>,
}

struct State {
    identities: HashMap<String, Identity>,
    serials: HashMap<String, String>,
    roles: HashMap<String, Role>,
    used_codes: HashSet<(String, String)>,
    /// Codes to refuse once each, as if mistyped: not marked as used.
    reject_once: HashSet<String>,
    calls: Vec<Call>,
    faults: VecDeque<Fault>,
    delay: Duration,
    fraction_digits: usize,
    issued: u64,
    allow_reused_codes: bool,
    /// Seconds that issued sessions and role credentials last, whatever was asked.
    session_lifetime: Option<u64>,
    role_lifetime: Option<u64>,
    /// Seconds the stand-in's clock (its `Date` header) is ahead of ours.
    clock_skew: i64,
    /// IAM: how long a new access key takes to work; whether
    /// DeleteAccessKey is refused; actions answered only after a pause.
    key_delay: Duration,
    refuse_key_deletion: bool,
    slow_actions: HashMap<String, Duration>,
    /// Calls of an action still to be refused as too many (`Throttling`).
    throttled: HashMap<String, u32>,
    /// IAM: alice's MFA devices, as ListMFADevices lists them (STS takes
    /// codes for any that is not a FIDO key); whether the listing is
    /// denied, as by a stricter policy.
    devices: Vec<String>,
    refuse_device_listing: bool,
}

#[derive(Clone)]
pub struct Sts {
    pub url: String,
    state: Arc<Mutex<State>>,
}

impl Sts {
    /// Starts a stand-in on a free loopback port, with the IAM user alice.
    pub fn start() -> Sts {
        Sts::start_wrapped("http", None)
    }

    /// `start`, each connection's stream made by `wrap` (TLS, in
    /// `support::tls`: `Sts::start_tls`), its URL with `scheme`.
    pub fn start_wrapped(scheme: &str, wrap: Option<Wrap>) -> Sts {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind loopback");
        let url = format!("{scheme}://{}", listener.local_addr().expect("address"));
        let mut identities = HashMap::new();
        identities.insert(
            ALICE_KEY.to_owned(),
            Identity {
                secret: ALICE_SECRET.to_owned(),
                token: None,
                arn: ALICE_ARN.to_owned(),
                user_id: "AIDAALICE".to_owned(),
                temporary: false,
                mfa: false,
                expires: u64::MAX,
                usable_from: None,
            },
        );
        let state = Arc::new(Mutex::new(State {
            identities,
            serials: HashMap::from([(ALICE_KEY.to_owned(), ALICE_SERIAL.to_owned())]),
            roles: HashMap::new(),
            used_codes: HashSet::new(),
            reject_once: HashSet::new(),
            calls: Vec::new(),
            faults: VecDeque::new(),
            delay: Duration::ZERO,
            fraction_digits: 0,
            issued: 0,
            allow_reused_codes: false,
            session_lifetime: None,
            role_lifetime: None,
            clock_skew: 0,
            key_delay: Duration::ZERO,
            refuse_key_deletion: false,
            slow_actions: HashMap::new(),
            throttled: HashMap::new(),
            devices: vec![ALICE_SERIAL.to_owned()],
            refuse_device_listing: false,
        }));
        let shared = Arc::clone(&state);
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                let state = Arc::clone(&shared);
                let wrap = wrap.clone();
                std::thread::spawn(move || match wrap {
                    // A TLS client that refuses the certificate ends the
                    // handshake, and with it this connection.
                    Some(wrap) => serve(wrap(stream), &state),
                    None => serve(stream, &state),
                });
            }
        });
        Sts { url, state }
    }

    /// A second long-term key for alice, as after a key rotation.
    pub fn add_alice_key(&self, key: &str, secret: &str) {
        let mut s = self.state.lock().unwrap();
        let mut identity = s.identities[ALICE_KEY].clone();
        identity.secret = secret.to_owned();
        s.identities.insert(key.to_owned(), identity);
        s.serials.insert(key.to_owned(), ALICE_SERIAL.to_owned());
    }

    /// IAM: alice's MFA devices are `serials` (virtual ARNs, hardware
    /// serials, `…:u2f/…` FIDO keys), in that order.
    pub fn set_devices(&self, serials: &[&str]) {
        let mut s = self.state.lock().unwrap();
        s.devices = serials.iter().map(|d| d.to_string()).collect();
    }

    /// IAM: ListMFADevices is denied, as by a policy stricter than AWS's
    /// "force MFA" example.
    pub fn refuse_device_listing(&self) {
        self.state.lock().unwrap().refuse_device_listing = true;
    }

    /// IAM: new access keys work only `delay` after CreateAccessKey.
    pub fn set_key_delay(&self, delay: Duration) {
        self.state.lock().unwrap().key_delay = delay;
    }

    /// IAM: DeleteAccessKey is denied, as by a policy.
    pub fn refuse_key_deletion(&self) {
        self.state.lock().unwrap().refuse_key_deletion = true;
    }

    /// Answers `action` only after `pause`.
    pub fn slow_action(&self, action: &str, pause: Duration) {
        let mut s = self.state.lock().unwrap();
        s.slow_actions.insert(action.to_owned(), pause);
    }

    /// Refuses the next `times` calls of `action` with IAM's `Throttling`
    /// (HTTP 400, "Rate exceeded"), doing nothing, as IAM does.
    pub fn throttle(&self, action: &str, times: u32) {
        let mut s = self.state.lock().unwrap();
        s.throttled.insert(action.to_owned(), times);
    }

    /// IAM: the long-term access keys of the user `arn`, sorted.
    pub fn access_keys(&self, arn: &str) -> Vec<String> {
        let s = self.state.lock().unwrap();
        let mut keys: Vec<String> = s
            .identities
            .iter()
            .filter(|(_, identity)| !identity.temporary && identity.arn == arn)
            .map(|(key, _)| key.clone())
            .collect();
        keys.sort();
        keys
    }

    /// Makes a role assumable by alice's MFA sessions.
    pub fn add_role(&self, arn: &str, external_id: Option<&str>) {
        self.state.lock().unwrap().roles.insert(
            arn.to_owned(),
            Role {
                external_id: external_id.map(str::to_owned),
            },
        );
    }

    pub fn push_fault(&self, fault: Fault) {
        self.state.lock().unwrap().faults.push_back(fault);
    }

    /// Every answer waits this long.
    pub fn set_delay(&self, delay: Duration) {
        self.state.lock().unwrap().delay = delay;
    }

    /// Fraction digits in `Expiration` (STS sends 0, 3 or 6).
    pub fn set_fraction_digits(&self, digits: usize) {
        self.state.lock().unwrap().fraction_digits = digits;
    }

    /// Refuses `code` the next time it is sent, as STS refuses a code that
    /// does not match the device (a clock drift, a typo), without taking it
    /// as used: sent again, it is accepted.
    pub fn reject_code_once(&self, code: &str) {
        self.state
            .lock()
            .unwrap()
            .reject_once
            .insert(code.to_owned());
    }

    /// Accepts a code again, and any well-formed code, unlike STS: for
    /// benchmarks that repeat one run with a fixed code.
    pub fn allow_reused_codes(&self) {
        self.state.lock().unwrap().allow_reused_codes = true;
    }

    /// The `Date` header says a time this many seconds from ours.
    pub fn set_clock_skew(&self, seconds: i64) {
        self.state.lock().unwrap().clock_skew = seconds;
    }

    /// MFA sessions from now on expire this many seconds after they are issued.
    pub fn set_session_lifetime(&self, seconds: u64) {
        self.state.lock().unwrap().session_lifetime = Some(seconds);
    }

    /// Role credentials from now on expire this many seconds after they are issued.
    pub fn set_role_lifetime(&self, seconds: u64) {
        self.state.lock().unwrap().role_lifetime = Some(seconds);
    }

    /// The ARN of the identity these credentials belong to, if STS issued
    /// or knows them, and whether they are temporary.
    pub fn identify(&self, key: &str, secret: &str, token: Option<&str>) -> Option<(String, bool)> {
        let s = self.state.lock().unwrap();
        let identity = s.identities.get(key)?;
        (identity.secret == secret
            && identity.token.as_deref() == token
            && identity.expires > now())
        .then(|| (identity.arn.clone(), identity.temporary))
    }

    pub fn calls(&self) -> Vec<Call> {
        self.state.lock().unwrap().calls.clone()
    }

    pub fn count(&self, action: &str) -> usize {
        self.calls().iter().filter(|c| c.action == action).count()
    }

    /// Every `TokenCode` received, in order, whether accepted or not.
    pub fn codes(&self) -> Vec<String> {
        self.calls()
            .into_iter()
            .filter_map(|c| c.params.get("TokenCode").cloned())
            .collect()
    }

    /// The access key that signed every call of `action`, in order.
    pub fn signers(&self, action: &str) -> Vec<String> {
        self.calls()
            .into_iter()
            .filter(|c| c.action == action)
            .map(|c| c.access_key_id)
            .collect()
    }

    /// The signing region of every call of `action`, in order.
    pub fn regions(&self, action: &str) -> Vec<String> {
        self.calls()
            .into_iter()
            .filter(|c| c.action == action)
            .map(|c| c.region)
            .collect()
    }
}

/// Answers the requests of one connection, plain or TLS.
fn serve<S: Read + Write>(stream: S, state: &Mutex<State>) {
    let mut reader = BufReader::new(stream);
    loop {
        let Some(request) = read_request(&mut reader) else {
            return;
        };
        let (fault, delay, skew) = {
            let mut s = state.lock().unwrap();
            let params = form(&String::from_utf8_lossy(&request.body));
            s.calls.push(Call {
                action: params.get("Action").cloned().unwrap_or_default(),
                access_key_id: signing_key(&request),
                region: signing_region(&request),
                params,
            });
            (s.faults.pop_front(), s.delay, s.clock_skew)
        };
        std::thread::sleep(delay);
        let (status, body) = match fault {
            Some(Fault::Error(status, code)) => error(status, code, "fault injected by the test"),
            Some(Fault::Body(status, body)) => (status, body),
            Some(Fault::Delay(d)) => {
                std::thread::sleep(d);
                handle(&request, state)
            }
            None => handle(&request, state),
        };
        let reason = match status {
            200 => "OK",
            400 => "Bad Request",
            403 => "Forbidden",
            _ => "Internal Server Error",
        };
        let date = httpdate::fmt_http_date(
            SystemTime::now()
                .checked_add(Duration::from_secs(skew.unsigned_abs()))
                .filter(|_| skew >= 0)
                .or_else(|| SystemTime::now().checked_sub(Duration::from_secs(skew.unsigned_abs())))
                .unwrap(),
        );
        let head = format!(
            "HTTP/1.1 {status} {reason}\r\nDate: {date}\r\nContent-Type: text/xml\r\nContent-Length: {}\r\nx-amzn-RequestId: 4c1f0a1e-0000-0000-0000-000000000000\r\n\r\n",
            body.len()
        );
        let writer = reader.get_mut();
        if writer.write_all(head.as_bytes()).is_err()
            || writer.write_all(body.as_bytes()).is_err()
            || writer.flush().is_err()
        {
            return;
        }
    }
}

struct Request {
    method: String,
    target: String,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

impl Request {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }
}

fn read_request<S: Read + Write>(reader: &mut BufReader<S>) -> Option<Request> {
    let mut line = String::new();
    if reader.read_line(&mut line).ok()? == 0 {
        return None;
    }
    let mut parts = line.split_whitespace();
    let method = parts.next()?.to_owned();
    let target = parts.next()?.to_owned();
    let mut headers = Vec::new();
    loop {
        let mut header = String::new();
        reader.read_line(&mut header).ok()?;
        let header = header.trim_end();
        if header.is_empty() {
            break;
        }
        let (name, value) = header.split_once(':')?;
        headers.push((name.trim().to_ascii_lowercase(), value.trim().to_owned()));
    }
    let mut request = Request {
        method,
        target,
        headers,
        body: Vec::new(),
    };
    if request.header("expect") == Some("100-continue") {
        let writer = reader.get_mut();
        writer.write_all(b"HTTP/1.1 100 Continue\r\n\r\n").ok()?;
        writer.flush().ok()?;
    }
    let length: usize = request
        .header("content-length")
        .unwrap_or("0")
        .parse()
        .ok()?;
    request.body = vec![0; length];
    reader.read_exact(&mut request.body).ok()?;
    Some(request)
}

fn handle(request: &Request, state: &Mutex<State>) -> (u16, String) {
    let params = form(&String::from_utf8_lossy(&request.body));
    let action = params.get("Action").cloned().unwrap_or_default();
    let pause = state.lock().unwrap().slow_actions.get(&action).copied();
    if let Some(pause) = pause {
        std::thread::sleep(pause);
    }
    let mut s = state.lock().unwrap();
    if let Some(left) = s.throttled.get_mut(&action).filter(|left| **left > 0) {
        *left -= 1;
        return error(400, "Throttling", "Rate exceeded");
    }
    let signer = match authenticate(request, &s) {
        Ok(signer) => signer,
        Err(answer) => return answer,
    };
    let (key, identity) = signer;
    match action.as_str() {
        "GetCallerIdentity" => (
            200,
            format!(
                "<GetCallerIdentityResponse xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\"><GetCallerIdentityResult><Arn>{}</Arn><UserId>{}</UserId><Account>{ACCOUNT}</Account></GetCallerIdentityResult><ResponseMetadata><RequestId>1</RequestId></ResponseMetadata></GetCallerIdentityResponse>",
                identity.arn, identity.user_id
            ),
        ),
        "GetSessionToken" => get_session_token(&mut s, &key, &identity, &params),
        "AssumeRole" => assume_role(&mut s, &key, &identity, &params),
        "ListAccessKeys" | "CreateAccessKey" | "DeleteAccessKey" => {
            iam(&mut s, &action, &identity, &params)
        }
        "ListMFADevices" => list_mfa_devices(&s, &identity),
        _ => error(400, "InvalidAction", "Could not find operation"),
    }
}

fn get_session_token(
    s: &mut State,
    key: &str,
    identity: &Identity,
    params: &HashMap<String, String>,
) -> (u16, String) {
    if identity.temporary {
        return error(
            403,
            "AccessDenied",
            "Cannot call GetSessionToken with session credentials",
        );
    }
    let duration: u64 = params
        .get("DurationSeconds")
        .and_then(|d| d.parse().ok())
        .unwrap_or(43_200);
    if !(900..=129_600).contains(&duration) {
        return error(
            400,
            "ValidationError",
            "The requested DurationSeconds is out of range",
        );
    }
    if let Err(answer) = check_mfa(s, key, params) {
        return answer;
    }
    let lifetime = s.session_lifetime.unwrap_or(duration);
    let credentials = issue(s, identity.arn.clone(), identity.user_id.clone(), lifetime);
    (
        200,
        format!(
            "<GetSessionTokenResponse xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\"><GetSessionTokenResult>{credentials}</GetSessionTokenResult><ResponseMetadata><RequestId>2</RequestId></ResponseMetadata></GetSessionTokenResponse>"
        ),
    )
}

fn assume_role(
    s: &mut State,
    key: &str,
    identity: &Identity,
    params: &HashMap<String, String>,
) -> (u16, String) {
    let arn = params.get("RoleArn").cloned().unwrap_or_default();
    let session = params.get("RoleSessionName").cloned().unwrap_or_default();
    let duration: u64 = params
        .get("DurationSeconds")
        .and_then(|d| d.parse().ok())
        .unwrap_or(3600);
    if session.is_empty() {
        return error(400, "ValidationError", "RoleSessionName is required");
    }
    if identity.temporary && duration > 3600 {
        return error(
            400,
            "ValidationError",
            "The requested DurationSeconds exceeds the 1 hour session limit for roles assumed by role chaining.",
        );
    }
    if !(900..=43_200).contains(&duration) {
        return error(
            400,
            "ValidationError",
            "The requested DurationSeconds is out of range",
        );
    }
    let mfa = if params.contains_key("SerialNumber") {
        if identity.temporary {
            return error(
                403,
                "AccessDenied",
                "MultiFactorAuthentication failed: temporary credentials",
            );
        }
        if let Err(answer) = check_mfa(s, key, params) {
            return answer;
        }
        true
    } else {
        identity.mfa
    };
    let Some(role) = s.roles.get(&arn) else {
        return error(
            403,
            "AccessDenied",
            "User is not authorized to perform: sts:AssumeRole",
        );
    };
    if !mfa || role.external_id.as_deref() != params.get("ExternalId").map(String::as_str) {
        return error(
            403,
            "AccessDenied",
            "User is not authorized to perform: sts:AssumeRole",
        );
    }
    let name = arn.rsplit('/').next().unwrap_or("role").to_owned();
    let assumed = format!("arn:aws:sts::{ACCOUNT}:assumed-role/{name}/{session}");
    let user_id = format!("AROAROLE:{session}");
    let lifetime = s.role_lifetime.unwrap_or(duration);
    let credentials = issue(s, assumed.clone(), user_id.clone(), lifetime);
    (
        200,
        format!(
            "<AssumeRoleResponse xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\"><AssumeRoleResult><AssumedRoleUser><AssumedRoleId>{user_id}</AssumedRoleId><Arn>{assumed}</Arn></AssumedRoleUser>{credentials}</AssumeRoleResult><ResponseMetadata><RequestId>3</RequestId></ResponseMetadata></AssumeRoleResponse>"
        ),
    )
}

/// Checks SerialNumber and TokenCode the way STS does: the device's serial,
/// a code it shows (one `next_code` handed out), not one accepted before.
/// IAM ListMFADevices of the caller, allowed without MFA (as in AWS's
/// "force MFA" example policy, whose NotAction lists it).
fn list_mfa_devices(s: &State, caller: &Identity) -> (u16, String) {
    if s.refuse_device_listing || !caller.arn.contains(":user/") {
        return error(
            403,
            "AccessDenied",
            &format!(
                "User: {} is not authorized to perform: iam:ListMFADevices",
                caller.arn
            ),
        );
    }
    let name = caller.arn.rsplit('/').next().unwrap_or("");
    let members: String = match caller.arn == ALICE_ARN {
        true => s
            .devices
            .iter()
            .map(|serial| {
                format!(
                    "<member><UserName>{name}</UserName><SerialNumber>{serial}</SerialNumber><EnableDate>2026-01-01T00:00:00Z</EnableDate></member>"
                )
            })
            .collect(),
        false => String::new(),
    };
    (
        200,
        format!(
            "<ListMFADevicesResponse xmlns=\"https://iam.amazonaws.com/doc/2010-05-08/\"><ListMFADevicesResult><MFADevices>{members}</MFADevices><IsTruncated>false</IsTruncated></ListMFADevicesResult><ResponseMetadata><RequestId>8</RequestId></ResponseMetadata></ListMFADevicesResponse>"
        ),
    )
}

fn check_mfa(
    s: &mut State,
    key: &str,
    params: &HashMap<String, String>,
) -> Result<(), (u16, String)> {
    let serial = params.get("SerialNumber").cloned().unwrap_or_default();
    let code = params.get("TokenCode").cloned().unwrap_or_default();
    let of_alice = s.identities.get(key).is_some_and(|i| i.arn == ALICE_ARN);
    let a_device = of_alice && s.devices.contains(&serial) && !serial.contains(":u2f/");
    if s.serials.get(key) != Some(&serial) && !a_device {
        return Err(error(
            403,
            "AccessDenied",
            "MultiFactorAuthentication failed, unable to validate MFA code.  Please verify your MFA serial number is valid and associated with this user.",
        ));
    }
    let well_formed = code.len() == 6 && code.bytes().all(|b| b.is_ascii_digit());
    let shown = s.allow_reused_codes || shown_codes().lock().unwrap().contains(&code);
    let refused = s.reject_once.remove(&code)
        || !well_formed
        || !shown
        || code == WRONG_CODE
        // STS refuses a code it accepted before (a refused one is not used).
        || (!s.used_codes.insert((serial, code.clone())) && !s.allow_reused_codes);
    if refused {
        return Err(error(
            403,
            "AccessDenied",
            "MultiFactorAuthentication failed with invalid MFA one time pass code. ",
        ));
    }
    Ok(())
}

fn issue(s: &mut State, arn: String, user_id: String, duration: u64) -> String {
    s.issued += 1;
    let key = format!("ASIATEMP{:012}", s.issued);
    let secret = format!("tempSecret{}/{}", s.issued, "x".repeat(20));
    let token = format!("FwoGZXIvYXdzE{}{}", s.issued, "T".repeat(40));
    let expires = now() + duration;
    s.identities.insert(
        key.clone(),
        Identity {
            secret: secret.clone(),
            token: Some(token.clone()),
            arn,
            user_id,
            temporary: true,
            mfa: true,
            expires,
            usable_from: None,
        },
    );
    let expiration = rfc3339(expires, s.fraction_digits);
    format!(
        "<Credentials><AccessKeyId>{key}</AccessKeyId><SecretAccessKey>{secret}</SecretAccessKey><SessionToken>{token}</SessionToken><Expiration>{expiration}</Expiration></Credentials>"
    )
}

/// The access key id named in the Authorization header.
fn signing_key(request: &Request) -> String {
    let authorization = request.header("authorization").unwrap_or("");
    authorization
        .split("Credential=")
        .nth(1)
        .and_then(|rest| rest.split('/').next())
        .unwrap_or("")
        .to_owned()
}

/// The region in the Authorization header's credential scope:
/// `Credential=AKID/DATE/REGION/sts/aws4_request`.
fn signing_region(request: &Request) -> String {
    let authorization = request.header("authorization").unwrap_or("");
    authorization
        .split("Credential=")
        .nth(1)
        .and_then(|rest| rest.split([',', ' ']).next())
        .and_then(|credential| credential.split('/').nth(2))
        .unwrap_or("")
        .to_owned()
}

/// Checks the request's SigV4 signature with the secret of the key that
/// signed it, and its session token for temporary keys.
fn authenticate(request: &Request, s: &State) -> Result<(String, Identity), (u16, String)> {
    let denied = |code: &'static str, message: &str| Err((403, error_xml(code, message)));
    let Some(authorization) = request.header("authorization") else {
        return denied(
            "MissingAuthenticationToken",
            "Request is missing Authentication Token",
        );
    };
    let field = |name: &str| {
        authorization
            .split([',', ' '])
            .find_map(|part| part.trim().strip_prefix(name))
            .unwrap_or("")
            .to_owned()
    };
    let credential = field("Credential=");
    let signed_headers = field("SignedHeaders=");
    let signature = field("Signature=");
    let mut scope = credential.splitn(2, '/');
    let key = scope.next().unwrap_or("").to_owned();
    let scope = scope.next().unwrap_or("").to_owned();
    let Some(identity) = s.identities.get(&key).cloned() else {
        return denied(
            "InvalidClientTokenId",
            "The security token included in the request is invalid.",
        );
    };
    if identity.token.as_deref() != request.header("x-amz-security-token") {
        return denied(
            "InvalidClientTokenId",
            "The security token included in the request is invalid.",
        );
    }
    if identity
        .usable_from
        .is_some_and(|from| std::time::Instant::now() < from)
    {
        return denied(
            "InvalidClientTokenId",
            "The security token included in the request is invalid.",
        );
    }
    if identity.expires <= now() {
        return denied(
            "ExpiredToken",
            "The security token included in the request is expired",
        );
    }
    let canonical_headers: String = signed_headers
        .split(';')
        .map(|name| {
            let value = request.header(name).unwrap_or("");
            format!(
                "{name}:{}\n",
                value.split_whitespace().collect::<Vec<_>>().join(" ")
            )
        })
        .collect();
    let (path, query) = request
        .target
        .split_once('?')
        .unwrap_or((&request.target, ""));
    let canonical_request = format!(
        "{}\n{path}\n{query}\n{canonical_headers}\n{signed_headers}\n{}",
        request.method,
        hex(&Sha256::digest(&request.body))
    );
    let date = request.header("x-amz-date").unwrap_or("");
    let string_to_sign = format!(
        "AWS4-HMAC-SHA256\n{date}\n{scope}\n{}",
        hex(&Sha256::digest(canonical_request.as_bytes()))
    );
    let mut signing_key = format!("AWS4{}", identity.secret).into_bytes();
    for part in scope.split('/') {
        signing_key = hmac(&signing_key, part.as_bytes());
    }
    if hex(&hmac(&signing_key, string_to_sign.as_bytes())) != signature {
        return denied(
            "SignatureDoesNotMatch",
            "The request signature we calculated does not match the signature you provided.",
        );
    }
    Ok((key, identity))
}

fn hmac(key: &[u8], data: &[u8]) -> Vec<u8> {
    let mut mac = Hmac::<Sha256>::new_from_slice(key).expect("any key length");
    mac.update(data);
    mac.finalize().into_bytes().to_vec()
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn error(status: u16, code: &str, message: &str) -> (u16, String) {
    (status, error_xml(code, message))
}

fn error_xml(code: &str, message: &str) -> String {
    let kind = if code == "InternalFailure" {
        "Receiver"
    } else {
        "Sender"
    };
    format!(
        "<ErrorResponse xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\"><Error><Type>{kind}</Type><Code>{code}</Code><Message>{message}</Message></Error><RequestId>5</RequestId></ErrorResponse>"
    )
}

pub fn form(body: &str) -> HashMap<String, String> {
    body.split('&')
        .filter_map(|pair| pair.split_once('='))
        .map(|(k, v)| (decode(k), decode(v)))
        .collect()
}

fn decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' if i + 2 < bytes.len() => {
                let value = u8::from_str_radix(&text[i + 1..i + 3], 16).unwrap_or(b'?');
                out.push(value);
                i += 2;
            }
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

pub fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs()
}

/// `2026-11-23T19:00:00Z`, with `digits` fraction digits.
pub fn rfc3339(unix: u64, digits: usize) -> String {
    let days = (unix / 86_400) as i64;
    let secs = unix % 86_400;
    // Civil from days (Howard Hinnant's algorithm).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    let fraction = if digits == 0 {
        String::new()
    } else {
        format!(".{}", "0".repeat(digits))
    };
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}{fraction}Z",
        secs / 3600,
        secs % 3600 / 60,
        secs % 60
    )
}

/// IAM's access key calls, for the user the caller is, refused without an
/// MFA session (the usual "deny unless aws:MultiFactorAuthPresent"), with
/// IAM's limit of two keys per user.
fn iam(
    s: &mut State,
    action: &str,
    caller: &Identity,
    params: &HashMap<String, String>,
) -> (u16, String) {
    if !(caller.temporary && caller.mfa && caller.arn.contains(":user/")) {
        return error(
            403,
            "AccessDenied",
            &format!(
                "User: {} is not authorized to perform: iam:{action} with an explicit deny in an \
                 identity-based policy",
                caller.arn
            ),
        );
    }
    let user = caller.arn.clone();
    let mut keys: Vec<String> = s
        .identities
        .iter()
        .filter(|(_, identity)| !identity.temporary && identity.arn == user)
        .map(|(key, _)| key.clone())
        .collect();
    keys.sort();
    let name = user.rsplit('/').next().unwrap_or("").to_owned();
    let respond = |action: &str, result: String| {
        (
            200,
            format!(
                "<{action}Response xmlns=\"https://iam.amazonaws.com/doc/2010-05-08/\"><{action}Result>{result}</{action}Result><ResponseMetadata><RequestId>7</RequestId></ResponseMetadata></{action}Response>"
            ),
        )
    };
    match action {
        "ListAccessKeys" => {
            let members: String = keys
                .iter()
                .map(|key| {
                    format!(
                        "<member><UserName>{name}</UserName><AccessKeyId>{key}</AccessKeyId><Status>Active</Status><CreateDate>2026-01-01T00:00:00Z</CreateDate></member>"
                    )
                })
                .collect();
            respond(
                action,
                format!(
                    "<AccessKeyMetadata>{members}</AccessKeyMetadata><IsTruncated>false</IsTruncated>"
                ),
            )
        }
        "CreateAccessKey" => {
            if keys.len() >= 2 {
                return error(
                    409,
                    "LimitExceeded",
                    "Cannot exceed quota for AccessKeysPerUser: 2",
                );
            }
            s.issued += 1;
            let key = format!("AKIANEWKEY{:010}", s.issued);
            let secret = format!("newLongTermSecret{}/{}", s.issued, "k".repeat(20));
            let mut identity = caller.clone();
            identity.secret = secret.clone();
            identity.token = None;
            identity.temporary = false;
            identity.mfa = false;
            identity.expires = u64::MAX;
            identity.usable_from = Some(std::time::Instant::now() + s.key_delay);
            s.identities.insert(key.clone(), identity);
            if let Some(serial) = s.serials.get(ALICE_KEY).cloned() {
                s.serials.insert(key.clone(), serial);
            }
            respond(
                action,
                format!(
                    "<AccessKey><UserName>{name}</UserName><AccessKeyId>{key}</AccessKeyId><Status>Active</Status><SecretAccessKey>{secret}</SecretAccessKey><CreateDate>2026-12-01T00:00:00Z</CreateDate></AccessKey>"
                ),
            )
        }
        _ => {
            let key = params.get("AccessKeyId").cloned().unwrap_or_default();
            if s.refuse_key_deletion {
                return error(
                    403,
                    "AccessDenied",
                    &format!("User: {user} is not authorized to perform: iam:DeleteAccessKey"),
                );
            }
            if !keys.contains(&key) {
                return error(
                    404,
                    "NoSuchEntity",
                    &format!("The Access Key with id {key} cannot be found."),
                );
            }
            s.identities.remove(&key);
            s.serials.remove(&key);
            respond(action, String::new())
        }
    }
}
