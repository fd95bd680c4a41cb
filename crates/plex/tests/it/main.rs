//! Integration tests of the sysplex checker.
