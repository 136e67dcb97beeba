//! The local time zone, as the C library knows it (`TZ`, else
//! `/etc/localtime`): for times a person reads.

use nix::libc;
use std::ffi::CStr;

/// The local zone's offset from UTC in seconds at `unix` seconds since the
/// epoch, and its abbreviation (`CET`, `EST`, `+04`; empty when the C
/// library has none). `None` when the time cannot be converted.
// `time_t` and `c_long` are 32 bits on some targets, 64 on this one.
#[allow(clippy::useless_conversion)]
pub fn local_offset(unix: i64) -> Option<(i64, String)> {
    // (Its type comes from localtime_r: naming `libc::time_t` is deprecated
    // on musl, whose 32-bit targets change it.)
    let time = unix.try_into().ok()?;
    let mut tm = std::mem::MaybeUninit::<libc::tm>::zeroed();
    // SAFETY: both pointers are valid for the call: `time` lives on this
    // stack, `tm` is a zeroed `tm` that localtime_r fills (the reentrant
    // form: no shared static buffer). It reads TZ (else /etc/localtime)
    // itself, as localtime would.
    let filled = unsafe { libc::localtime_r(&time, tm.as_mut_ptr()) };
    if filled.is_null() {
        return None;
    }
    // SAFETY: localtime_r returned non-null, so it filled `tm`; a zeroed
    // `tm` was already a valid value (integers and a null pointer).
    let tm = unsafe { tm.assume_init() };
    let zone = if tm.tm_zone.is_null() {
        String::new()
    } else {
        // SAFETY: a non-null tm_zone points to a NUL-terminated string that
        // the C library keeps for the life of the process.
        unsafe { CStr::from_ptr(tm.tm_zone) }
            .to_string_lossy()
            .into_owned()
    };
    Some((i64::from(tm.tm_gmtoff), zone))
}
