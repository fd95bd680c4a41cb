//! Integration tests of zha-parmlib: the real members of the corpus,
//! properties over generated input, and effective settings over several
//! members. One test binary, so one link step.

#![allow(clippy::unwrap_used)]

mod corpus;
mod effective;
mod props;
mod snapshots;
mod support;
mod symbols;
