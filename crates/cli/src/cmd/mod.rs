//! One module per subcommand: each turns its flags into options, calls the
//! libraries and decides the exit status.

pub mod check;
pub mod distribute;
pub mod docs;
pub mod explain;
pub mod plan;
pub mod probe;
pub mod server;
pub mod top;
pub mod up;
