//! The calls to STS. The only file that knows tokio and the AWS SDK: a
//! current-thread runtime and a client are built only when a call is made.
//!
//! Every HTTPS call awsmfa makes goes out through one construction,
//! `connector` (for SDK clients, `Network::http_client`): the proxies of the environment (`HTTPS_PROXY`,
//! `HTTP_PROXY`, `ALL_PROXY`, `NO_PROXY`, read by the SDK's HTTP client when
//! a connection is made, as the SDK's own default client reads them) and the
//! trust roots: the system's, or a CA bundle (`AWS_CA_BUNDLE`, else the
//! profile's `ca_bundle`) read and checked when a client is built, never on
//! the cached path.

use super::Credentials;
use crate::error::{Error, Result};
use crate::mfa::MfaCode;
use crate::secret::Secret;
use aws_sdk_sts::config::retry::RetryConfig;
use aws_sdk_sts::config::timeout::TimeoutConfig;
use aws_sdk_sts::config::{BehaviorVersion, Region};
use aws_sdk_sts::error::{ProvideErrorMetadata, SdkError};
use aws_smithy_runtime_api::client::orchestrator::HttpRequest;
use std::path::{Path, PathBuf};
use std::time::Duration;

const CONNECT_TIMEOUT: Duration = Duration::from_secs(3);
const ATTEMPT_TIMEOUT: Duration = Duration::from_secs(8);
const OPERATION_TIMEOUT: Duration = Duration::from_secs(25);
const MAX_ATTEMPTS: u32 = 3;
const DEFAULT_REGION: &str = "us-east-1";

/// Where STS is: an endpoint URL from the environment, else the regional
/// one; and how the network reaches it.
pub struct Endpoint {
    url: Option<String>,
    region: String,
    network: Network,
}

impl Endpoint {
    /// `url` from the settings (`AWS_ENDPOINT_URL_STS`, `AWS_ENDPOINT_URL`),
    /// else the endpoint of `region` (else us-east-1); the system's trust.
    pub fn new(region: Option<&str>, url: Option<String>) -> Endpoint {
        Endpoint {
            url,
            region: region.unwrap_or(DEFAULT_REGION).to_owned(),
            network: Network::default(),
        }
    }

    /// This endpoint, reached with `network`'s trust.
    pub fn with_network(self, network: Network) -> Endpoint {
        Endpoint { network, ..self }
    }

    /// How the network reaches this endpoint (and the others beside it).
    pub fn network(&self) -> &Network {
        &self.network
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
    let client = client(endpoint, &signer)?;
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
    let client = client(endpoint, &signer)?;
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

fn client(endpoint: &Endpoint, signer: &Signer<'_>) -> Result<aws_sdk_sts::Client> {
    let credentials = aws_sdk_sts::config::Credentials::new(
        signer.access_key_id,
        signer.secret_access_key.expose(),
        signer.session_token.map(|t| t.expose().to_owned()),
        None,
        "awsmfa",
    );
    let mut config = aws_sdk_sts::Config::builder()
        .behavior_version(BehaviorVersion::latest())
        .http_client(endpoint.network.http_client(&endpoint.describe())?)
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
    Ok(aws_sdk_sts::Client::from_conf(config.build()))
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
/// The most of a header (`Server`, `Content-Type`) that is shown.
const MAX_HEADER: usize = 80;

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
            if code == "InvalidClientTokenId" {
                return Error::UnknownKey(format!(
                    "STS {action} at {at} does not know the long-term access key: it was \
                     deleted, or rotated and replaced (InvalidClientTokenId)"
                ));
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
            } else if let Some(problem) = certificate_problem(&error) {
                format!("{problem}{}", endpoint.network.advice())
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
    /// The `Server` and `Content-Type` headers, made safe to show (one
    /// line, no control characters, not too long).
    pub server: Option<String>,
    pub content_type: Option<String>,
    /// Whether an `x-amzn-RequestId` header came (AWS's services send one).
    pub request_id: bool,
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
    network: &Network,
    url: &str,
    what: &str,
    within: Duration,
    error: fn(String) -> Error,
) -> Result<Answer> {
    let request = HttpRequest::get(url)
        .map_err(|_| error(format!("cannot reach {what}: the URL is not valid")))?;
    send(network, request, what, within, error)
}

/// Sends `request` as `fetch` does (a signed IAM call, say).
pub fn send(
    network: &Network,
    request: HttpRequest,
    what: &str,
    within: Duration,
    error: fn(String) -> Error,
) -> Result<Answer> {
    use aws_smithy_async::rt::sleep::{SharedAsyncSleep, TokioSleep};
    use aws_smithy_runtime_api::client::http::{HttpConnector, HttpConnectorSettings};
    let failed = |why: String| error(format!("cannot reach {what}: {why}"));
    let url = request.uri().to_owned();
    let settings = HttpConnectorSettings::builder()
        .connect_timeout(CONNECT_TIMEOUT.min(within))
        .read_timeout(ATTEMPT_TIMEOUT.min(within))
        .build();
    let tls = network.tls_context(&url)?;
    let sleep = SharedAsyncSleep::new(TokioSleep::new());
    let started = std::time::Instant::now();
    block_on(async {
        // Built inside the runtime: the connector may start tasks on it.
        let connector = connector(&tls, Some(&settings), Some(sleep));
        let response = tokio::time::timeout(within, connector.call(request))
            .await
            .map_err(|_| failed(format!("no answer within {} s", within.as_secs())))?
            .map_err(|e| {
                failed(if e.is_timeout() {
                    format!(
                        "no answer within {} s",
                        within.min(ATTEMPT_TIMEOUT).as_secs()
                    )
                } else if let Some(problem) = certificate_problem(&e) {
                    format!("{problem}{}", network.advice())
                } else {
                    innermost(&e)
                })
            })?;
        let status = response.status().as_u16();
        let headers = response.headers();
        let date = headers.get("date").map(str::to_owned);
        let shown = |name: &str| {
            headers
                .get(name)
                .map(|value| Scrub(Vec::new()).apply(value))
                .map(|value| match value.char_indices().nth(MAX_HEADER) {
                    Some((end, _)) => format!("{}…", &value[..end]),
                    None => value,
                })
                .filter(|value| !value.is_empty())
        };
        let server = shown("server");
        let content_type = shown("content-type");
        let request_id = headers.get("x-amzn-requestid").is_some();
        let body = aws_smithy_types::byte_stream::ByteStream::new(response.into_body())
            .collect()
            .await
            .map_err(|e| failed(innermost(&e)))?
            .into_bytes()
            .to_vec();
        Ok(Answer {
            status,
            date,
            server,
            content_type,
            request_id,
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

/// How awsmfa's HTTPS calls go out: through the proxies of the environment
/// (the SDK's HTTP client reads them), trusting the system's roots or a CA
/// bundle. The one place an HTTP client is built: STS's, the console
/// federation endpoint's and doctor's probe (and any later SDK client's,
/// through `http_client`).
#[derive(Clone, Debug, Default)]
pub struct Network {
    ca_bundle: Option<CaBundle>,
}

/// A file of PEM certificates to trust instead of the system's roots, as
/// the AWS CLI takes `AWS_CA_BUNDLE` and `ca_bundle` (a TLS-inspecting
/// proxy's CA, a private endpoint's).
#[derive(Clone, Debug)]
pub struct CaBundle {
    pub path: PathBuf,
    /// Where it was named: `AWS_CA_BUNDLE`, or a profile's `ca_bundle`.
    pub from: String,
}

/// The largest CA bundle read (a system's bundle of every root is 250 kB).
const MAX_BUNDLE: u64 = 16 * 1024 * 1024;

impl Network {
    /// The network of a run in this process: `AWS_CA_BUNDLE`, else the
    /// `ca_bundle` of `profile` in `files`. Reads no file: the bundle is read
    /// when a client is built, so a cache hit never touches it.
    pub fn of_profile(
        files: &crate::profile::Files,
        profile: &str,
        home: Option<&Path>,
    ) -> Network {
        Network::from_env(&|name| std::env::var(name).ok(), Some(files), profile, home)
    }

    /// `of_profile` with the variables of `env` (`doctor`'s).
    pub fn from_env(
        env: &dyn Fn(&str) -> Option<String>,
        files: Option<&crate::profile::Files>,
        profile: &str,
        home: Option<&Path>,
    ) -> Network {
        let path = |value: &str| match (value.strip_prefix("~/"), home) {
            (Some(rest), Some(home)) => home.join(rest),
            _ => PathBuf::from(value),
        };
        let from_env = env("AWS_CA_BUNDLE")
            .filter(|v| !v.trim().is_empty())
            .map(|value| CaBundle {
                path: path(value.trim()),
                from: "AWS_CA_BUNDLE".into(),
            });
        // The variable wins over the profile, as with the AWS CLI.
        let ca_bundle = from_env.or_else(|| {
            let value = files?.setting_of(profile, "ca_bundle")?.trim();
            (!value.is_empty()).then(|| CaBundle {
                path: path(value),
                from: format!("the ca_bundle of profile '{profile}'"),
            })
        });
        Network { ca_bundle }
    }

    pub fn ca_bundle(&self) -> Option<&CaBundle> {
        self.ca_bundle.as_ref()
    }

    /// What to do about a certificate that is not trusted, after a `;`.
    fn advice(&self) -> String {
        match &self.ca_bundle {
            Some(bundle) => format!(
                "; only the CA bundle {} (from {}) is trusted",
                bundle.path.display(),
                bundle.from
            ),
            None => "; behind a proxy that inspects TLS, point AWS_CA_BUNDLE at its CA \
                     certificate"
                .into(),
        }
    }

    /// An HTTP client for an SDK client (`Config::builder().http_client`)
    /// whose endpoint is `url`: as the SDK's default one (proxies from the
    /// environment), with this network's trust. Fails if the CA bundle
    /// cannot be used.
    pub fn http_client(
        &self,
        url: &str,
    ) -> Result<aws_smithy_runtime_api::client::http::SharedHttpClient> {
        let tls = self.tls_context(url)?;
        // As the SDK builds its default client, connectors cached per
        // setting by the client (so two calls share a connection).
        Ok(
            aws_smithy_http_client::Builder::new().build_with_connector_fn(
                move |settings, components| {
                    connector(&tls, settings, components.and_then(|c| c.sleep_impl()))
                },
            ),
        )
    }

    /// The trust roots for calls to `url`: the system's, or the bundle's
    /// alone. A plain `http://` URL takes no bundle, and it is not read (as
    /// the AWS CLI, which looks at its bundle for HTTPS alone).
    fn tls_context(&self, url: &str) -> Result<aws_smithy_http_client::tls::TlsContext> {
        use aws_smithy_http_client::tls::{TlsContext, TrustStore};
        let plain = url
            .get(..7)
            .is_some_and(|scheme| scheme.eq_ignore_ascii_case("http://"));
        let Some(bundle) = self.ca_bundle.as_ref().filter(|_| !plain) else {
            if plain && !tls_proxy() {
                // No TLS at all on this route: the system's roots (a few
                // hundred certificates, read and parsed) are not loaded.
                let none = TrustStore::empty().with_native_roots(false);
                return Ok(TlsContext::builder()
                    .with_trust_store(none)
                    .build()
                    .unwrap_or_default());
            }
            return Ok(TlsContext::default());
        };
        let (pem, _) = bundle.load()?;
        let store = TrustStore::empty()
            .with_native_roots(false)
            .with_pem_certificate(pem);
        TlsContext::builder()
            .with_trust_store(store)
            .build()
            .map_err(|e| bundle.error(&format!("cannot be used: {e}")))
    }

    /// How a request to `url` would go out, for `doctor`, from the
    /// variables of `env` (the SDK's client reads the same ones, the same
    /// way): through a proxy (its URL without any user or password, and the
    /// variable that names it), or directly.
    pub fn route(env: &dyn Fn(&str) -> Option<String>, url: &str) -> Route {
        use hyper_util::client::proxy::matcher::Matcher;
        let Ok(uri) = url.parse::<hyper::Uri>() else {
            return Route::Direct;
        };
        // The first of each pair that is set, even if empty, as the client.
        let first = |names: [&'static str; 2]| {
            names
                .into_iter()
                .find_map(|name| env(name).map(|value| (name, value)))
        };
        let own = match uri.scheme_str() {
            Some("https") => first(["HTTPS_PROXY", "https_proxy"]),
            _ => first(["HTTP_PROXY", "http_proxy"]),
        }
        .filter(|(_, value)| !value.trim().is_empty());
        let all = first(["ALL_PROXY", "all_proxy"]).filter(|(_, value)| !value.trim().is_empty());
        let Some((var, value)) = own.or(all) else {
            return Route::Direct;
        };
        // A CGI program's HTTP_PROXY may come from a request's header: the
        // client takes no proxy at all there.
        if env("REQUEST_METHOD").is_some() {
            return Route::Direct;
        }
        let no = first(["NO_PROXY", "no_proxy"])
            .map(|(_, v)| v)
            .unwrap_or_default();
        let matcher = |no: &str| {
            Matcher::builder()
                .all(value.clone())
                .http(value.clone())
                .https(value.clone())
                .no(no)
                .build()
        };
        if matcher("").intercept(&uri).is_none() {
            return Route::Unusable { var };
        }
        match matcher(&no).intercept(&uri) {
            Some(proxy) => {
                let proxy = proxy.uri();
                let host = proxy.host().unwrap_or("");
                Route::Proxy {
                    url: match proxy.port_u16() {
                        Some(port) => {
                            format!("{}://{host}:{port}", proxy.scheme_str().unwrap_or("http"))
                        }
                        None => format!("{}://{host}", proxy.scheme_str().unwrap_or("http")),
                    },
                    var,
                }
            }
            None => Route::Excluded { var },
        }
    }
}

/// How a request goes out.
#[derive(Debug, PartialEq, Eq)]
pub enum Route {
    /// No proxy variable applies.
    Direct,
    /// Through the proxy `url` (shown without credentials), named by `var`.
    Proxy { url: String, var: &'static str },
    /// `var` names a proxy, but NO_PROXY leaves this host out.
    Excluded { var: &'static str },
    /// `var`'s value is no proxy URL: the client ignores it.
    Unusable { var: &'static str },
}

impl CaBundle {
    /// An error about this bundle: one line naming the file and who named it.
    fn error(&self, what: &str) -> Error {
        Error::config_with_hint(
            format!(
                "the CA bundle {} (from {}) {what}",
                self.path.display(),
                self.from
            ),
            self.hint(),
        )
    }

    /// What to do about a bundle that cannot be used.
    pub fn hint(&self) -> String {
        if self.from == "AWS_CA_BUNDLE" {
            "point AWS_CA_BUNDLE at a PEM file of CA certificates, or unset it".to_owned()
        } else {
            format!(
                "point {} at a PEM file of CA certificates, or remove it",
                self.from
            )
        }
    }

    /// The bundle's bytes and how many certificates it holds, checked as
    /// the TLS layer will take them (which panics on anything it cannot
    /// parse): PEM certificates, at least one, each usable as a root.
    pub fn load(&self) -> Result<(Vec<u8>, usize)> {
        self.check().map_err(|what| self.error(&what))
    }

    /// `load`, with what is wrong (after the file's name) as the error.
    pub fn check(&self) -> std::result::Result<(Vec<u8>, usize), String> {
        use rustls_pki_types::CertificateDer;
        use rustls_pki_types::pem::PemObject;
        use std::io::Read;
        let mut pem = Vec::new();
        std::fs::File::open(&self.path)
            .and_then(|file| file.take(MAX_BUNDLE + 1).read_to_end(&mut pem))
            .map_err(|e| format!("cannot be read: {}", crate::io_reason(&e)))?;
        if pem.len() as u64 > MAX_BUNDLE {
            return Err("is too large to be a CA bundle (over 16 MB)".into());
        }
        let certificates = CertificateDer::pem_slice_iter(&pem)
            .collect::<std::result::Result<Vec<_>, _>>()
            .map_err(|e| format!("is not a PEM file of certificates: {e}"))?;
        if certificates.is_empty() {
            return Err(
                "holds no certificate (no -----BEGIN CERTIFICATE----- block): it must be PEM"
                    .into(),
            );
        }
        let mut roots = rustls::RootCertStore::empty();
        for (n, certificate) in certificates.iter().enumerate() {
            roots.add(certificate.clone()).map_err(|_| {
                format!(
                    "holds a certificate that cannot be parsed (number {})",
                    n + 1
                )
            })?;
        }
        Ok((pem, certificates.len()))
    }
}

/// Whether a plain `http://` call may still go through TLS: to a proxy
/// reached over `https://` (the variables the connector's proxy settings
/// read for such a call).
fn tls_proxy() -> bool {
    ["HTTP_PROXY", "http_proxy", "ALL_PROXY", "all_proxy"]
        .iter()
        .filter_map(std::env::var_os)
        .any(|value| {
            value
                .to_str()
                .is_none_or(|v| !v.trim_start().to_ascii_lowercase().starts_with("http://"))
                && !value.is_empty()
        })
}

/// The one construction of an HTTPS connector: the TLS provider the SDK
/// uses, `tls`'s roots, the connection settings, and the environment's
/// proxies, as the SDK's default client has them, and its resolver
/// (`dns`: `localhost` is loopback wherever the program runs).
fn connector(
    tls: &aws_smithy_http_client::tls::TlsContext,
    settings: Option<&aws_smithy_runtime_api::client::http::HttpConnectorSettings>,
    sleep: Option<aws_smithy_async::rt::sleep::SharedAsyncSleep>,
) -> aws_smithy_http_client::Connector {
    use aws_smithy_http_client::proxy::ProxyConfig;
    use aws_smithy_http_client::tls::{Provider, rustls_provider::CryptoMode};
    let mut builder = aws_smithy_http_client::Connector::builder()
        .tls_provider(Provider::Rustls(CryptoMode::AwsLc))
        .tls_context(tls.clone());
    builder.set_connector_settings(settings.cloned());
    builder.set_sleep_impl(sleep);
    builder.set_proxy_config(Some(ProxyConfig::from_env()));
    builder.build_with_resolver(super::dns::Resolver)
}

/// What is wrong with the server's certificate, if that is why a
/// connection failed: in words, not rustls's names.
fn certificate_problem(error: &(dyn std::error::Error + 'static)) -> Option<String> {
    use rustls::CertificateError as Why;
    // rustls's error, perhaps inside I/O errors (whose `source` skips it).
    fn rustls_error<'a>(
        mut error: &'a (dyn std::error::Error + 'static),
    ) -> Option<&'a rustls::Error> {
        loop {
            if let Some(rustls) = error.downcast_ref::<rustls::Error>() {
                return Some(rustls);
            }
            let inner: &(dyn std::error::Error + 'static) =
                error.downcast_ref::<std::io::Error>()?.get_ref()?;
            error = inner;
        }
    }
    let mut current = Some(error);
    while let Some(error) = current {
        let rustls = rustls_error(error);
        if let Some(rustls::Error::InvalidCertificate(why)) = rustls {
            let what = match why {
                Why::UnknownIssuer => "is signed by an authority this host does not trust".into(),
                Why::NotValidForName | Why::NotValidForNameContext { .. } => {
                    "is not for this host name".into()
                }
                Why::Expired | Why::ExpiredContext { .. } => "has expired".into(),
                Why::NotValidYet | Why::NotValidYetContext { .. } => "is not valid yet".into(),
                Why::Revoked => "is revoked".into(),
                Why::BadSignature
                | Why::UnsupportedSignatureAlgorithmForPublicKeyContext { .. } => {
                    "does not verify with any authority this host trusts (bad signature)".into()
                }
                other => format!("is refused ({other:?})"),
            };
            return Some(format!("its TLS certificate {what}"));
        }
        current = error.source();
    }
    None
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
    let client = client(endpoint, &signer)?;
    let output = block_on(client.get_caller_identity().send())?
        .map_err(|e| error(e, "GetCallerIdentity", "", endpoint, &scrub))?;
    Ok(Identity {
        arn: scrub.apply(output.arn().unwrap_or_default()),
        account: scrub.apply(output.account().unwrap_or_default()),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn route(vars: &[(&str, &str)], url: &str) -> Route {
        let env = |name: &str| {
            vars.iter()
                .find(|(n, _)| *n == name)
                .map(|(_, v)| (*v).to_owned())
        };
        Network::route(&env, url)
    }

    #[test]
    fn the_route_names_the_proxy_without_credentials() {
        let sts = "https://sts.eu-west-1.amazonaws.com";
        assert_eq!(route(&[], sts), Route::Direct);
        assert_eq!(
            route(&[("HTTPS_PROXY", "http://user:pass@proxy.corp:3128/")], sts),
            Route::Proxy {
                url: "http://proxy.corp:3128".into(),
                var: "HTTPS_PROXY"
            }
        );
        // Lower case; ALL_PROXY when nothing else applies; HTTP_PROXY is
        // not for an https URL.
        assert_eq!(
            route(&[("https_proxy", "proxy:8080")], sts),
            Route::Proxy {
                url: "http://proxy:8080".into(),
                var: "https_proxy"
            }
        );
        assert_eq!(
            route(
                &[("HTTP_PROXY", "http://a:1"), ("ALL_PROXY", "http://b:2")],
                sts
            ),
            Route::Proxy {
                url: "http://b:2".into(),
                var: "ALL_PROXY"
            }
        );
        assert_eq!(route(&[("HTTP_PROXY", "http://a:1")], sts), Route::Direct);
        assert_eq!(
            route(
                &[
                    ("HTTPS_PROXY", "http://a:1"),
                    ("NO_PROXY", ".amazonaws.com")
                ],
                sts
            ),
            Route::Excluded { var: "HTTPS_PROXY" }
        );
        // Set but empty: as unset (and it hides the lower-case one, as in
        // the client).
        assert_eq!(
            route(&[("HTTPS_PROXY", ""), ("https_proxy", "http://a:1")], sts),
            Route::Direct
        );
        assert_eq!(
            route(&[("HTTPS_PROXY", "http://[::1")], sts),
            Route::Unusable { var: "HTTPS_PROXY" }
        );
        // A CGI program takes no proxy.
        assert_eq!(
            route(
                &[("HTTPS_PROXY", "http://a:1"), ("REQUEST_METHOD", "GET")],
                sts
            ),
            Route::Direct
        );
    }
}
