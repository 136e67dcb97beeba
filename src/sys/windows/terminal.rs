//! The prompt on the console (`CONIN$` and `CONOUT$`, never stdin, which
//! belongs to the command): echo off while a code is typed, and the
//! console's mode given back whatever ends the prompt.

use crate::error::{Error, Result};
use std::fs::{File, OpenOptions};
use std::io::Write;
use std::os::windows::io::AsRawHandle;
use std::sync::Mutex;
use windows_sys::Win32::Foundation::HANDLE;
use windows_sys::Win32::System::Console::{
    CONSOLE_MODE, ENABLE_ECHO_INPUT, ENABLE_LINE_INPUT, ENABLE_PROCESSED_INPUT, GetConsoleMode,
    SetConsoleMode,
};

/// The console input of a prompt that has echo off, and the mode to give
/// back (for `restore_terminal`, from another thread).
static ECHO_OFF: Mutex<Option<(usize, CONSOLE_MODE)>> = Mutex::new(None);

/// The console, when this process has one.
pub struct Terminal {
    input: File,
    output: File,
}

/// A console has no background jobs: always false.
pub fn in_background() -> bool {
    false
}

impl Terminal {
    /// The console's input and output, if there is a console.
    pub fn open() -> Option<Terminal> {
        let input = OpenOptions::new()
            .read(true)
            .write(true)
            .open("CONIN$")
            .ok()?;
        let output = OpenOptions::new().write(true).open("CONOUT$").ok()?;
        // Only a real console has a mode (a redirected handle does not).
        mode(&input)?;
        Some(Terminal { input, output })
    }

    /// Shows `text` and reads a line with echo off.
    pub fn prompt(&mut self, text: &str) -> Result<String> {
        let failed = |e: std::io::Error| {
            Error::Mfa(format!(
                "cannot read from the console: {}",
                crate::io_reason(&e)
            ))
        };
        let saved = mode(&self.input).ok_or_else(|| failed(std::io::Error::last_os_error()))?;
        let handle = self.input.as_raw_handle() as HANDLE;
        // Raw: no echo, no line editing by the console, Ctrl-C as a byte.
        let quiet = saved & !(ENABLE_ECHO_INPUT | ENABLE_LINE_INPUT | ENABLE_PROCESSED_INPUT);
        *ECHO_OFF.lock().unwrap_or_else(|p| p.into_inner()) = Some((handle as usize, saved));
        // SAFETY: `handle` is the open console input of `self.input`.
        if unsafe { SetConsoleMode(handle, quiet) } == 0 {
            return Err(failed(std::io::Error::last_os_error()));
        }
        let _ = self.output.write_all(text.as_bytes());
        let typed = super::super::typed_line(&mut self.input);
        restore_terminal();
        let _ = self.output.write_all(b"\r\n");
        match typed {
            Ok(Some(line)) => Ok(line),
            Ok(None) => {
                if super::super::ctrl_c_interrupts() {
                    // As a console process ends on Ctrl-C: STATUS_CONTROL_C_EXIT.
                    std::process::exit(0xC000_013A_u32 as i32);
                }
                Err(Error::PromptCancelled)
            }
            Err(e) => Err(e),
        }
    }

    /// Tells the person at the console something, on a line of its own.
    pub fn say(&mut self, line: &str) {
        let _ = writeln!(self.output, "{line}");
    }
}

/// Gives the console its mode back if a prompt (in another thread) has
/// echo off: for a process about to end in the middle of one.
pub fn restore_terminal() {
    let saved = ECHO_OFF.lock().unwrap_or_else(|p| p.into_inner()).take();
    if let Some((handle, mode)) = saved {
        // SAFETY: the handle was a console input handle when stored; a
        // closed one makes SetConsoleMode fail, harmlessly.
        unsafe { SetConsoleMode(handle as HANDLE, mode) };
    }
}

/// The console mode of `file`, if it is a console.
fn mode(file: &File) -> Option<CONSOLE_MODE> {
    let mut mode: CONSOLE_MODE = 0;
    // SAFETY: the handle is open for the life of `file`; `mode` is a valid out pointer.
    let ok = unsafe { GetConsoleMode(file.as_raw_handle() as HANDLE, &mut mode) } != 0;
    ok.then_some(mode)
}

/// The `wincredui` prompt: Windows's own credentials dialog
/// (`CredUIPromptForCredentialsW`), its password field taking the code.
/// `None` when the person cancels.
pub fn credential_dialog(caption: &str, message: &str) -> Result<Option<String>> {
    use windows_sys::Win32::Foundation::{ERROR_CANCELLED, NO_ERROR};
    use windows_sys::Win32::Security::Credentials::{
        CREDUI_FLAGS_ALWAYS_SHOW_UI, CREDUI_FLAGS_DO_NOT_PERSIST, CREDUI_FLAGS_GENERIC_CREDENTIALS,
        CREDUI_FLAGS_KEEP_USERNAME, CREDUI_INFOW, CredUIPromptForCredentialsW,
    };
    let wide = |text: &str| -> Vec<u16> { text.encode_utf16().chain([0]).collect() };
    let (caption, message, target) = (wide(caption), wide(message), wide("awsmfa"));
    let info = CREDUI_INFOW {
        cbSize: std::mem::size_of::<CREDUI_INFOW>() as u32,
        hwndParent: std::ptr::null_mut(),
        pszMessageText: message.as_ptr(),
        pszCaptionText: caption.as_ptr(),
        hbmBanner: std::ptr::null_mut(),
    };
    // The user name field shows what is asked; the code goes in the password.
    let mut user: Vec<u16> = wide("MFA code");
    user.resize(514, 0);
    let mut password = vec![0u16; 257];
    let mut save = 0;
    // SAFETY: every pointer is to a live, NUL-terminated buffer of this frame
    // whose length is the size passed with it; `info` outlives the call.
    let status = unsafe {
        CredUIPromptForCredentialsW(
            &info,
            target.as_ptr(),
            std::ptr::null(),
            0,
            user.as_mut_ptr(),
            user.len() as u32,
            password.as_mut_ptr(),
            password.len() as u32,
            &mut save,
            CREDUI_FLAGS_GENERIC_CREDENTIALS
                | CREDUI_FLAGS_ALWAYS_SHOW_UI
                | CREDUI_FLAGS_DO_NOT_PERSIST
                | CREDUI_FLAGS_KEEP_USERNAME,
        )
    };
    let end = password
        .iter()
        .position(|&c| c == 0)
        .unwrap_or(password.len());
    let code = String::from_utf16_lossy(&password[..end]);
    password.fill(0);
    match status {
        NO_ERROR => Ok(Some(code)),
        ERROR_CANCELLED => Ok(None),
        other => Err(Error::Mfa(format!(
            "the Windows credentials dialog failed (error {other})"
        ))),
    }
}
