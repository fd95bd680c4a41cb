//! The accepted statuses of an application probe (SPEC §1): a set of HTTP
//! statuses, written `200-399,401,403` (numbers, ranges and classes such
//! as `2xx`, joined by commas). The one definition, for the distributor's
//! `[probe.http] accept` and for `zosmf-ha probe --accept`.

use std::fmt;
use std::str::FromStr;

/// The lowest and highest HTTP status a set may hold.
pub const LOWEST: u16 = 100;
pub const HIGHEST: u16 = 599;

/// A set of HTTP statuses. The default is SPEC §1's: 2xx, 3xx, 401 and
/// 403 (z/OSMF is up but wants credentials); 404 (a wrong path) and 5xx
/// (503: not ready) are not in it.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct StatusSet {
    /// Ascending, disjoint and not adjacent (so equal sets are equal
    /// values and print alike); never empty.
    ranges: Vec<(u16, u16)>,
}

/// Why a string is not a set of statuses.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum StatusSetError {
    #[error("the set of statuses is empty: write e.g. \"200-399,401,403\"")]
    Empty,
    #[error(
        "an empty item in `{0}` (two commas, or one at an end): write e.g. \"200-399,401,403\""
    )]
    EmptyItem(String),
    #[error(
        "`{0}` is not a status: write a number (401), a range (200-399) or a class (2xx), joined by commas"
    )]
    NotAStatus(String),
    #[error("`{0}` is out of range: HTTP statuses are {LOWEST} to {HIGHEST}")]
    OutOfRange(String),
    #[error("`{0}` runs backwards: write the lower status first")]
    Backwards(String),
}

impl StatusSet {
    /// The set holding the statuses of these inclusive ranges (each
    /// within 100-599, low first); `None` when there is none.
    pub fn from_ranges(ranges: impl IntoIterator<Item = (u16, u16)>) -> Option<StatusSet> {
        let mut v: Vec<(u16, u16)> = ranges
            .into_iter()
            .filter(|(lo, hi)| lo <= hi && *lo >= LOWEST && *hi <= HIGHEST)
            .collect();
        v.sort_unstable();
        let mut merged: Vec<(u16, u16)> = Vec::with_capacity(v.len());
        for (lo, hi) in v {
            match merged.last_mut() {
                // Overlapping or adjacent: one range.
                Some(last) if lo <= last.1.saturating_add(1) => last.1 = last.1.max(hi),
                _ => merged.push((lo, hi)),
            }
        }
        (!merged.is_empty()).then_some(StatusSet { ranges: merged })
    }

    pub fn contains(&self, status: u16) -> bool {
        self.ranges
            .iter()
            .any(|(lo, hi)| (*lo..=*hi).contains(&status))
    }

    /// The inclusive ranges, ascending, disjoint and not adjacent.
    pub fn ranges(&self) -> &[(u16, u16)] {
        &self.ranges
    }
}

impl Default for StatusSet {
    fn default() -> StatusSet {
        StatusSet {
            ranges: vec![(200, 399), (401, 401), (403, 403)],
        }
    }
}

impl fmt::Display for StatusSet {
    /// The canonical spelling: `200-399,401,403`; it parses back to the
    /// same set.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, (lo, hi)) in self.ranges.iter().enumerate() {
            if i > 0 {
                f.write_str(",")?;
            }
            if lo == hi {
                write!(f, "{lo}")?;
            } else {
                write!(f, "{lo}-{hi}")?;
            }
        }
        Ok(())
    }
}

impl FromStr for StatusSet {
    type Err = StatusSetError;

    fn from_str(s: &str) -> Result<StatusSet, StatusSetError> {
        if s.trim().is_empty() {
            return Err(StatusSetError::Empty);
        }
        let mut ranges = Vec::new();
        for item in s.split(',') {
            let item = item.trim();
            if item.is_empty() {
                return Err(StatusSetError::EmptyItem(s.to_owned()));
            }
            ranges.push(range(item)?);
        }
        StatusSet::from_ranges(ranges).ok_or(StatusSetError::Empty)
    }
}

/// One item: `401`, `200-399` or `2xx`.
fn range(item: &str) -> Result<(u16, u16), StatusSetError> {
    if let Some((a, b)) = item.split_once('-') {
        let (lo, hi) = (status(a.trim(), item)?, status(b.trim(), item)?);
        if lo > hi {
            return Err(StatusSetError::Backwards(item.to_owned()));
        }
        return Ok((lo, hi));
    }
    let b = item.as_bytes();
    if let [c, x, y] = b
        && c.is_ascii_digit()
        && x.eq_ignore_ascii_case(&b'x')
        && y.eq_ignore_ascii_case(&b'x')
    {
        let lo = u16::from(c - b'0') * 100;
        if !(LOWEST..=HIGHEST).contains(&lo) {
            return Err(StatusSetError::OutOfRange(item.to_owned()));
        }
        return Ok((lo, lo + 99));
    }
    let n = status(item, item)?;
    Ok((n, n))
}

/// A status number within 100-599; `item` is what an error names.
fn status(s: &str, item: &str) -> Result<u16, StatusSetError> {
    if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) {
        return Err(StatusSetError::NotAStatus(item.to_owned()));
    }
    s.parse::<u16>()
        .ok()
        .filter(|n| (LOWEST..=HIGHEST).contains(n))
        .ok_or_else(|| StatusSetError::OutOfRange(item.to_owned()))
}

impl serde::Serialize for StatusSet {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> serde::Deserialize<'de> for StatusSet {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<StatusSet, D::Error> {
        let s = String::deserialize(d)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    fn set(s: &str) -> StatusSet {
        s.parse().unwrap()
    }

    #[test]
    fn the_default_is_the_spec_one() {
        let d = StatusSet::default();
        assert_eq!(d.to_string(), "200-399,401,403");
        assert_eq!(set("2xx,3xx,401,403"), d);
        for s in [200, 204, 302, 399, 401, 403] {
            assert!(d.contains(s), "{s}");
        }
        for s in [100, 199, 400, 402, 404, 499, 500, 503, 599] {
            assert!(!d.contains(s), "{s}");
        }
    }

    #[test]
    fn spellings() {
        // The old single-range spelling of the distributor's settings.
        assert_eq!(set("200-404").ranges(), &[(200, 404)]);
        assert_eq!(set("200").ranges(), &[(200, 200)]);
        assert_eq!(set(" 2XX , 401 - 403 ").to_string(), "200-299,401-403");
        // Overlapping and adjacent items merge; order does not matter.
        assert_eq!(set("403,200-299,250-300,301").to_string(), "200-301,403");
        assert_eq!(set("100-599").to_string(), "100-599");
    }

    #[test]
    fn errors_say_what_is_wrong() {
        let e = |s: &str| s.parse::<StatusSet>().unwrap_err().to_string();
        assert!(e("").contains("empty"), "{}", e(""));
        assert!(e("200,,401").contains("empty item"), "{}", e("200,,401"));
        assert!(e("200,").contains("empty item"));
        assert!(e("ok").contains("`ok` is not a status"), "{}", e("ok"));
        assert!(e("+200").contains("not a status"));
        assert!(e("600").contains("`600` is out of range"), "{}", e("600"));
        assert!(e("99").contains("100 to 599"));
        assert!(e("6xx").contains("out of range"));
        assert!(e("0xx").contains("out of range"));
        assert!(e("99999999999999").contains("out of range"));
        assert!(e("404-200").contains("`404-200` runs backwards"));
        assert!(e("200-").contains("`200-` is not a status"));
        assert!(e("200-300-400").contains("not a status"));
    }

    /// A set as a list of ranges, to compare against.
    fn model() -> impl Strategy<Value = Vec<(u16, u16)>> {
        prop::collection::vec(
            (LOWEST..=HIGHEST, 0u16..120).prop_map(|(lo, w)| (lo, (lo + w).min(HIGHEST))),
            1..6,
        )
    }

    proptest! {
        /// No string makes the parser panic; what parses prints in a form
        /// that parses to the same set and prints the same again.
        #[test]
        fn any_string(s in any::<String>()) {
            if let Ok(v) = s.parse::<StatusSet>() {
                let printed = v.to_string();
                prop_assert_eq!(printed.parse::<StatusSet>(), Ok(v.clone()));
                prop_assert_eq!(printed.parse::<StatusSet>().map(|x| x.to_string()), Ok(printed));
            }
        }

        /// Strings made of the set's own characters reach every branch.
        #[test]
        fn strings_of_its_alphabet(s in "[0-9xX, -]{0,24}") {
            match s.parse::<StatusSet>() {
                Ok(v) => {
                    let printed = v.to_string();
                    prop_assert_eq!(printed.parse::<StatusSet>(), Ok(v));
                }
                Err(e) => prop_assert!(!e.to_string().is_empty()),
            }
        }

        /// Printed sets parse back, and hold exactly their ranges' statuses.
        #[test]
        fn sets_round_trip(ranges in model()) {
            let v = StatusSet::from_ranges(ranges.clone()).unwrap();
            let back: StatusSet = v.to_string().parse().unwrap();
            prop_assert_eq!(&back, &v);
            for s in 0..=700u16 {
                let inside = ranges.iter().any(|(lo, hi)| (*lo..=*hi).contains(&s));
                prop_assert_eq!(back.contains(s), inside, "{} in {}", s, v);
            }
        }
    }
}
