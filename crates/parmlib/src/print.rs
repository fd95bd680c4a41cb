//! The canonical form of a member: one statement per line, `KEYWORD(value)`,
//! quoted values in `'` with inner quotes doubled, sub-keywords separated by
//! a blank, list items by `, `.
//!
//! Lines stay within column 71 where possible: a statement that does not fit
//! continues on the next line, indented; a quoted value that does not fit on
//! a line continues on the next one, as the continuation rule allows (the
//! line ends inside the quotes and the value resumes at the first non-blank
//! of the next line). Such a break is only made between two non-blank
//! characters, since blanks at a break would be lost, and never inside a
//! doubled quote. Parsing the printed text gives the same statements.

use std::fmt;

use crate::member::{Member, Scalar, Statement, Value};

/// Columns 1-71 hold data.
const WIDTH: usize = 71;
/// Continuation lines start with this.
const INDENT: &str = "  ";
/// A quoted value that must be split is started on a new line when fewer
/// columns than this are left.
const MIN_SPLIT_ROOM: usize = 12;

impl fmt::Display for Member {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for statement in &self.statements {
            writeln!(f, "{statement}")?;
        }
        Ok(())
    }
}

/// A statement in canonical form, possibly over several lines (without a
/// final line end).
impl fmt::Display for Statement {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&layout(self).join("\n"))
    }
}

enum Piece<'a> {
    Atom(&'a str),
    Quoted(&'a str),
}

struct Item<'a> {
    piece: Piece<'a>,
    /// A blank goes before it (unless it starts a line).
    space: bool,
}

impl Item<'_> {
    fn width(&self) -> usize {
        usize::from(self.space)
            + match self.piece {
                Piece::Atom(s) => s.chars().count(),
                Piece::Quoted(s) => {
                    2 + s
                        .chars()
                        .map(|c| if c == '\'' { 2 } else { 1 })
                        .sum::<usize>()
                }
            }
    }
}

fn atom(s: &str, space: bool) -> Item<'_> {
    Item {
        piece: Piece::Atom(s),
        space,
    }
}

fn scalar(s: &Scalar, space: bool) -> Item<'_> {
    Item {
        piece: if s.quoted {
            Piece::Quoted(&s.text)
        } else {
            Piece::Atom(&s.text)
        },
        space,
    }
}

/// The statement as groups of items that are kept on one line when they
/// fit: the keyword with its value, each sub-keyword with its value, each
/// list item with its comma.
fn groups(st: &Statement) -> Vec<Vec<Item<'_>>> {
    let name = atom(&st.name, false);
    match &st.value {
        Value::Single(v) => vec![vec![
            name,
            atom("(", false),
            scalar(&v.value, false),
            atom(")", false),
        ]],
        Value::Sub(subs) => {
            let mut groups = vec![vec![name]];
            for sub in subs {
                groups.push(vec![
                    atom(&sub.name, true),
                    atom("(", false),
                    scalar(&sub.value.value, false),
                    atom(")", false),
                ]);
            }
            groups
        }
        Value::List(items) => {
            let mut groups = vec![vec![name, atom("(", false)]];
            for (i, item) in items.iter().enumerate() {
                let last = i + 1 == items.len();
                groups.push(vec![
                    scalar(&item.value, i > 0),
                    atom(if last { ")" } else { "," }, false),
                ]);
            }
            if items.is_empty() {
                groups.push(vec![atom(")", false)]);
            }
            groups
        }
        // A statement whose value could not be read prints as its keyword
        // alone, which reads back as a statement without a value.
        Value::None => vec![vec![name]],
    }
}

fn layout(st: &Statement) -> Vec<String> {
    let mut out = Layout {
        lines: Vec::new(),
        cur: String::new(),
        col: 0,
        at_start: true,
    };
    for group in groups(st) {
        let width: usize = group.iter().map(Item::width).sum();
        let unspaced = width - usize::from(group.first().is_some_and(|i| i.space));
        if !out.fits(width) && !out.at_start && INDENT.len() + unspaced <= WIDTH {
            out.newline();
        }
        for item in &group {
            out.item(item);
        }
    }
    out.lines.push(out.cur);
    out.lines
}

struct Layout {
    lines: Vec<String>,
    cur: String,
    /// Characters on the current line.
    col: usize,
    /// Nothing but indentation on the current line yet.
    at_start: bool,
}

impl Layout {
    fn fits(&self, width: usize) -> bool {
        self.col + width <= WIDTH
    }

    fn newline(&mut self) {
        self.lines
            .push(std::mem::replace(&mut self.cur, INDENT.to_owned()));
        self.col = INDENT.len();
        self.at_start = true;
    }

    fn put(&mut self, s: &str) {
        self.cur.push_str(s);
        self.col += s.chars().count();
        self.at_start = false;
    }

    fn space(&mut self, space: bool) {
        if space && !self.at_start {
            self.put(" ");
        }
    }

    fn item(&mut self, item: &Item<'_>) {
        let width = item.width() - usize::from(item.space && self.at_start);
        match item.piece {
            Piece::Atom(s) => {
                if !self.fits(width)
                    && !self.at_start
                    && INDENT.len() + item.width() - usize::from(item.space) <= WIDTH
                {
                    self.newline();
                }
                self.space(item.space);
                self.put(s);
            }
            // A quoted value that does not fit where it is continues on the
            // next line from there (a whole group that fits on a new line
            // was moved there already).
            Piece::Quoted(s) => {
                if self.fits(width) {
                    self.space(item.space);
                    self.put("'");
                    self.put(&s.replace('\'', "''"));
                    self.put("'");
                } else {
                    self.split_quoted(s, item.space);
                }
            }
        }
    }

    /// A quoted value longer than a line: break it between two non-blank
    /// characters, never inside a doubled quote.
    fn split_quoted(&mut self, text: &str, space: bool) {
        if !self.at_start && WIDTH.saturating_sub(self.col + usize::from(space)) < MIN_SPLIT_ROOM {
            self.newline();
        }
        self.space(space);
        self.put("'");
        let units: Vec<(char, &str)> = text
            .chars()
            .zip(text.split_inclusive(|_: char| true))
            .map(|(c, s)| (c, if c == '\'' { "''" } else { s }))
            .collect();
        let width = |u: &[(char, &str)]| -> usize {
            u.iter().map(|&(c, _)| if c == '\'' { 2 } else { 1 }).sum()
        };
        let breakable = |k: usize| -> bool {
            k > 0
                && units
                    .get(k - 1)
                    .is_some_and(|&(c, _)| !crate::grammar::is_blank(c))
                && units
                    .get(k)
                    .is_some_and(|&(c, _)| !crate::grammar::is_blank(c))
        };
        let mut idx = 0;
        let mut first = true;
        loop {
            let rest = units.get(idx..).unwrap_or(&[]);
            let avail = WIDTH.saturating_sub(self.col);
            // The rest and the closing quote fit.
            if width(rest) < avail {
                self.put_units(rest);
                self.put("'");
                return;
            }
            // The furthest break that fits on this line.
            let mut best = None;
            let mut used = 0;
            for k in idx + 1..units.len() {
                used += width(units.get(k - 1..k).unwrap_or(&[]));
                if used > avail {
                    break;
                }
                if breakable(k) {
                    best = Some(k);
                }
            }
            match best {
                Some(k) => {
                    self.put_units(units.get(idx..k).unwrap_or(&[]));
                    self.newline();
                    idx = k;
                }
                // Nothing fits after the opening quote: end the line right
                // after it, the value resumes on the next line.
                None if first && idx == 0 && breakable_start(&units) => self.newline(),
                None => {
                    // No break fits: make the line longer than 71, at the
                    // first place a break is possible at all.
                    match (idx + 1..units.len()).find(|&k| breakable(k)) {
                        Some(k) => {
                            self.put_units(units.get(idx..k).unwrap_or(&[]));
                            self.newline();
                            idx = k;
                        }
                        None => {
                            self.put_units(rest);
                            self.put("'");
                            return;
                        }
                    }
                }
            }
            first = false;
        }
    }

    fn put_units(&mut self, units: &[(char, &str)]) {
        for &(_, s) in units {
            self.put(s);
        }
    }
}

/// A value may resume on the next line only with a non-blank character.
fn breakable_start(units: &[(char, &str)]) -> bool {
    units
        .first()
        .is_some_and(|&(c, _)| !crate::grammar::is_blank(c))
}

#[cfg(test)]
mod tests {
    use zha_diag::FileId;
    use zha_diag::symbols::Symbols;

    use crate::{Value, parse};

    fn reprint(text: &str) -> String {
        let parsed = parse(FileId(0), text, &Symbols::new());
        assert!(parsed.diagnostics.is_empty(), "{:?}", parsed.diagnostics);
        parsed.member.to_string()
    }

    fn same_statements(a: &str, b: &str) {
        let pa = parse(FileId(0), a, &Symbols::new());
        let pb = parse(FileId(0), b, &Symbols::new());
        assert!(pb.diagnostics.is_empty(), "{b}\n{:?}", pb.diagnostics);
        let strip = |p: &crate::Parsed| -> Vec<(String, String)> {
            p.member
                .statements
                .iter()
                .map(|s| (s.name.clone(), format!("{:?}", strip_spans(&s.value))))
                .collect()
        };
        assert_eq!(strip(&pa), strip(&pb));
    }

    fn strip_spans(v: &Value) -> Vec<(String, String, bool)> {
        match v {
            Value::Single(s) => vec![(String::new(), s.value.text.clone(), s.value.quoted)],
            Value::Sub(subs) => subs
                .iter()
                .map(|s| {
                    (
                        s.name.clone(),
                        s.value.value.text.clone(),
                        s.value.value.quoted,
                    )
                })
                .collect(),
            Value::List(items) => items
                .iter()
                .map(|s| (String::new(), s.value.text.clone(), s.value.quoted))
                .collect(),
            Value::None => Vec::new(),
        }
    }

    #[test]
    fn canonical_forms() {
        let text = "autostart ( local )\nSEC_GROUPS USER(IZUUSER),ADMIN(IZUADMIN)\n\
                    PLUGINS( A,B\n C)\nKEYRING_NAME('it''s')";
        assert_eq!(
            reprint(text),
            "AUTOSTART(LOCAL)\nSEC_GROUPS USER(IZUUSER) ADMIN(IZUADMIN)\nPLUGINS(A, B, C)\nKEYRING_NAME('it''s')\n"
        );
    }

    /// A member of one LOGGING statement with this value.
    fn logging(value: &str) -> crate::Member {
        let nowhere = zha_diag::Span::file_start(FileId(0));
        crate::Member {
            file: FileId(0),
            statements: vec![crate::Statement {
                name: "LOGGING".to_owned(),
                keyword: nowhere,
                span: nowhere,
                value: Value::Single(crate::Located::new(
                    crate::Scalar::new(value, true),
                    nowhere,
                )),
            }],
        }
    }

    #[test]
    fn long_list_wraps_within_71_columns() {
        let items: Vec<String> = (0..20).map(|i| format!("PLUGIN_NUMBER_{i}")).collect();
        let text = format!("PLUGINS({})", items.join(",\n"));
        let out = reprint(&text);
        assert!(out.lines().count() > 1);
        assert!(out.lines().all(|l| l.chars().count() <= 71), "{out}");
        same_statements(&text, &out);
    }

    #[test]
    fn long_quoted_value_continues_on_the_next_line() {
        let value = "*=warning:com.ibm.zoszmf.*=info:com.ibm.zoszmf.environment.ui=finer:com.ibm.zoszmf.x=fine";
        let out = logging(value).to_string();
        assert!(out.lines().count() > 1);
        assert!(out.lines().all(|l| l.chars().count() <= 71), "{out}");
        let parsed = parse(FileId(0), &out, &Symbols::new());
        assert!(
            parsed.diagnostics.is_empty(),
            "{out}\n{:?}",
            parsed.diagnostics
        );
        let Value::Single(v) = &parsed.member.statements[0].value else {
            panic!("LOGGING should have a value: {out}");
        };
        assert_eq!(v.value.text, value);
        assert!(v.value.quoted);
    }

    #[test]
    fn breaks_avoid_blanks_and_doubled_quotes() {
        for value in [
            format!("{} {}", "a'".repeat(40), "b ".repeat(30).trim_end()),
            format!("x{}", "''".repeat(50)),
            format!(" {}", "ab ".repeat(40)),
        ] {
            let out = logging(&value).to_string();
            assert!(out.lines().all(|l| l.chars().count() <= 71), "{out}");
            let parsed = parse(FileId(0), &out, &Symbols::new());
            assert!(
                parsed.diagnostics.is_empty(),
                "{out}\n{:?}",
                parsed.diagnostics
            );
            let Value::Single(v) = &parsed.member.statements[0].value else {
                panic!("LOGGING should have a value: {out}");
            };
            assert_eq!(v.value.text, value, "{out}");
        }
    }

    #[test]
    fn value_that_cannot_be_broken_makes_a_long_line() {
        // Blanks and single characters alternate, so there is no place
        // between two non-blank characters to break it (such a value can
        // only come from a system symbol).
        let value = "a ".repeat(60);
        let out = logging(&value).to_string();
        assert!(out.contains(&value), "{out}");
    }

    #[test]
    fn statement_without_value_prints_its_keyword() {
        let parsed = parse(
            FileId(0),
            "AUTOSTART()\nSEC_GROUPS\nPLUGINS\n",
            &Symbols::new(),
        );
        assert_eq!(
            parsed.member.to_string(),
            "AUTOSTART\nSEC_GROUPS\nPLUGINS\n"
        );
    }
}
