//! `exec --server`: the command runs as a child that fetches its credentials
//! from a loopback endpoint, which keeps them fresh for as long as it runs.
//! Used only with `--server`: the plain `exec` path never comes here.

mod child;
mod endpoint;
mod refresh;
mod shadow;

use crate::error::{Error, Result};
use crate::program::Program;
use crate::session::{Credentials, Setup};
use crate::sys::Ending;
use child::Supervisor;
use std::ffi::OsString;
use std::sync::{Arc, Mutex};

/// What the endpoint serves: the credentials, replaced as they are
/// refreshed, and once none will follow them, why.
pub struct Served {
    pub credentials: Credentials,
    /// Set when no code can be had for a new MFA session: after these
    /// credentials expire, the endpoint answers this (one `awsmfa: ...`
    /// line) in a way the SDKs do not retry.
    pub ended: Option<String>,
}

/// The served credentials, shared by the endpoint and the refresher.
pub type Current = Arc<Mutex<Served>>;

/// Everything local a run needs, ready before any code is asked for: a
/// folder that cannot be made or a port that cannot be bound must not cost
/// a code.
pub struct Prepared {
    endpoint: endpoint::Listener,
    runtime: tokio::runtime::Runtime,
    child_files: shadow::ChildFiles,
}

/// Binds the endpoint and writes the command's copies of the AWS files.
pub fn prepare(setup: &Setup) -> Result<Prepared> {
    let endpoint = endpoint::Listener::bind()?;
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_io()
        .enable_time()
        .build()
        .map_err(|e| {
            Error::Server(format!(
                "cannot start the credentials endpoint: {}",
                crate::io_reason(&e)
            ))
        })?;
    let child_files = shadow::ChildFiles::prepare(&setup.files, &setup.cache)?;
    Ok(Prepared {
        endpoint,
        runtime,
        child_files,
    })
}

impl Prepared {
    /// Runs `program` with the endpoint serving `credentials` (and their
    /// successors) until it ends; returns how it ended.
    pub fn run(self, program: &Program, setup: Setup, credentials: Credentials) -> Result<Ending> {
        let Prepared {
            endpoint,
            runtime,
            child_files,
        } = self;
        // Signals are caught from here on, so none sent before the child
        // exists is lost.
        let supervisor = Supervisor::new()?;
        let plan = &setup.plan;
        let mut vars: Vec<(&str, OsString)> = crate::env::endpoint_vars(
            &endpoint.url(),
            endpoint.token(),
            plan.region.as_deref(),
            &plan.profile,
        )
        .into_iter()
        .map(|(name, value)| (name, OsString::from(value)))
        .collect();
        vars.extend(child_files.vars.iter().cloned());
        let env = crate::env::child_env(std::env::vars_os(), vars);

        if setup.options.verbose {
            crate::say!(
                "awsmfa: profile '{}': serving credentials at {}",
                plan.profile,
                endpoint.url(),
            );
            if !child_files.vars.is_empty() {
                crate::say!(
                    "awsmfa: the command's copies of the AWS files: no credentials in the \
                     default profile{}",
                    match child_files.served.as_slice() {
                        [] => String::new(),
                        names =>
                            format!("; {} through awsmfa credential-process", names.join(", ")),
                    }
                );
            }
        }
        let current: Current = Arc::new(Mutex::new(Served {
            credentials,
            ended: None,
        }));
        endpoint.serve(runtime, Arc::clone(&current))?;
        refresh::Refresher { setup, current }.start();
        let ending = supervisor.run(program, env);
        // A code asked for ahead of time is not needed any more.
        refresh::clear_prompt();
        drop(child_files);
        ending
    }
}
