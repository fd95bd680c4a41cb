//! Helpers shared by the integration tests.

use zha_parmlib::{Member, Scalar, Value};

/// A statement without its spans: name and value shape, for comparing a
/// member with the same member read back from its printed form.
#[derive(Debug, PartialEq, Eq)]
pub enum Bare {
    Single(Scalar),
    Sub(Vec<(String, Scalar)>),
    List(Vec<Scalar>),
    None,
}

pub fn bare(member: &Member) -> Vec<(String, Bare)> {
    member
        .statements
        .iter()
        .map(|s| {
            let value = match &s.value {
                Value::Single(v) => Bare::Single(v.value.clone()),
                Value::Sub(subs) => Bare::Sub(
                    subs.iter()
                        .map(|s| (s.name.clone(), s.value.value.clone()))
                        .collect(),
                ),
                Value::List(items) => Bare::List(items.iter().map(|i| i.value.clone()).collect()),
                Value::None => Bare::None,
            };
            (s.name.clone(), value)
        })
        .collect()
}
