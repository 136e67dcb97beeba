//! A loopback stand-in for the console's federation endpoint: `GET
//! /federation?Action=getSigninToken&Session=…` answers a sign-in token for
//! credentials the STS stand-in issued, and records who asked.
#![allow(dead_code)]

use super::sts::{Sts, form};
use std::io::{BufRead, BufReader, Write};
use std::net::TcpListener;
use std::sync::{Arc, Mutex};

/// One getSigninToken request as the stand-in judged it.
#[derive(Clone, Debug)]
pub struct TokenRequest {
    /// The ARN of the credentials in `Session`, if STS knows them.
    pub arn: Option<String>,
    pub temporary: bool,
    pub session_duration: Option<String>,
    /// The token answered, if any.
    pub token: Option<String>,
}

#[derive(Clone)]
pub struct Signin {
    /// The base URL, for AWS_ENDPOINT_URL_SIGNIN.
    pub url: String,
    requests: Arc<Mutex<Vec<TokenRequest>>>,
}

impl Signin {
    pub fn start(sts: &Sts) -> Signin {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind loopback");
        let url = format!("http://{}", listener.local_addr().expect("address"));
        let requests = Arc::new(Mutex::new(Vec::new()));
        let (sts, shared) = (sts.clone(), Arc::clone(&requests));
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                let Ok(mut writer) = stream.try_clone() else {
                    continue;
                };
                let mut line = String::new();
                let mut reader = BufReader::new(stream);
                if reader.read_line(&mut line).is_err() {
                    continue;
                }
                loop {
                    let mut header = String::new();
                    if reader.read_line(&mut header).is_err() || header.trim().is_empty() {
                        break;
                    }
                }
                let target = line.split_whitespace().nth(1).unwrap_or("").to_owned();
                let (status, body) = answer(&target, &sts, &shared);
                let _ = write!(
                    writer,
                    "HTTP/1.1 {status} X\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                    body.len()
                );
            }
        });
        Signin { url, requests }
    }

    pub fn requests(&self) -> Vec<TokenRequest> {
        self.requests.lock().unwrap().clone()
    }
}

fn answer(target: &str, sts: &Sts, requests: &Mutex<Vec<TokenRequest>>) -> (u16, String) {
    let Some(query) = target.strip_prefix("/federation?") else {
        return (404, "{}".into());
    };
    let params = form(query);
    if params.get("Action").map(String::as_str) != Some("getSigninToken") {
        return (400, "{}".into());
    }
    let session: serde_json::Value =
        serde_json::from_str(params.get("Session").map(String::as_str).unwrap_or(""))
            .unwrap_or_default();
    let field = |name: &str| session[name].as_str().map(str::to_owned);
    let identity = match (field("sessionId"), field("sessionKey")) {
        (Some(key), Some(secret)) => sts.identify(&key, &secret, field("sessionToken").as_deref()),
        _ => None,
    };
    let mut requests = requests.lock().unwrap();
    let token = identity
        .as_ref()
        .filter(|(_, temporary)| *temporary)
        .map(|_| format!("SigninToken{}x", requests.len() + 1));
    requests.push(TokenRequest {
        arn: identity.as_ref().map(|(arn, _)| arn.clone()),
        temporary: identity.as_ref().is_some_and(|(_, t)| *t),
        session_duration: params.get("SessionDuration").cloned(),
        token: token.clone(),
    });
    match token {
        Some(token) => (200, serde_json::json!({ "SigninToken": token }).to_string()),
        None => (400, "{\"message\":\"invalid session\"}".into()),
    }
}
