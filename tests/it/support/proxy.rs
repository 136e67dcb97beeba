//! A forward proxy on loopback, as a corporate network has one: `CONNECT
//! host:port` opens a tunnel (HTTPS), `GET http://host/…` is forwarded
//! (plain HTTP), one request per connection. It records what it was asked
//! for: targets only, never a path or query (a sign-in request carries
//! credentials in its query).
#![allow(dead_code)]

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::sync::{Arc, Mutex};

/// One request as the proxy saw it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Visit {
    /// `CONNECT`, or the method of a forwarded request.
    pub method: String,
    /// `host:port`.
    pub target: String,
    /// Whether it came with a Proxy-Authorization header.
    pub authorized: bool,
}

#[derive(Clone)]
pub struct Proxy {
    /// `http://127.0.0.1:PORT`.
    pub url: String,
    pub port: u16,
    visits: Arc<Mutex<Vec<Visit>>>,
}

impl Proxy {
    pub fn start() -> Proxy {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind loopback");
        let port = listener.local_addr().expect("address").port();
        let visits = Arc::new(Mutex::new(Vec::new()));
        let shared = Arc::clone(&visits);
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                let visits = Arc::clone(&shared);
                std::thread::spawn(move || serve(stream, &visits));
            }
        });
        Proxy {
            url: format!("http://127.0.0.1:{port}"),
            port,
            visits,
        }
    }

    pub fn visits(&self) -> Vec<Visit> {
        self.visits.lock().unwrap().clone()
    }

    /// The CONNECTs (tunnels) asked for.
    pub fn connects(&self) -> Vec<Visit> {
        self.visits()
            .into_iter()
            .filter(|v| v.method == "CONNECT")
            .collect()
    }
}

fn serve(client: TcpStream, visits: &Mutex<Vec<Visit>>) {
    let Ok(mut writer) = client.try_clone() else {
        return;
    };
    let mut reader = BufReader::new(client);
    let mut line = String::new();
    if reader.read_line(&mut line).is_err() {
        return;
    }
    let mut headers = Vec::new();
    loop {
        let mut header = String::new();
        if reader.read_line(&mut header).is_err() {
            return;
        }
        if header.trim().is_empty() {
            break;
        }
        headers.push(header);
    }
    let authorized = headers
        .iter()
        .any(|h| h.to_ascii_lowercase().starts_with("proxy-authorization:"));
    let mut words = line.split_whitespace();
    let (Some(method), Some(target)) = (words.next(), words.next()) else {
        return;
    };
    let (method, target) = (method.to_owned(), target.to_owned());
    let (host, path) = if method == "CONNECT" {
        (target.clone(), String::new())
    } else {
        let rest = target.strip_prefix("http://").unwrap_or(&target);
        let (host, path) = rest.split_at(rest.find('/').unwrap_or(rest.len()));
        (
            host.to_owned(),
            if path.is_empty() {
                "/".into()
            } else {
                path.to_owned()
            },
        )
    };
    visits.lock().unwrap().push(Visit {
        method: method.clone(),
        target: host.clone(),
        authorized,
    });
    let Ok(mut upstream) = TcpStream::connect(&host) else {
        let _ = writer.write_all(b"HTTP/1.1 502 Bad Gateway\r\nContent-Length: 0\r\n\r\n");
        return;
    };
    if method == "CONNECT" {
        if writer
            .write_all(b"HTTP/1.1 200 Connection established\r\n\r\n")
            .is_err()
        {
            return;
        }
    } else {
        // The request in origin form, its headers but the proxy's own.
        let mut head = format!("{method} {path} HTTP/1.1\r\n");
        for header in headers
            .iter()
            .filter(|h| !h.to_ascii_lowercase().starts_with("proxy-"))
        {
            head.push_str(header.trim_end());
            head.push_str("\r\n");
        }
        head.push_str("\r\n");
        if upstream.write_all(head.as_bytes()).is_err() {
            return;
        }
    }
    // Whatever the client sent after the head is still in `reader`.
    let buffered = reader.buffer().to_vec();
    if upstream.write_all(&buffered).is_err() {
        return;
    }
    let client = reader.into_inner();
    pipe(client, upstream);
}

/// Copies both ways until either side closes.
fn pipe(client: TcpStream, upstream: TcpStream) {
    let (Ok(mut client_in), Ok(mut upstream_out)) = (client.try_clone(), upstream.try_clone())
    else {
        return;
    };
    let up = std::thread::spawn(move || {
        let _ = std::io::copy(&mut client_in, &mut upstream_out);
        let _ = upstream_out.shutdown(Shutdown::Write);
    });
    let (mut upstream_in, mut client_out) = (upstream, client);
    let _ = std::io::copy(&mut upstream_in, &mut client_out);
    let _ = client_out.shutdown(Shutdown::Both);
    let _ = up.join();
}

/// A server that is not STS, as `python3 -m http.server` or a captive
/// portal: answers every request with `status`, `server` and
/// `content_type`, and an HTML page. Returns its URL.
pub fn not_sts(status: u16, server: &'static str, content_type: &'static str) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind loopback");
    let url = format!("http://{}", listener.local_addr().expect("address"));
    std::thread::spawn(move || {
        for mut stream in listener.incoming().flatten() {
            let mut reader = BufReader::new(match stream.try_clone() {
                Ok(s) => s,
                Err(_) => continue,
            });
            loop {
                let mut line = String::new();
                if reader.read_line(&mut line).unwrap_or(0) == 0 || line.trim().is_empty() {
                    break;
                }
            }
            let body = "<!DOCTYPE html><html><body><h1>Directory listing</h1></body></html>";
            // With a Date, as python3 -m http.server has it.
            let date = httpdate::fmt_http_date(std::time::SystemTime::now());
            let _ = write!(
                stream,
                "HTTP/1.0 {status} X\r\nServer: {server}\r\nDate: {date}\r\n\
                 Content-Type: {content_type}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                body.len()
            );
            let _ = stream.flush();
        }
    });
    url
}
