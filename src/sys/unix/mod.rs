//! The Unix side of `sys`.

mod private;
mod process;
mod signals;
mod terminal;

pub use private::*;
pub use process::*;
pub use signals::*;
pub use terminal::*;
