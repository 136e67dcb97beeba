//! The local time zone, as Windows knows it (the zone set in Settings, with
//! its daylight saving rules): for times a person reads.

use windows_sys::Win32::Foundation::{FILETIME, SYSTEMTIME};
use windows_sys::Win32::System::Time::{
    FileTimeToSystemTime, SystemTimeToFileTime, SystemTimeToTzSpecificLocalTime,
};

/// 100 ns ticks between 1601-01-01 (FILETIME's epoch) and 1970-01-01.
const UNIX_EPOCH_TICKS: i64 = 116_444_736_000_000_000;
const TICKS_PER_SECOND: i64 = 10_000_000;

/// The local zone's offset from UTC in seconds at `unix` seconds since the
/// epoch, with no abbreviation (Windows names zones in long words, which
/// `words` shows as the offset). `None` when the time cannot be converted.
pub fn local_offset(unix: i64) -> Option<(i64, String)> {
    let ticks = unix
        .checked_mul(TICKS_PER_SECOND)?
        .checked_add(UNIX_EPOCH_TICKS)?;
    let utc = FILETIME {
        dwLowDateTime: ticks as u32,
        dwHighDateTime: (ticks >> 32) as u32,
    };
    // SAFETY: SYSTEMTIME and FILETIME are plain integers, valid zeroed.
    let (mut utc_time, mut local_time): (SYSTEMTIME, SYSTEMTIME) =
        unsafe { (std::mem::zeroed(), std::mem::zeroed()) };
    let mut local = FILETIME {
        dwLowDateTime: 0,
        dwHighDateTime: 0,
    };
    // SAFETY: every pointer is to a live local of the type the call takes;
    // a null zone means the current one.
    let converted = unsafe {
        FileTimeToSystemTime(&utc, &mut utc_time) != 0
            && SystemTimeToTzSpecificLocalTime(std::ptr::null(), &utc_time, &mut local_time) != 0
            && SystemTimeToFileTime(&local_time, &mut local) != 0
    };
    if !converted {
        return None;
    }
    let local_ticks = (i64::from(local.dwHighDateTime) << 32) | i64::from(local.dwLowDateTime);
    Some(((local_ticks - ticks) / TICKS_PER_SECOND, String::new()))
}
