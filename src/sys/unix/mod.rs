//! The Unix side of `sys`.

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
