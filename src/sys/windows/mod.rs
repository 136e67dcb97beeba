//! The Windows side of `sys`: no `execve` and no signals, a console with
//! control events, `CONIN$` for the prompt, and ACLs that keep a user
//! profile's folders private by default.

mod clock;
mod private;
mod process;
mod signals;
mod terminal;

pub use clock::*;
pub use private::*;
pub use process::*;
pub use signals::*;
pub use terminal::*;
