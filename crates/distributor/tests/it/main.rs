//! Integration tests of the distributor on loopback.
