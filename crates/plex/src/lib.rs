//! The sysplex: `sysplex.toml`, loading every file it names (with INCLUDEs
//! and system symbols), the model of systems and stacks, and the HA rules.
//!
//! Architecture invariant: all file access goes through [`fs::Fs`]; the
//! rules see only the model and never touch files.

pub mod check;
pub mod codes;
pub mod config;
pub mod fs;
pub mod load;
pub mod model;
pub mod plan;
pub mod rules;
pub mod zosmf;

pub use check::{Kind, Options, Report, check, load_sysplex};
pub use fs::{Fs, MemFs, OsFs};
pub use model::{Sysplex, System};
pub use rules::RuleOptions;
