//! TLS for the stand-ins: a private CA made for the test (nothing on this
//! machine trusts it) and a server certificate it signs for 127.0.0.1 and
//! localhost, served with rustls.
#![allow(dead_code)]

use std::net::TcpStream;
use std::path::Path;
use std::sync::Arc;

pub struct Tls {
    /// The CA's certificate, PEM: what AWS_CA_BUNDLE names.
    pub ca_pem: String,
    config: Arc<rustls::ServerConfig>,
}

/// Makes TLS connections of a listener's streams.
#[derive(Clone)]
pub struct Acceptor(Arc<rustls::ServerConfig>);

impl Tls {
    /// A fresh CA, and a certificate it signs for loopback.
    pub fn new() -> Tls {
        use rcgen::{
            BasicConstraints, CertificateParams, DnType, IsCa, Issuer, KeyPair, KeyUsagePurpose,
        };
        let ca_key = KeyPair::generate().expect("CA key");
        let mut ca = CertificateParams::new(Vec::<String>::new()).expect("CA parameters");
        ca.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        ca.distinguished_name
            .push(DnType::CommonName, "awsmfa test CA");
        ca.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
        let ca_cert = ca.self_signed(&ca_key).expect("CA certificate");
        let issuer = Issuer::new(ca, ca_key);
        let key = KeyPair::generate().expect("server key");
        let server = CertificateParams::new(vec!["127.0.0.1".to_owned(), "localhost".to_owned()])
            .expect("server parameters")
            .signed_by(&key, &issuer)
            .expect("server certificate");
        let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
        let config = rustls::ServerConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .expect("protocol versions")
            .with_no_client_auth()
            .with_single_cert(
                vec![server.der().clone(), ca_cert.der().clone()],
                rustls::pki_types::PrivateKeyDer::Pkcs8(key.serialize_der().into()),
            )
            .expect("server configuration");
        Tls {
            ca_pem: ca_cert.pem(),
            config: Arc::new(config),
        }
    }

    /// Writes the CA's certificate to `path`: a CA bundle.
    pub fn write_ca(&self, path: &Path) {
        std::fs::write(path, &self.ca_pem).expect("write the CA bundle");
    }

    pub fn acceptor(&self) -> Acceptor {
        Acceptor(Arc::clone(&self.config))
    }
}

impl super::sts::Sts {
    /// The STS stand-in over TLS with `tls`'s certificate:
    /// `https://127.0.0.1:PORT`.
    pub fn start_tls(tls: &Tls) -> super::sts::Sts {
        let acceptor = tls.acceptor();
        super::sts::Sts::start_wrapped(
            "https",
            Some(Arc::new(move |stream| Box::new(acceptor.accept(stream)))),
        )
    }
}

impl Acceptor {
    /// `stream` as the server's side of a TLS connection: the handshake
    /// happens on the first read.
    pub fn accept(
        &self,
        stream: TcpStream,
    ) -> rustls::StreamOwned<rustls::ServerConnection, TcpStream> {
        let connection =
            rustls::ServerConnection::new(Arc::clone(&self.0)).expect("TLS server connection");
        rustls::StreamOwned::new(connection, stream)
    }
}
