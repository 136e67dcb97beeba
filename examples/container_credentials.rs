//! A client of `awsmfa exec --server`, as an AWS SDK's container provider
//! is: fetches `AWS_CONTAINER_CREDENTIALS_FULL_URI` with the token of
//! `AWS_CONTAINER_AUTHORIZATION_TOKEN` and prints the access key id it was
//! served. The Windows tests run it as the command (a Windows child).

use std::io::{Read, Write};

fn main() {
    let url = std::env::var("AWS_CONTAINER_CREDENTIALS_FULL_URI").expect("no endpoint");
    let token = std::env::var("AWS_CONTAINER_AUTHORIZATION_TOKEN").expect("no token");
    let rest = url.strip_prefix("http://").expect("an http URL");
    let (host, path) = rest.split_at(rest.find('/').unwrap_or(rest.len()));
    let mut stream = std::net::TcpStream::connect(host).expect("connect");
    write!(
        stream,
        "GET {path} HTTP/1.1\r\nHost: {host}\r\nAuthorization: {token}\r\nConnection: close\r\n\r\n"
    )
    .expect("send");
    let mut answer = String::new();
    stream.read_to_string(&mut answer).expect("read");
    let body = answer.split("\r\n\r\n").nth(1).unwrap_or("");
    let key = body
        .split("\"AccessKeyId\"")
        .nth(1)
        .and_then(|rest| rest.split('"').nth(1))
        .unwrap_or_else(|| panic!("no AccessKeyId in: {answer}"));
    println!("{key}");
}
