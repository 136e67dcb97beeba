//! The calls to STS. The only file that knows tokio and the AWS SDK: a
//! current-thread runtime and a client are built only when a call is made.

use super::Credentials;
use crate::error::{Error, Result};
use crate::mfa::MfaCode;
use crate::secret::Secret;
use aws_sdk_sts::config::retry::RetryConfig;
use aws_sdk_sts::config::timeout::TimeoutConfig;
use aws_sdk_sts::config::{BehaviorVersion, Region};
use aws_sdk_sts::error::{ProvideErrorMetadata, SdkError};
use aws_smithy_runtime_api::client::orchestrator::HttpRequest;
use std::time::Duration;

const CONNECT_TIMEOUT: Duration = Duration::from_secs(3);
const ATTEMPT_TIMEOUT: Duration = Duration::from_secs(8);
const OPERATION_TIMEOUT: Duration = Duration::from_secs(25);
const MAX_ATTEMPTS: u32 = 3;
const DEFAULT_REGION: &str = "us-east-1";

/// Where STS is: an endpoint URL from the environment, else the regional one.
pub struct Endpoint {
    url: Option<String>,
    region: String,
}

impl Endpoint {
    /// `url` from the settings (`AWS_ENDPOINT_URL_STS`, `AWS_ENDPOINT_URL`),
    /// else the endpoint of `region` (else us-east-1).
    pub fn new(region: Option<&str>, url: Option<String>) -> Endpoint {
        Endpoint {
            url,
            region: region.unwrap_or(DEFAULT_REGION).to_owned(),
        }
    }

    /// The URL, for messages.
    pub fn describe(&self) -> String {
        match &self.url {
            Some(url) => url.clone(),
            None => format!("https://sts.{}.amazonaws.com", self.region),
        }
    }
}

/// The credentials a call is signed with.
pub struct Signer<'a> {
    pub access_key_id: &'a str,
    pub secret_access_key: &'a Secret,
    pub session_token: Option<&'a Secret>,
}

/// An AssumeRole call.
pub struct AssumeRole<'a> {
    pub arn: &'a str,
    pub session_name: &'a str,
    pub external_id: Option<&'a str>,
    pub duration: u64,
    /// Serial and code, for a role assumed directly with long-term keys.
    pub mfa: Option<(&'a str, &'a MfaCode)>,
}

/// GetSessionToken with the user's long-term keys and an MFA code.
pub fn get_session_token(
    endpoint: &Endpoint,
    signer: Signer<'_>,
    serial: &str,
    code: &MfaCode,
    duration: u64,
) -> Result<Credentials> {
    let scrub = Scrub(vec![code.expose(), signer.secret_access_key.expose()]);
    let client = client(endpoint, &signer);
    let call = client
        .get_session_token()
        .serial_number(serial)
        .token_code(code.expose())
        .duration_seconds(seconds(duration));
    let output = block_on(call.send())?
        .map_err(|e| error(e, "GetSessionToken", serial, endpoint, &scrub))?;
    credentials(output.credentials(), "GetSessionToken", duration)
}

/// AssumeRole, signed with a session's credentials or, with `mfa`, the
/// user's long-term keys.
pub fn assume_role(
    endpoint: &Endpoint,
    signer: Signer<'_>,
    role: &AssumeRole<'_>,
) -> Result<Credentials> {
    let mut scrub = Scrub(vec![signer.secret_access_key.expose()]);
    scrub.0.extend(signer.session_token.map(Secret::expose));
    let client = client(endpoint, &signer);
    let mut call = client
        .assume_role()
        .role_arn(role.arn)
        .role_session_name(role.session_name)
        .duration_seconds(seconds(role.duration))
        .set_external_id(role.external_id.map(str::to_owned));
    let mut serial = "";
    if let Some((device, code)) = role.mfa {
        scrub.0.push(code.expose());
        serial = device;
        call = call.serial_number(device).token_code(code.expose());
    }
    let output =
        block_on(call.send())?.map_err(|e| error(e, "AssumeRole", serial, endpoint, &scrub))?;
    credentials(output.credentials(), "AssumeRole", role.duration)
}

fn seconds(duration: u64) -> i32 {
    i32::try_from(duration).unwrap_or(i32::MAX)
}

fn client(endpoint: &Endpoint, signer: &Signer<'_>) -> aws_sdk_sts::Client {
    let credentials = aws_sdk_sts::config::Credentials::new(
        signer.access_key_id,
        signer.secret_access_key.expose(),
        signer.session_token.map(|t| t.expose().to_owned()),
        None,
        "awsmfa",
    );
    let mut config = aws_sdk_sts::Config::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(Region::new(endpoint.region.clone()))
        .credentials_provider(credentials)
        .timeout_config(
            TimeoutConfig::builder()
                .connect_timeout(CONNECT_TIMEOUT)
                .read_timeout(ATTEMPT_TIMEOUT)
                .operation_attempt_timeout(ATTEMPT_TIMEOUT)
                .operation_timeout(OPERATION_TIMEOUT)
                .build(),
        )
        .retry_config(
            RetryConfig::standard()
                .with_max_attempts(MAX_ATTEMPTS)
                .with_initial_backoff(Duration::from_millis(200)),
        );
    if let Some(url) = &endpoint.url {
        config = config.endpoint_url(url);
    }
    aws_sdk_sts::Client::from_conf(config.build())
}

fn block_on<F: std::future::Future>(future: F) -> Result<F::Output> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| Error::Sts(format!("cannot start the network runtime: {e}")))?;
    Ok(runtime.block_on(future))
}

/// The credentials of an answer, checked before anything caches or uses
/// them: all three parts there and plausible, an expiry in the future.
/// STS's answer, checked; its expiry no later than the `duration` asked for
/// (an expiry in the year 9999 would keep a session "valid" for ever).
fn credentials(
    credentials: Option<&aws_sdk_sts::types::Credentials>,
    action: &str,
    duration: u64,
) -> Result<Credentials> {
    let unusable = |why: &str| {
        Error::Sts(format!(
            "STS {action} answered with unusable credentials: {why}"
        ))
    };
    let credentials = credentials.ok_or_else(|| unusable("there are none"))?;
    let plausible = |value: &str, max: usize| {
        !value.is_empty() && value.len() <= max && value.bytes().all(|b| b.is_ascii_graphic())
    };
    if !plausible(credentials.access_key_id(), 128) {
        return Err(unusable("the access key id is empty or malformed"));
    }
    if !plausible(credentials.secret_access_key(), 256) {
        return Err(unusable("the secret key is empty or malformed"));
    }
    if !plausible(credentials.session_token(), 16 * 1024) {
        return Err(unusable("the session token is empty or malformed"));
    }
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default()
        .as_secs();
    let expires_at = u64::try_from(credentials.expiration().secs()).unwrap_or(0);
    if expires_at <= now {
        return Err(unusable("they have already expired"));
    }
    if expires_at > super::LATEST_EXPIRY {
        return Err(unusable("their expiry is out of range"));
    }
    Ok(Credentials {
        access_key_id: credentials.access_key_id().to_owned(),
        secret_access_key: Secret::new(credentials.secret_access_key()),
        session_token: Secret::new(credentials.session_token()),
        expires_at: expires_at.min(now.saturating_add(duration)),
    })
}

/// Secrets to blank out of anything STS says before it is shown.
struct Scrub<'a>(Vec<&'a str>);

/// The most of a message from STS that is shown.
const MAX_MESSAGE: usize = 300;

impl Scrub<'_> {
    /// `text` without secrets, control characters (escape sequences, line
    /// breaks that could forge a line) or more than a line's worth.
    fn apply(&self, text: &str) -> String {
        let scrubbed = self
            .0
            .iter()
            .filter(|s| !s.is_empty())
            .fold(text.to_owned(), |text, secret| text.replace(secret, "***"));
        let words: Vec<&str> = scrubbed
            .split(|c: char| c.is_control() || c.is_whitespace() || is_format_control(c))
            .filter(|w| !w.is_empty())
            .collect();
        let line = words.join(" ");
        match line.char_indices().nth(MAX_MESSAGE) {
            Some((end, _)) => format!("{}…", &line[..end]),
            None => line,
        }
    }
}

/// Characters that change how text around them is shown without being
/// seen: bidirectional overrides and isolates (U+202E turns the rest of a
/// line around), marks, and zero-width joiners.
fn is_format_control(c: char) -> bool {
    matches!(
        c,
        '\u{200B}'..='\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2060}'..='\u{2069}' | '\u{FEFF}'
    )
}

fn error<E: ProvideErrorMetadata + std::error::Error + 'static>(
    error: SdkError<E, aws_sdk_sts::config::http::HttpResponse>,
    action: &str,
    serial: &str,
    endpoint: &Endpoint,
    scrub: &Scrub<'_>,
) -> Error {
    let at = endpoint.describe();
    match &error {
        SdkError::ServiceError(service) => {
            let code = scrub.apply(service.err().code().unwrap_or(""));
            let message = scrub.apply(service.err().message().unwrap_or(""));
            if code == "AccessDenied" && message.contains("MultiFactorAuthentication") {
                return Error::MfaRejected {
                    serial: serial.to_owned(),
                };
            }
            // An answer that is not STS's XML says no more than its status.
            let what = match (code.as_str(), message.as_str()) {
                ("", _) => format!("HTTP {}", service.raw().status().as_u16()),
                (code, "") => code.to_owned(),
                (code, message) => format!("{code}: {message}"),
            };
            Error::Sts(format!("STS {action} at {at} failed: {what}"))
        }
        SdkError::TimeoutError(_) => Error::Sts(format!(
            "STS at {at} did not answer {action} within {} s",
            OPERATION_TIMEOUT.as_secs()
        )),
        SdkError::DispatchFailure(failure) => {
            let reason = if failure.is_timeout() {
                "it timed out".to_owned()
            } else {
                innermost(&error)
            };
            Error::Sts(format!(
                "cannot reach STS at {at}: {}",
                scrub.apply(&reason)
            ))
        }
        _ => Error::Sts(format!(
            "STS {action} at {at} failed: {}",
            scrub.apply(&innermost(&error))
        )),
    }
}

/// The last cause in an error's chain: the most specific words.
fn innermost(error: &(dyn std::error::Error + 'static)) -> String {
    let mut current = error;
    while let Some(source) = current.source() {
        current = source;
    }
    crate::without_os_error(&current.to_string()).to_lowercase()
}

/// What an endpoint answered to a plain GET.
pub struct Answer {
    pub status: u16,
    /// The `Date` header, as sent.
    pub date: Option<String>,
    pub body: Vec<u8>,
    /// From sending the request to the last byte of the answer.
    pub elapsed: Duration,
}

/// A GET to an endpoint beside STS (the console's federation endpoint), or
/// an unsigned one to STS itself (`doctor`), over the SDK's own HTTPS
/// client, with the STS calls' timeouts and no retries, given up after
/// `within`. `url` may carry secrets in its query: errors name `what`
/// instead, and say what went wrong in `error`'s words.
pub fn fetch(
    url: &str,
    what: &str,
    within: Duration,
    error: fn(String) -> Error,
) -> Result<Answer> {
    let request = HttpRequest::get(url)
        .map_err(|_| error(format!("cannot reach {what}: the URL is not valid")))?;
    send(request, what, within, error)
}

/// Sends `request` as `fetch` does (a signed IAM call, say).
pub fn send(
    request: HttpRequest,
    what: &str,
    within: Duration,
    error: fn(String) -> Error,
) -> Result<Answer> {
    use aws_smithy_http_client::tls::{Provider, rustls_provider::CryptoMode};
    use aws_smithy_runtime_api::client::http::{HttpConnector, HttpConnectorSettings};
    let failed = |why: String| error(format!("cannot reach {what}: {why}"));
    let settings = HttpConnectorSettings::builder()
        .connect_timeout(CONNECT_TIMEOUT.min(within))
        .read_timeout(ATTEMPT_TIMEOUT.min(within))
        .build();
    let connector = aws_smithy_http_client::Connector::builder()
        .connector_settings(settings)
        .sleep_impl(aws_smithy_async::rt::sleep::TokioSleep::new())
        .tls_provider(Provider::Rustls(CryptoMode::AwsLc))
        .build();
    let started = std::time::Instant::now();
    block_on(async {
        let response = tokio::time::timeout(within, connector.call(request))
            .await
            .map_err(|_| failed(format!("no answer within {} s", within.as_secs())))?
            .map_err(|e| {
                failed(if e.is_timeout() {
                    format!(
                        "no answer within {} s",
                        within.min(ATTEMPT_TIMEOUT).as_secs()
                    )
                } else {
                    innermost(&e)
                })
            })?;
        let status = response.status().as_u16();
        let date = response.headers().get("date").map(str::to_owned);
        let body = aws_smithy_types::byte_stream::ByteStream::new(response.into_body())
            .collect()
            .await
            .map_err(|e| failed(innermost(&e)))?
            .into_bytes()
            .to_vec();
        Ok(Answer {
            status,
            date,
            body,
            elapsed: started.elapsed(),
        })
    })?
}

impl Endpoint {
    /// The URL of an unsigned GetCallerIdentity: STS refuses it, but its
    /// answer says the endpoint is there, and what time it is there.
    pub fn probe_url(&self) -> String {
        format!(
            "{}/?Action=GetCallerIdentity&Version=2011-06-15",
            self.describe().trim_end_matches('/')
        )
    }
}

/// Who a key pair belongs to (GetCallerIdentity: needs no code).
pub struct Identity {
    pub arn: String,
    pub account: String,
}

/// GetCallerIdentity signed with `signer`: whether the keys work, and whose.
pub fn get_caller_identity(endpoint: &Endpoint, signer: Signer<'_>) -> Result<Identity> {
    let mut scrub = Scrub(vec![signer.secret_access_key.expose()]);
    scrub.0.extend(signer.session_token.map(Secret::expose));
    let client = client(endpoint, &signer);
    let output = block_on(client.get_caller_identity().send())?
        .map_err(|e| error(e, "GetCallerIdentity", "", endpoint, &scrub))?;
    Ok(Identity {
        arn: scrub.apply(output.arn().unwrap_or_default()),
        account: scrub.apply(output.account().unwrap_or_default()),
    })
}
