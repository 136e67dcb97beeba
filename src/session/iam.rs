//! The IAM calls awsmfa makes, in IAM's query protocol: a form POST, signed
//! with SigV4 by the SDK's own signer (`aws-sigv4`), sent over the SDK's
//! HTTP client, answered in XML. `rotate`'s three (ListAccessKeys,
//! CreateAccessKey, DeleteAccessKey) on the MFA session; ListMFADevices,
//! which finds the user's MFA device, on the long-term key (IAM lets a user
//! list their own devices without MFA). A generated IAM client for four
//! calls would add minutes to a clean build and megabytes to `awsmfa-full`
//! (BENCHMARKS.md); the front never reaches this file.

use super::Credentials;
use super::sts::{Answer, Network, send};
use crate::error::{Error, Result};
use crate::profile::LongTermKeys;
use crate::secret::Secret;
use aws_smithy_runtime_api::client::orchestrator::HttpRequest;
use aws_smithy_types::body::SdkBody;
use std::time::{Duration, SystemTime};

/// How long one IAM call may take.
const CALL_TIMEOUT: Duration = Duration::from_secs(20);
/// Tries of a call IAM refuses as too many, and the first pause between
/// them (doubled each time), as the STS client retries.
const ATTEMPTS: u32 = 4;
const FIRST_PAUSE: Duration = Duration::from_millis(250);
/// IAM's codes for too many calls: the call was not made, so sending it
/// again is safe even for CreateAccessKey.
const THROTTLED: [&str; 3] = ["Throttling", "ThrottlingException", "RequestLimitExceeded"];

/// Where IAM is, and the keys its calls are signed with.
pub struct Iam<'a> {
    url: String,
    region: &'static str,
    keys: Keys<'a>,
    /// The proxies and CA bundle every HTTPS call goes through.
    network: &'a Network,
}

/// What IAM calls are signed with: the MFA session, or the long-term key.
struct Keys<'a> {
    access_key_id: &'a str,
    secret_access_key: &'a Secret,
    session_token: Option<&'a Secret>,
}

/// One of the user's MFA devices, as ListMFADevices shows it.
#[derive(Clone, Debug, PartialEq)]
pub struct Device {
    pub serial: String,
    pub user: String,
}

/// What kind of device a serial is: IAM names FIDO security keys and
/// passkeys `arn:…:u2f/…`, virtual devices `arn:…:mfa/…`, and hardware
/// TOTP tokens by their serial number.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum DeviceKind {
    Virtual,
    Hardware,
    Fido,
}

impl Device {
    pub fn kind(&self) -> DeviceKind {
        if self.serial.contains(":u2f/") {
            DeviceKind::Fido
        } else if self.serial.starts_with("arn:") {
            DeviceKind::Virtual
        } else {
            DeviceKind::Hardware
        }
    }

    /// Whether STS can take its codes (TOTP): not a FIDO key's.
    pub fn gives_codes(&self) -> bool {
        self.kind() != DeviceKind::Fido
    }

    /// `a virtual device of user alice`.
    pub fn describe(&self) -> String {
        let kind = match self.kind() {
            DeviceKind::Virtual => "a virtual device",
            DeviceKind::Hardware => "a hardware TOTP token",
            DeviceKind::Fido => "a FIDO security key",
        };
        format!("{kind} of user {}", self.user)
    }
}

/// The partition a region is in, for IAM's global endpoint, as an ARN
/// prefix (`arn:aws-cn:`), when there is no ARN yet to take it from.
pub fn partition_arn(region: Option<&str>) -> &'static str {
    match region {
        Some(r) if r.starts_with("cn-") => "arn:aws-cn:",
        Some(r) if r.starts_with("us-gov-") => "arn:aws-us-gov:",
        _ => "arn:aws:",
    }
}

/// One of the user's access keys, as ListAccessKeys shows it.
pub struct KeyInfo {
    pub id: String,
    pub status: String,
    pub created: String,
}

/// IAM's URL and signing region: `url` (`AWS_ENDPOINT_URL_IAM`,
/// `AWS_ENDPOINT_URL`), else the global endpoint of the partition `arn` is in.
pub fn endpoint(url: Option<&str>, arn: &str) -> (String, &'static str) {
    let partition = arn.split(':').nth(1).unwrap_or("aws");
    let (default, region) = match partition {
        "aws-cn" => ("https://iam.cn-north-1.amazonaws.com.cn", "cn-north-1"),
        "aws-us-gov" => ("https://iam.us-gov.amazonaws.com", "us-gov-west-1"),
        _ => ("https://iam.amazonaws.com", "us-east-1"),
    };
    (url.unwrap_or(default).to_owned(), region)
}

impl<'a> Iam<'a> {
    /// IAM at `url` (`AWS_ENDPOINT_URL_IAM`, `AWS_ENDPOINT_URL`), else the
    /// global endpoint of the partition `arn` is in, signed with the MFA session.
    pub fn new(
        url: Option<String>,
        arn: &str,
        session: &'a Credentials,
        network: &'a Network,
    ) -> Iam<'a> {
        let keys = Keys {
            access_key_id: &session.access_key_id,
            secret_access_key: &session.secret_access_key,
            session_token: Some(&session.session_token),
        };
        Iam::signed_with(url, arn, keys, network)
    }

    /// IAM signed with the user's long-term key, for the calls IAM allows
    /// without MFA (ListMFADevices); `arn` gives the partition.
    pub fn with_long_term_key(
        url: Option<String>,
        arn: &str,
        keys: &'a LongTermKeys,
        network: &'a Network,
    ) -> Iam<'a> {
        let keys = Keys {
            access_key_id: &keys.access_key_id,
            secret_access_key: &keys.secret_access_key,
            session_token: None,
        };
        Iam::signed_with(url, arn, keys, network)
    }

    fn signed_with(
        url: Option<String>,
        arn: &str,
        keys: Keys<'a>,
        network: &'a Network,
    ) -> Iam<'a> {
        let (url, region) = endpoint(url.as_deref(), arn);
        Iam {
            url,
            region,
            keys,
            network,
        }
    }

    /// The caller's own MFA devices (no `UserName`: IAM lists the user
    /// whose key signs).
    pub fn list_mfa_devices(&self) -> Result<Vec<Device>> {
        let xml = self.call("ListMFADevices", &[])?;
        let users = values(&xml, "UserName");
        let serials = values(&xml, "SerialNumber");
        Ok(serials
            .into_iter()
            .zip(users)
            .filter(|(serial, _)| plausible(serial))
            .map(|(serial, user)| Device { serial, user })
            .collect())
    }

    pub fn describe(&self) -> &str {
        &self.url
    }

    /// The access keys of the session's user.
    pub fn list_access_keys(&self) -> Result<Vec<KeyInfo>> {
        let xml = self.call("ListAccessKeys", &[])?;
        let ids = values(&xml, "AccessKeyId");
        let statuses = values(&xml, "Status");
        let created = values(&xml, "CreateDate");
        Ok(ids
            .into_iter()
            .enumerate()
            .map(|(i, id)| KeyInfo {
                id,
                status: statuses.get(i).cloned().unwrap_or_default(),
                created: created.get(i).cloned().unwrap_or_default(),
            })
            .collect())
    }

    /// A new access key for the session's user.
    pub fn create_access_key(&self) -> Result<LongTermKeys> {
        let xml = self.call("CreateAccessKey", &[])?;
        let id = values(&xml, "AccessKeyId").into_iter().next();
        let secret = values(&xml, "SecretAccessKey").into_iter().next();
        match (id, secret) {
            (Some(id), Some(secret)) if plausible(&id) && plausible(&secret) => Ok(LongTermKeys {
                access_key_id: id,
                secret_access_key: Secret::new(secret),
            }),
            _ => Err(Error::Sts(format!(
                "IAM CreateAccessKey at {} answered without a usable key",
                self.url
            ))),
        }
    }

    pub fn delete_access_key(&self, id: &str) -> Result<()> {
        self.call("DeleteAccessKey", &[("AccessKeyId", id)])
            .map(drop)
    }

    /// One call, tried again after a pause while IAM says too many: its
    /// answer's XML, or an error in IAM's words.
    fn call(&self, action: &str, params: &[(&str, &str)]) -> Result<String> {
        let mut pause = FIRST_PAUSE;
        let mut attempt = 1;
        loop {
            match self.attempt(action, params)? {
                Ok(text) => return Ok(text),
                Err((Some(code), _))
                    if attempt < ATTEMPTS && THROTTLED.contains(&code.as_str()) =>
                {
                    std::thread::sleep(pause);
                    pause *= 2;
                    attempt += 1;
                }
                Err((_, error)) => return Err(error),
            }
        }
    }

    /// One try: the answer's XML, or IAM's error code and the error.
    fn attempt(
        &self,
        action: &str,
        params: &[(&str, &str)],
    ) -> Result<std::result::Result<String, (Option<String>, Error)>> {
        let mut form = format!("Action={action}&Version=2010-05-08");
        for (name, value) in params {
            form.push_str(&format!("&{name}={}", encode(value)));
        }
        let url = format!("{}/", self.url.trim_end_matches('/'));
        let request = self.signed(&url, &form).map_err(|why| {
            Error::Sts(format!("cannot sign IAM {action} for {}: {why}", self.url))
        })?;
        let what = format!("IAM at {}", self.url);
        let Answer { status, body, .. } =
            send(self.network, request, &what, CALL_TIMEOUT, Error::Sts)?;
        let text = String::from_utf8_lossy(&body).into_owned();
        if status == 200 {
            return Ok(Ok(text));
        }
        let scrub = |s: String| {
            let mut s = s.replace(self.keys.secret_access_key.expose(), "***");
            if let Some(token) = self.keys.session_token {
                s = s.replace(token.expose(), "***");
            }
            crate::one_line(&s, 300)
        };
        let code = values(&text, "Code").into_iter().next().map(scrub);
        let message = values(&text, "Message").into_iter().next().map(scrub);
        let what = match (&code, message) {
            (Some(code), Some(message)) => format!("{code}: {message}"),
            (Some(code), None) => code.clone(),
            _ => format!("HTTP {status}"),
        };
        Ok(Err((
            code,
            Error::Sts(format!("IAM {action} at {} failed: {what}", self.url)),
        )))
    }

    fn signed(&self, url: &str, form: &str) -> std::result::Result<HttpRequest, String> {
        use aws_sigv4::http_request::{SignableBody, SignableRequest, SigningSettings, sign};
        use aws_sigv4::sign::v4;
        let content_type = "application/x-www-form-urlencoded; charset=utf-8";
        let identity = aws_credential_types::Credentials::new(
            self.keys.access_key_id,
            self.keys.secret_access_key.expose(),
            self.keys
                .session_token
                .map(|token| token.expose().to_owned()),
            None,
            "awsmfa",
        )
        .into();
        let params = v4::SigningParams::builder()
            .identity(&identity)
            .region(self.region)
            .name("iam")
            .time(SystemTime::now())
            .settings(SigningSettings::default())
            .build()
            .map_err(|e| e.to_string())?
            .into();
        let headers = [("content-type", content_type)];
        let signable = SignableRequest::new(
            "POST",
            url,
            headers.into_iter(),
            SignableBody::Bytes(form.as_bytes()),
        )
        .map_err(|e| e.to_string())?;
        let (instructions, _) = sign(signable, &params)
            .map_err(|e| e.to_string())?
            .into_parts();
        let mut request = HttpRequest::new(SdkBody::from(form.to_owned()));
        request.set_method("POST").map_err(|e| e.to_string())?;
        request
            .set_uri(url)
            .map_err(|_| "the URL is not valid".to_owned())?;
        request.headers_mut().insert("content-type", content_type);
        for (name, value) in instructions.headers() {
            request
                .headers_mut()
                .insert(name.to_owned(), value.to_owned());
        }
        Ok(request)
    }
}

fn plausible(value: &str) -> bool {
    !value.is_empty() && value.len() <= 256 && value.bytes().all(|b| b.is_ascii_graphic())
}

/// The text of every `<tag>…</tag>` in `xml`, in order, unescaped. IAM's
/// answers are flat enough that this is their whole reading.
fn values(xml: &str, tag: &str) -> Vec<String> {
    let (open, close) = (format!("<{tag}>"), format!("</{tag}>"));
    let mut found = Vec::new();
    let mut rest = xml;
    while let Some(start) = rest.find(&open) {
        let after = &rest[start + open.len()..];
        let Some(end) = after.find(&close) else { break };
        found.push(unescape(after[..end].trim()));
        rest = &after[end + close.len()..];
    }
    found
}

fn unescape(text: &str) -> String {
    text.replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&apos;", "'")
        .replace("&amp;", "&")
}

/// A form value, percent-encoded.
fn encode(value: &str) -> String {
    value
        .bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                char::from(b).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn answers_are_read_tag_by_tag() {
        let xml = "<ListAccessKeysResponse><ListAccessKeysResult><AccessKeyMetadata>\
            <member><AccessKeyId>AKIA1</AccessKeyId><Status>Active</Status></member>\
            <member><AccessKeyId>AKIA2</AccessKeyId><Status>Inactive</Status></member>\
            </AccessKeyMetadata></ListAccessKeysResult></ListAccessKeysResponse>";
        assert_eq!(values(xml, "AccessKeyId"), ["AKIA1", "AKIA2"]);
        assert_eq!(values(xml, "Status"), ["Active", "Inactive"]);
        assert_eq!(values("<a>x &amp;lt; y</a>", "a"), ["x &lt; y"]);
        assert_eq!(encode("a b/+"), "a%20b%2F%2B");
    }
}
