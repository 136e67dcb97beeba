//! `awsmfa credential-process`: the session as the JSON that an AWS
//! profile's `credential_process` reads.

use crate::cli::SessionArgs;
use crate::error::Result;

pub fn run(args: &SessionArgs) -> Result<()> {
    let credentials = super::setup(args)?.get()?;
    super::print(super::export::credential_process(&credentials).as_bytes())
}
