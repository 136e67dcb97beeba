//! Corporate networks: STS (and the console's federation endpoint) reached
//! through a proxy, over TLS from a private CA that only a CA bundle
//! (AWS_CA_BUNDLE, or the profile's ca_bundle) makes trusted; and doctor,
//! which says which proxy and bundle are in use, and tells STS from
//! whatever else may answer at its address.

use crate::support::proxy::{Proxy, not_sts};
use crate::support::signin::Signin;
use crate::support::tls::Tls;
use crate::support::*;

/// A world whose STS is the stand-in over TLS, with a certificate from a
/// CA of the test's own; the CA's certificate is in `ca.pem`.
fn tls_world() -> (World, Tls) {
    let tls = Tls::new();
    let world = World::with(Sts::start_tls(&tls));
    tls.write_ca(&world.home().join("ca.pem"));
    (world, tls)
}

fn ca(world: &World) -> String {
    world.home().join("ca.pem").display().to_string()
}

/// The line of doctor's check `name`.
fn line<'a>(report: &'a str, name: &str) -> &'a str {
    report
        .lines()
        .find(|l| l.get(6..).is_some_and(|rest| rest.starts_with(name)))
        .unwrap_or_else(|| panic!("no {name} line in:\n{report}"))
}

#[test]
fn a_private_ca_is_trusted_through_aws_ca_bundle_or_the_profiles_ca_bundle() {
    let (world, _tls) = tls_world();
    assert!(world.sts.url.starts_with("https://127.0.0.1:"));

    // Not trusted by this machine: a clear certificate error, no code spent.
    let run = world.run_with_code(&["export"]);
    run.fails_with(1, "cannot reach STS at https://127.0.0.1:");
    assert!(
        run.stderr
            .contains("its TLS certificate is signed by an authority this host does not trust")
            && run.stderr.contains("AWS_CA_BUNDLE"),
        "{}",
        run.stderr
    );
    assert_eq!(world.sts.count("GetSessionToken"), 0);

    // AWS_CA_BUNDLE.
    let mut command = world.command_with_code(&["export"]);
    command.env("AWS_CA_BUNDLE", ca(&world));
    world.run_command(command).ok();
    assert_eq!(world.sts.count("GetSessionToken"), 1);

    // The profile's ca_bundle (as ~/, which is the home folder).
    world.write_config(&format!("{ALICE_CONFIG}ca_bundle = ~/ca.pem\n"));
    world.run_with_code(&["export", "--refresh"]).ok();
    assert_eq!(world.sts.count("GetSessionToken"), 2);

    // The variable wins over the profile, as with the AWS CLI: a bundle of
    // another CA is the only trust, so the call fails, naming it.
    let other = Tls::new();
    let elsewhere = world.home().join("other-ca.pem");
    other.write_ca(&elsewhere);
    let mut command = world.command_with_code(&["export", "--refresh"]);
    command.env("AWS_CA_BUNDLE", &elsewhere);
    let run = world.run_command(command);
    run.fails_with(1, "cannot reach STS at https://127.0.0.1:");
    assert!(
        run.stderr.contains(": its TLS certificate "),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr.contains(&format!(
            "only the CA bundle {} (from AWS_CA_BUNDLE) is trusted",
            world.shown(&elsewhere)
        )),
        "{}",
        run.stderr
    );
}

#[test]
fn a_bundle_that_cannot_be_used_is_one_line_naming_it_and_where_it_came_from() {
    let (world, _tls) = tls_world();
    let missing = world.home().join("no-such.pem");
    let mut command = world.command_with_code(&["export"]);
    command.env("AWS_CA_BUNDLE", &missing);
    let run = world.run_command(command);
    run.fails_with(
        1,
        &format!(
            "the CA bundle {} (from AWS_CA_BUNDLE) cannot be read",
            world.shown(&missing)
        ),
    );
    assert!(
        run.stderr
            .contains("hint: point AWS_CA_BUNDLE at a PEM file")
    );

    // As with the AWS CLI, a plain http:// endpoint takes no bundle: the
    // missing one is not read.
    let plain = World::new();
    let mut command = plain.command_with_code(&["export"]);
    command.env("AWS_CA_BUNDLE", &missing);
    plain.run_command(command).ok();

    std::fs::write(world.home().join("garbage.pem"), "not a certificate\n").unwrap();
    world.write_config(&format!("{ALICE_CONFIG}ca_bundle = ~/garbage.pem\n"));
    let run = world.run_with_code(&["export"]);
    run.fails_with(
        1,
        "(from the ca_bundle of profile 'alice') holds no certificate",
    );

    // A PEM block that is not base64: the TLS layer would panic on it.
    std::fs::write(
        world.home().join("garbage.pem"),
        "-----BEGIN CERTIFICATE-----\n!!!!\n-----END CERTIFICATE-----\n",
    )
    .unwrap();
    let run = world.run_with_code(&["exec", "--", "true"]);
    run.fails_with(125, "is not a PEM file of certificates");
    // A block that is base64 but no certificate.
    std::fs::write(
        world.home().join("garbage.pem"),
        "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n",
    )
    .unwrap();
    world
        .run_with_code(&["export"])
        .fails_with(1, "holds a certificate that cannot be parsed (number 1)");
    assert_eq!(world.sts.calls().len(), 0, "nothing reached STS");

    // doctor says it on a line of its own, and does not probe.
    let run = world.run(&["doctor"]);
    assert_eq!(run.status, 1, "{}", run.stdout);
    let network = line(&run.stdout, "network");
    assert!(
        network.starts_with("fail")
            && network
                .contains("the CA bundle ~/garbage.pem (from the ca_bundle of profile 'alice')")
            && network.contains("→ point the ca_bundle of profile 'alice' at a PEM file"),
        "{network}"
    );
}

#[test]
fn sts_calls_go_through_the_https_proxy_and_no_proxy_leaves_them_out() {
    let (world, _tls) = tls_world();
    let proxy = Proxy::start();
    let sts_port = world.sts.url.rsplit(':').next().unwrap().to_owned();
    let mut command = world.command_with_code(&["exec", "--", "true"]);
    command.env("AWS_CA_BUNDLE", ca(&world)).env(
        "HTTPS_PROXY",
        format!("http://proxyuser:proxysecret@127.0.0.1:{}", proxy.port),
    );
    world.secret("proxysecret");
    world.run_command(command).ok();
    let connects = proxy.connects();
    assert_eq!(connects.len(), 1, "{connects:?}");
    assert_eq!(connects[0].target, format!("127.0.0.1:{sts_port}"));
    assert!(connects[0].authorized, "the proxy's credentials were sent");
    assert_eq!(world.sts.count("GetSessionToken"), 1);

    // Lower case, as curl has it; NO_PROXY leaves loopback out.
    let mut command = world.command_with_code(&["exec", "--refresh", "--", "true"]);
    command
        .env("AWS_CA_BUNDLE", ca(&world))
        .env("https_proxy", &proxy.url)
        .env("NO_PROXY", "localhost,127.0.0.1");
    world.run_command(command).ok();
    assert_eq!(proxy.connects().len(), 1, "no new CONNECT");
    assert_eq!(world.sts.count("GetSessionToken"), 2);
}

#[test]
fn login_reaches_the_federation_endpoint_through_the_proxy() {
    // STS over TLS through a CONNECT tunnel; the federation stand-in over
    // plain HTTP, forwarded: both go through the proxy, as a corporate
    // network without another way out has it.
    let (world, _tls) = tls_world();
    world.write_config(&format!(
        "{ALICE_CONFIG}[profile admin]\nrole_arn = {ADMIN}\nsource_profile = alice\n"
    ));
    world.sts.add_role(ADMIN, None);
    let signin = Signin::start(&world.sts);
    let proxy = Proxy::start();
    let mut command = world.command_with_code(&["login", "--profile", "admin", "--stdout"]);
    command
        .env("AWS_ENDPOINT_URL_SIGNIN", &signin.url)
        .env("AWS_CA_BUNDLE", ca(&world))
        .env("HTTPS_PROXY", &proxy.url)
        .env("HTTP_PROXY", &proxy.url);
    let run = world.run_command(command);
    run.ok();
    assert_eq!(signin.requests().len(), 1);
    let signin_host = signin.url.trim_start_matches("http://");
    let visits = proxy.visits();
    assert!(
        visits
            .iter()
            .any(|v| v.method == "GET" && v.target == signin_host),
        "the sign-in GET went through the proxy: {visits:?}"
    );
    assert!(
        visits.iter().any(|v| v.method == "CONNECT"),
        "STS went through the proxy: {visits:?}"
    );
}

#[test]
fn doctor_names_the_proxy_without_its_credentials_and_the_bundle() {
    let (world, _tls) = tls_world();
    let proxy = Proxy::start();
    let mut command = world.command(&["doctor"]);
    command.env("AWS_CA_BUNDLE", ca(&world)).env(
        "HTTPS_PROXY",
        format!("http://proxyuser:proxysecret@127.0.0.1:{}", proxy.port),
    );
    let run = world.run_command(command);
    let network = line(&run.stdout, "network");
    assert!(
        network.starts_with("ok")
            && network.contains(&format!(
                "through the proxy http://127.0.0.1:{} (HTTPS_PROXY)",
                proxy.port
            ))
            && network.contains(
                "trusting only the CA bundle ~/ca.pem (from AWS_CA_BUNDLE, 1 certificate)"
            ),
        "{network}"
    );
    assert!(
        !run.stdout.contains("proxysecret") && !run.stdout.contains("proxyuser"),
        "{}",
        run.stdout
    );
    // The probe went through the tunnel, trusting the bundle; so did IAM's
    // listing of the user's devices (the same client, the same route).
    let sts = line(&run.stdout, "STS");
    assert!(
        sts.starts_with("ok") && sts.contains(&world.sts.url),
        "{sts}"
    );
    assert_eq!(proxy.connects().len(), 2);
    assert_eq!(world.sts.count("ListMFADevices"), 1);

    // No bundle, no proxy.
    let run = World::new().run(&["doctor"]);
    assert!(
        line(&run.stdout, "network").contains("no proxy; trusting the system's CA certificates"),
        "{}",
        run.stdout
    );

    // The profile's bundle, and no proxy.
    world.write_config(&format!("{ALICE_CONFIG}ca_bundle = ~/ca.pem\n"));
    let run = world.run(&["doctor"]);
    let network = line(&run.stdout, "network");
    assert!(
        network.starts_with("ok")
            && network.contains("no proxy; trusting only the CA bundle ~/ca.pem (from the ca_bundle of profile 'alice', 1 certificate)"),
        "{network}"
    );
    assert!(line(&run.stdout, "STS").starts_with("ok"), "{}", run.stdout);
}

#[test]
fn doctors_sts_check_is_ok_only_when_sts_answers() {
    // The stand-in answers the unsigned probe as STS does.
    let world = World::new();
    let run = world.run(&["doctor"]);
    let sts = line(&run.stdout, "STS");
    assert!(sts.starts_with("ok"), "{sts}");

    // A plain web server, as `python3 -m http.server`; a captive portal.
    for (status, server, says) in [
        (
            200,
            "SimpleHTTP/0.6 Python/3.12.3",
            "HTTP 200, Server: SimpleHTTP/0.6 Python/3.12.3, Content-Type: text/html",
        ),
        (
            511,
            "portal",
            "HTTP 511, Server: portal, Content-Type: text/html",
        ),
    ] {
        let url = not_sts(status, server, "text/html");
        let mut command = world.command(&["doctor"]);
        command.env("AWS_ENDPOINT_URL_STS", &url);
        let run = world.run_command(command);
        assert_eq!(run.status, 1, "{}", run.stdout);
        let sts = line(&run.stdout, "STS");
        assert!(
            sts.starts_with("fail")
                && sts.contains(&format!("{url} answered in"))
                && sts.contains("but it is not STS")
                && sts.contains(says)
                && sts.contains("→ something else answers there"),
            "{sts}"
        );
    }
}
