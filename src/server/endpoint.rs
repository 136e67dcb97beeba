//! The loopback credentials endpoint: the container credentials protocol
//! every AWS SDK speaks (`AWS_CONTAINER_CREDENTIALS_FULL_URI` with
//! `AWS_CONTAINER_AUTHORIZATION_TOKEN`), answering only the child's SDK.

use super::Current;
use crate::error::{Error, Result};
use bytes::Bytes;
use http_body_util::Full;
use hyper::header::{AUTHORIZATION, CACHE_CONTROL, CONTENT_TYPE, HOST};
use hyper::{Request, Response, StatusCode};
use std::convert::Infallible;
use std::net::{Ipv4Addr, SocketAddr, TcpListener};
use std::time::{Duration, SystemTime};

/// The one path that serves credentials.
const PATH: &str = "/awsmfa/credentials";
/// A connection that has not sent its request headers by then is dropped
/// (an SDK sends them as soon as it connects).
const HEADER_TIMEOUT: Duration = Duration::from_secs(3);
/// The most connections held open at once; past it, a new connection
/// pushes out the oldest, so a flood from another local user can neither
/// use up the descriptors nor keep the child waiting.
const MAX_CONNECTIONS: usize = 256;

/// A bound endpoint: its address and the token a request must carry.
pub struct Listener {
    listener: TcpListener,
    address: SocketAddr,
    token: String,
}

impl Listener {
    /// Binds 127.0.0.1 on a port the kernel picks, with a new random token.
    pub fn bind() -> Result<Listener> {
        let failed = |what: &str, e: &dyn std::fmt::Display| {
            Error::Server(format!(
                "cannot start the credentials endpoint: {what}: {e}"
            ))
        };
        let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0))
            .map_err(|e| failed("binding 127.0.0.1", &crate::io_reason(&e)))?;
        let address = listener
            .local_addr()
            .map_err(|e| failed("reading its address", &crate::io_reason(&e)))?;
        listener
            .set_nonblocking(true)
            .map_err(|e| failed("setting it up", &crate::io_reason(&e)))?;
        let mut random = [0u8; 32];
        getrandom::fill(&mut random).map_err(|e| failed("no random numbers", &e))?;
        let token = random.iter().map(|b| format!("{b:02x}")).collect();
        Ok(Listener {
            listener,
            address,
            token,
        })
    }

    /// What the child's SDK is told to fetch.
    pub fn url(&self) -> String {
        format!("http://{}{PATH}", self.address)
    }

    pub fn token(&self) -> &str {
        &self.token
    }

    /// Serves on `runtime` until the process ends.
    pub fn serve(self, runtime: tokio::runtime::Runtime, current: Current) -> Result<()> {
        let listener = {
            let _inside = runtime.enter();
            tokio::net::TcpListener::from_std(self.listener).map_err(|e| {
                Error::Server(format!(
                    "cannot start the credentials endpoint: {}",
                    crate::io_reason(&e)
                ))
            })?
        };
        let token = self.token;
        let port = self.address.port();
        // Room for MAX_CONNECTIONS and more, whatever the soft limit was.
        crate::sys::raise_open_files_limit();
        std::thread::spawn(move || {
            runtime.block_on(async move {
                let mut open = std::collections::VecDeque::new();
                loop {
                    let Ok((stream, _)) = listener.accept().await else {
                        // Out of file descriptors, say: let the child retry.
                        tokio::time::sleep(Duration::from_millis(50)).await;
                        continue;
                    };
                    open.retain(|task: &tokio::task::AbortHandle| !task.is_finished());
                    if open.len() >= MAX_CONNECTIONS
                        && let Some(oldest) = open.pop_front()
                    {
                        oldest.abort();
                    }
                    let (current, token) = (current.clone(), token.clone());
                    let task = tokio::spawn(async move {
                        let service = hyper::service::service_fn(move |request| {
                            let response =
                                answer(&request, &token, port, &current, SystemTime::now());
                            async move { Ok::<_, Infallible>(response) }
                        });
                        let _ = hyper::server::conn::http1::Builder::new()
                            .timer(hyper_util::rt::TokioTimer::new())
                            .header_read_timeout(HEADER_TIMEOUT)
                            .serve_connection(hyper_util::rt::TokioIo::new(stream), service)
                            .await;
                    });
                    open.push_back(task.abort_handle());
                    // Let the connection read its request before the next
                    // accept: under a flood of new connections, the child's
                    // would otherwise be pushed out before it is heard.
                    tokio::task::yield_now().await;
                }
            });
        });
        Ok(())
    }
}

/// The answer to one request: credentials only for the exact token, a
/// loopback `Host` with the endpoint's own `port`, and the path in origin
/// form; 403 (404 for another path) otherwise.
fn answer<B>(
    request: &Request<B>,
    token: &str,
    port: u16,
    current: &Current,
    now: SystemTime,
) -> Response<Full<Bytes>> {
    let header = |name| {
        request
            .headers()
            .get(name)
            .map(|value: &hyper::header::HeaderValue| value.as_bytes())
    };
    if !header(HOST).is_some_and(|host| is_loopback_host(host, port)) {
        return refuse(
            StatusCode::FORBIDDEN,
            "AccessDenied",
            "the Host must be a loopback address with this endpoint's port",
        );
    }
    // `GET http://elsewhere/… HTTP/1.1`: a proxy's request, never an SDK's.
    if request.uri().scheme().is_some() || request.uri().authority().is_some() {
        return refuse(
            StatusCode::FORBIDDEN,
            "AccessDenied",
            "only a path is served",
        );
    }
    if !header(AUTHORIZATION).is_some_and(|given| same_secret(given, token.as_bytes())) {
        return refuse(
            StatusCode::FORBIDDEN,
            "AccessDenied",
            "wrong or missing authorization token",
        );
    }
    if request.uri().path() != PATH {
        return refuse(StatusCode::NOT_FOUND, "NotFound", "no such path");
    }
    if request.method() != hyper::Method::GET {
        return refuse(StatusCode::FORBIDDEN, "AccessDenied", "only GET is served");
    }
    let (credentials, ended) = {
        let served = current
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        (served.credentials.clone(), served.ended.clone())
    };
    if credentials.seconds_left(now) <= 0 {
        return match ended {
            // Nothing will come: a 4xx, which the SDKs do not retry (a 5xx
            // they do: terraform's provider for minutes), so the command
            // fails at once with the reason. Its code is none that an SDK
            // retries (throttling, timeouts) or reads as "expired token".
            Some(why) => refuse(StatusCode::FORBIDDEN, ENDED, &why),
            None => refuse(
                StatusCode::SERVICE_UNAVAILABLE,
                "ServiceUnavailable",
                "awsmfa is getting new credentials: try again shortly",
            ),
        };
    }
    let body = serde_json::json!({
        "AccessKeyId": credentials.access_key_id,
        "SecretAccessKey": credentials.secret_access_key.expose(),
        "Token": credentials.session_token.expose(),
        "Expiration": credentials.expiration(),
    });
    respond(StatusCode::OK, body.to_string())
}

/// The error code of the answer once no credentials will come.
const ENDED: &str = "AwsmfaCredentialsEnded";

/// A refusal, after which the connection is closed: nobody but the child
/// keeps one open with requests. The body is the error shape the SDKs read
/// (`Code`, `Message`; Go's reads the keys in any case, JavaScript's these).
fn refuse(status: StatusCode, code: &str, message: &str) -> Response<Full<Bytes>> {
    let mut response = respond(
        status,
        serde_json::json!({ "Code": code, "Message": message }).to_string(),
    );
    response.headers_mut().insert(
        hyper::header::CONNECTION,
        hyper::header::HeaderValue::from_static("close"),
    );
    response
}

fn respond(status: StatusCode, body: String) -> Response<Full<Bytes>> {
    let mut response = Response::new(Full::new(Bytes::from(body)));
    *response.status_mut() = status;
    let headers = response.headers_mut();
    headers.insert(CONTENT_TYPE, "application/json".parse().expect("valid"));
    headers.insert(CACHE_CONTROL, "no-store".parse().expect("valid"));
    response
}

/// `127.0.0.1`, `localhost` or `[::1]`, with this endpoint's `port` and
/// nothing else: a name that resolved elsewhere (DNS rebinding) is refused,
/// and so is `127.0.0.1:evil.example` or another port.
fn is_loopback_host(host: &[u8], port: u16) -> bool {
    let Ok(host) = std::str::from_utf8(host) else {
        return false;
    };
    let (name, given_port) = match host.strip_prefix('[') {
        Some(rest) => match rest.split_once("]:") {
            Some((name, given_port)) => (name, given_port),
            None => return false,
        },
        None => match host.split_once(':') {
            Some((name, given_port)) => (name, given_port),
            None => return false,
        },
    };
    matches!(
        name.to_ascii_lowercase().as_str(),
        "127.0.0.1" | "localhost" | "::1"
    ) && given_port == port.to_string()
}

/// Compares in time that depends only on the lengths, never on where the
/// first difference is.
fn same_secret(given: &[u8], expected: &[u8]) -> bool {
    if given.len() != expected.len() {
        return false;
    }
    let difference = given
        .iter()
        .zip(expected)
        .fold(0u8, |acc, (a, b)| acc | (a ^ b));
    std::hint::black_box(difference) == 0
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::secret::Secret;
    use crate::session::Credentials;
    use std::sync::{Arc, Mutex};
    use std::time::UNIX_EPOCH;

    const TOKEN: &str = "0123456789abcdef0123456789abcdef";

    fn current(expires_at: u64) -> Current {
        Arc::new(Mutex::new(super::super::Served {
            credentials: Credentials {
                access_key_id: "ASIATEMP".into(),
                secret_access_key: Secret::new("tempsecret"),
                session_token: Secret::new("token"),
                expires_at,
            },
            ended: None,
        }))
    }

    fn get(path: &str, host: Option<&str>, token: Option<&str>) -> Request<()> {
        let mut request = Request::get(path);
        if let Some(host) = host {
            request = request.header(HOST, host);
        }
        if let Some(token) = token {
            request = request.header(AUTHORIZATION, token);
        }
        request.body(()).expect("request")
    }

    fn status(request: &Request<()>, expires_at: u64) -> u16 {
        let now = UNIX_EPOCH + Duration::from_secs(1_000);
        answer(request, TOKEN, 4321, &current(expires_at), now)
            .status()
            .as_u16()
    }

    #[test]
    fn serves_only_the_exact_token_on_a_loopback_host() {
        let ok = get(PATH, Some("127.0.0.1:4321"), Some(TOKEN));
        assert_eq!(status(&ok, 5_000), 200);
        assert_eq!(
            status(&get(PATH, Some("LocalHost:4321"), Some(TOKEN)), 5_000),
            200
        );
        assert_eq!(
            status(&get(PATH, Some("[::1]:4321"), Some(TOKEN)), 5_000),
            200
        );
        let absolute = format!("http://evil.example:4321{PATH}");
        for refused in [
            get(PATH, Some("127.0.0.1:4321"), None),
            get(PATH, Some("127.0.0.1:4321"), Some(&TOKEN[1..])),
            get(PATH, Some("127.0.0.1:4321"), Some(&TOKEN.replace('0', "1"))),
            get(PATH, Some("evil.example:4321"), Some(TOKEN)),
            get(PATH, Some("127.0.0.1.evil.example"), Some(TOKEN)),
            get(PATH, Some("[::1]x"), Some(TOKEN)),
            get(PATH, None, Some(TOKEN)),
            // The port is this endpoint's, and nothing else.
            get(PATH, Some("127.0.0.1:evil.example"), Some(TOKEN)),
            get(PATH, Some("127.0.0.1:4322"), Some(TOKEN)),
            get(PATH, Some("localhost"), Some(TOKEN)),
            get(PATH, Some("[::1]:80"), Some(TOKEN)),
            get(PATH, Some("127.0.0.1:4321:4321"), Some(TOKEN)),
            // A request in absolute form names another host.
            get(&absolute, Some("127.0.0.1:4321"), Some(TOKEN)),
        ] {
            assert_eq!(status(&refused, 5_000), 403, "{:?}", refused.headers());
        }
        let elsewhere = get("/other", Some("127.0.0.1:4321"), Some(TOKEN));
        assert_eq!(status(&elsewhere, 5_000), 404);
        assert_eq!(
            status(&ok, 1_000),
            503,
            "expired credentials are not served"
        );
    }

    #[test]
    fn once_nothing_will_come_the_answer_is_one_the_sdks_do_not_retry() {
        let ok = get(PATH, Some("127.0.0.1:4321"), Some(TOKEN));
        let now = UNIX_EPOCH + Duration::from_secs(1_000);
        let why = "awsmfa: no credentials for profile 'p' since then: no new code was given";
        let ending = current(1_000);
        // Still valid: served, reason or not.
        ending.lock().unwrap().ended = Some(why.into());
        let early = UNIX_EPOCH + Duration::from_secs(999);
        assert_eq!(answer(&ok, TOKEN, 4321, &ending, early).status(), 200);
        let response = answer(&ok, TOKEN, 4321, &ending, now);
        assert_eq!(response.status(), 403);
        let body = response.into_body();
        let body = body_bytes(body);
        let json: serde_json::Value = serde_json::from_slice(&body).unwrap();
        assert_eq!(json["Code"], ENDED);
        assert_eq!(json["Message"], why);
        // Only being refreshed: a 503, which the SDKs retry.
        let refreshing = answer(&ok, TOKEN, 4321, &current(1_000), now);
        assert_eq!(refreshing.status(), 503);
    }

    /// The bytes of a full body, which is ready at once.
    fn body_bytes(body: Full<Bytes>) -> Bytes {
        use http_body_util::BodyExt;
        tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap()
            .block_on(body.collect())
            .unwrap()
            .to_bytes()
    }

    #[test]
    fn constant_time_comparison_is_still_a_comparison() {
        assert!(same_secret(b"abc", b"abc"));
        assert!(!same_secret(b"abc", b"abd"));
        assert!(!same_secret(b"abc", b"abcd"));
        assert!(!same_secret(b"", b"a"));
    }
}
