//! Source files, byte spans and the mapping from bytes to line and column.

use std::ops::Range;

/// Index of a file in a [`SourceMap`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct FileId(pub u32);

/// A byte range in one source file. `start <= end`, both on char boundaries.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Span {
    pub file: FileId,
    pub start: u32,
    pub end: u32,
}

impl Span {
    pub fn new(file: FileId, range: Range<usize>) -> Span {
        Span {
            file,
            start: to_u32(range.start),
            end: to_u32(range.end.max(range.start)),
        }
    }

    /// An empty span at the start of a file: the place for a finding about a
    /// file as a whole (a member that lacks a statement, an empty file).
    pub fn file_start(file: FileId) -> Span {
        Span {
            file,
            start: 0,
            end: 0,
        }
    }

    pub fn range(self) -> Range<usize> {
        self.start as usize..self.end as usize
    }

    pub fn is_empty(self) -> bool {
        self.start == self.end
    }

    /// The smallest span covering both; `other` must be in the same file,
    /// otherwise `self` is returned unchanged.
    pub fn to(self, other: Span) -> Span {
        if self.file != other.file {
            return self;
        }
        Span {
            file: self.file,
            start: self.start.min(other.start),
            end: self.end.max(other.end),
        }
    }
}

fn to_u32(n: usize) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

/// A 1-based line and a 1-based column counted in characters.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LineCol {
    pub line: usize,
    pub column: usize,
}

/// One text file: its display name, its text and where its lines start.
#[derive(Debug, Clone)]
pub struct SourceFile {
    name: String,
    text: String,
    line_starts: Vec<usize>,
}

impl SourceFile {
    pub fn new(name: impl Into<String>, text: impl Into<String>) -> SourceFile {
        let text = text.into();
        let mut line_starts = vec![0];
        line_starts.extend(text.match_indices('\n').map(|(i, _)| i + 1));
        SourceFile {
            name: name.into(),
            text,
            line_starts,
        }
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    pub fn text(&self) -> &str {
        &self.text
    }

    /// Number of lines; a final newline does not start a new line.
    pub fn line_count(&self) -> usize {
        let n = self.line_starts.len();
        if n > 1 && self.line_starts[n - 1] == self.text.len() {
            n - 1
        } else {
            n
        }
    }

    /// 0-based line index of a byte offset.
    pub fn line_index(&self, offset: usize) -> usize {
        match self.line_starts.binary_search(&offset) {
            Ok(i) => i,
            Err(i) => i.saturating_sub(1),
        }
    }

    /// Byte range of a 0-based line, without its line end (`\n` or `\r\n`).
    pub fn line_range(&self, idx: usize) -> Range<usize> {
        let start = self
            .line_starts
            .get(idx)
            .copied()
            .unwrap_or(self.text.len());
        let mut end = self
            .line_starts
            .get(idx + 1)
            .map(|s| s - 1)
            .unwrap_or(self.text.len());
        if end > start && self.text.as_bytes()[end - 1] == b'\r' {
            end -= 1;
        }
        start..end
    }

    /// Line and character column of a byte offset (clamped to the text).
    pub fn line_col(&self, offset: usize) -> LineCol {
        let offset = floor_char_boundary(&self.text, offset.min(self.text.len()));
        let line = self.line_index(offset);
        let start = self.line_starts[line];
        let column = self.text[start..offset].chars().count() + 1;
        LineCol {
            line: line + 1,
            column,
        }
    }
}

fn floor_char_boundary(s: &str, mut i: usize) -> usize {
    while i > 0 && !s.is_char_boundary(i) {
        i -= 1;
    }
    i
}

/// Every file read for one run; spans refer into it by [`FileId`].
#[derive(Debug, Default, Clone)]
pub struct SourceMap {
    files: Vec<SourceFile>,
}

impl SourceMap {
    pub fn new() -> SourceMap {
        SourceMap::default()
    }

    pub fn add(&mut self, name: impl Into<String>, text: impl Into<String>) -> FileId {
        let id = FileId(to_u32(self.files.len()));
        self.files.push(SourceFile::new(name, text));
        id
    }

    pub fn get(&self, id: FileId) -> Option<&SourceFile> {
        self.files.get(id.0 as usize)
    }

    /// The file with this id. Ids come from [`SourceMap::add`] on this map.
    pub fn file(&self, id: FileId) -> &SourceFile {
        &self.files[id.0 as usize]
    }

    pub fn text(&self, span: Span) -> &str {
        self.get(span.file)
            .and_then(|f| f.text.get(span.range()))
            .unwrap_or("")
    }

    pub fn len(&self) -> usize {
        self.files.len()
    }

    pub fn is_empty(&self) -> bool {
        self.files.is_empty()
    }

    pub fn iter(&self) -> impl Iterator<Item = (FileId, &SourceFile)> {
        self.files
            .iter()
            .enumerate()
            .map(|(i, f)| (FileId(to_u32(i)), f))
    }
}

/// Text decoded from a file's bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Decoded {
    pub text: String,
    /// The bytes were not UTF-8 and were read as ISO-8859-1.
    pub latin1: bool,
    /// The bytes were EBCDIC (a member transferred from z/OS in binary) and
    /// were decoded as IBM-1047; trailing blanks of each line are dropped.
    pub ebcdic: bool,
    /// With `ebcdic`: the bytes held no line ends and were cut into this many
    /// fixed 80-byte records (a binary transfer of a data set with LRECL 80).
    /// `None` when EBCDIC line ends (NL 0x15 or LF 0x25) separated the lines,
    /// or when the text is one line shorter than a record.
    pub records: Option<usize>,
}

impl Decoded {
    /// What the reader should be told about how the bytes were read: the
    /// message of a finding, or `None` for UTF-8.
    pub fn notice(&self) -> Option<String> {
        if self.ebcdic {
            Some(match self.records {
                Some(n) => format!(
                    "decoded from IBM-1047 (EBCDIC): {n} fixed 80-byte record{} without line ends, a binary transfer",
                    if n == 1 { "" } else { "s" }
                ),
                None => "decoded from IBM-1047 (EBCDIC), a file transferred from z/OS in binary"
                    .to_owned(),
            })
        } else if self.latin1 {
            Some("not UTF-8; read as ISO-8859-1".to_owned())
        } else {
            None
        }
    }
}

/// Bytes that cannot be read as configuration text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DecodeError {
    /// EBCDIC text (mostly EBCDIC blanks 0x40 and EBCDIC letters, no ASCII
    /// blank or line end) whose lines cannot be told apart: no EBCDIC line
    /// end and a length that is not a whole number of 80-byte records.
    Ebcdic,
    /// NUL bytes or many control characters.
    Binary,
}

impl DecodeError {
    /// A help line for a file named `file` that could not be decoded.
    pub fn help(self, file: &str) -> String {
        match self {
            DecodeError::Ebcdic => format!(
                "if it has 80-byte records, convert it to lines: iconv -f IBM-1047 -t ISO-8859-1 {file} \
                 | dd conv=unblock cbs=80 | iconv -f ISO-8859-1 -t UTF-8 > {file}.txt (IBM-1047 maps one to one \
                 onto ISO-8859-1, so the records stay whole); or transfer it again in text mode"
            ),
            DecodeError::Binary => {
                "point at the parmlib member or profile as a text file".to_owned()
            }
        }
    }
}

/// The length of a parmlib or profile record (LRECL 80).
const RECORD: usize = 80;

/// Decode configuration text as SPEC §2 says, and then some: UTF-8 (a
/// byte-order mark is dropped); EBCDIC input is decoded as IBM-1047, cut
/// into lines at EBCDIC line ends or, when it has none, into fixed 80-byte
/// records ([`DecodeError::Ebcdic`] when neither works); binary input is
/// refused; any other non-UTF-8 input is read as ISO-8859-1 (`¬` and `¢`
/// occur in z/OS files).
pub fn decode(bytes: &[u8]) -> Result<Decoded, DecodeError> {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    // EBCDIC text has no NUL either.
    if bytes.contains(&0) {
        return Err(DecodeError::Binary);
    }
    // Before the control-character test: EBCDIC line ends are ASCII
    // control characters.
    if looks_ebcdic(bytes) {
        return decode_ebcdic(bytes);
    }
    if looks_binary(bytes) {
        return Err(DecodeError::Binary);
    }
    match std::str::from_utf8(bytes) {
        Ok(s) => Ok(Decoded {
            text: s.to_owned(),
            latin1: false,
            ebcdic: false,
            records: None,
        }),
        Err(_) => Ok(Decoded {
            text: bytes.iter().map(|&b| char::from(b)).collect(),
            latin1: true,
            ebcdic: false,
            records: None,
        }),
    }
}

fn looks_binary(bytes: &[u8]) -> bool {
    let controls = bytes
        .iter()
        .filter(|&&b| b < 0x20 && !matches!(b, b'\t' | b'\n' | b'\r' | 0x0c))
        .count();
    controls * 10 > bytes.len()
}

/// EBCDIC line ends: NL (0x15, what z/OS UNIX text files use) and LF (0x25).
fn is_ebcdic_line_end(b: u8) -> bool {
    matches!(b, 0x15 | 0x25)
}

/// Bytes that EBCDIC configuration text is made of: the blank, letters,
/// digits, the punctuation of parmlib members and profiles, and line ends.
fn is_ebcdic_text(b: u8) -> bool {
    matches!(b,
        0x40 // blank
        | 0x81..=0x89 | 0x91..=0x99 | 0xA2..=0xA9 // a-z
        | 0xC1..=0xC9 | 0xD1..=0xD9 | 0xE2..=0xE9 // A-Z
        | 0xF0..=0xF9 // 0-9
        | 0x4A..=0x50 // ¢ . < ( + | &
        | 0x5A..=0x61 // ! $ * ) ; ^ - /
        | 0x6B..=0x6F // , % _ > ?
        | 0x79..=0x7F // ` : # @ ' = "
        | 0xA1 | 0xAD | 0xB0 | 0xBD | 0xC0 | 0xD0 | 0xE0 // ~ [ ¬ ] { } \
        | 0x0D | 0x15 | 0x25 // CR, NL, LF
    )
}

/// EBCDIC text: almost no ASCII blank, tab or line feed (which are EBCDIC
/// control characters), some EBCDIC blanks (0x40) or line ends, and nearly
/// every byte an EBCDIC letter, digit, blank or punctuation mark. ASCII and
/// ISO-8859-1 text always has blanks and line feeds; UTF-8 text without them
/// has no 0x40 (`@`) to speak of.
fn looks_ebcdic(bytes: &[u8]) -> bool {
    let n = bytes.len();
    if n == 0 {
        return false;
    }
    let count = |f: fn(u8) -> bool| bytes.iter().filter(|&&b| f(b)).count();
    let ascii_space = count(|b| matches!(b, b' ' | b'\n' | b'\t'));
    let separators = count(|b| b == 0x40 || is_ebcdic_line_end(b));
    let text = count(is_ebcdic_text);
    ascii_space * 100 <= n && separators * 100 >= n && text * 10 >= n * 9
}

/// IBM-1047 (z/OS's Latin-1 EBCDIC) to ISO-8859-1: byte `b` is the character
/// U+00xx with xx = `IBM1047[b]`. A permutation of 0..=255: every EBCDIC byte
/// has one Latin-1 character and the other way round (glibc's IBM1047 table;
/// NL 0x15 is U+0085, LF 0x25 is U+000A).
const IBM1047: [u8; 256] = [
    0x00, 0x01, 0x02, 0x03, 0x9C, 0x09, 0x86, 0x7F, 0x97, 0x8D, 0x8E, 0x0B, 0x0C, 0x0D, 0x0E, 0x0F,
    0x10, 0x11, 0x12, 0x13, 0x9D, 0x85, 0x08, 0x87, 0x18, 0x19, 0x92, 0x8F, 0x1C, 0x1D, 0x1E, 0x1F,
    0x80, 0x81, 0x82, 0x83, 0x84, 0x0A, 0x17, 0x1B, 0x88, 0x89, 0x8A, 0x8B, 0x8C, 0x05, 0x06, 0x07,
    0x90, 0x91, 0x16, 0x93, 0x94, 0x95, 0x96, 0x04, 0x98, 0x99, 0x9A, 0x9B, 0x14, 0x15, 0x9E, 0x1A,
    0x20, 0xA0, 0xE2, 0xE4, 0xE0, 0xE1, 0xE3, 0xE5, 0xE7, 0xF1, 0xA2, 0x2E, 0x3C, 0x28, 0x2B, 0x7C,
    0x26, 0xE9, 0xEA, 0xEB, 0xE8, 0xED, 0xEE, 0xEF, 0xEC, 0xDF, 0x21, 0x24, 0x2A, 0x29, 0x3B, 0x5E,
    0x2D, 0x2F, 0xC2, 0xC4, 0xC0, 0xC1, 0xC3, 0xC5, 0xC7, 0xD1, 0xA6, 0x2C, 0x25, 0x5F, 0x3E, 0x3F,
    0xF8, 0xC9, 0xCA, 0xCB, 0xC8, 0xCD, 0xCE, 0xCF, 0xCC, 0x60, 0x3A, 0x23, 0x40, 0x27, 0x3D, 0x22,
    0xD8, 0x61, 0x62, 0x63, 0x64, 0x65, 0x66, 0x67, 0x68, 0x69, 0xAB, 0xBB, 0xF0, 0xFD, 0xFE, 0xB1,
    0xB0, 0x6A, 0x6B, 0x6C, 0x6D, 0x6E, 0x6F, 0x70, 0x71, 0x72, 0xAA, 0xBA, 0xE6, 0xB8, 0xC6, 0xA4,
    0xB5, 0x7E, 0x73, 0x74, 0x75, 0x76, 0x77, 0x78, 0x79, 0x7A, 0xA1, 0xBF, 0xD0, 0x5B, 0xDE, 0xAE,
    0xAC, 0xA3, 0xA5, 0xB7, 0xA9, 0xA7, 0xB6, 0xBC, 0xBD, 0xBE, 0xDD, 0xA8, 0xAF, 0x5D, 0xB4, 0xD7,
    0x7B, 0x41, 0x42, 0x43, 0x44, 0x45, 0x46, 0x47, 0x48, 0x49, 0xAD, 0xF4, 0xF6, 0xF2, 0xF3, 0xF5,
    0x7D, 0x4A, 0x4B, 0x4C, 0x4D, 0x4E, 0x4F, 0x50, 0x51, 0x52, 0xB9, 0xFB, 0xFC, 0xF9, 0xFA, 0xFF,
    0x5C, 0xF7, 0x53, 0x54, 0x55, 0x56, 0x57, 0x58, 0x59, 0x5A, 0xB2, 0xD4, 0xD6, 0xD2, 0xD3, 0xD5,
    0x30, 0x31, 0x32, 0x33, 0x34, 0x35, 0x36, 0x37, 0x38, 0x39, 0xB3, 0xDB, 0xDC, 0xD9, 0xDA, 0x9F,
];

/// Decode EBCDIC bytes as IBM-1047, as lines without trailing blanks.
fn decode_ebcdic(bytes: &[u8]) -> Result<Decoded, DecodeError> {
    let has_line_ends = bytes.iter().any(|&b| is_ebcdic_line_end(b));
    let records = if has_line_ends {
        None
    } else if bytes.len() <= RECORD {
        // One record, or a single line without its line end.
        (bytes.len() == RECORD).then_some(1)
    } else if bytes.len().is_multiple_of(RECORD) {
        Some(bytes.len() / RECORD)
    } else {
        return Err(DecodeError::Ebcdic);
    };
    let lines: Vec<&[u8]> = if has_line_ends {
        let mut v: Vec<&[u8]> = bytes.split(|&b| is_ebcdic_line_end(b)).collect();
        // A final line end does not start a new line.
        if v.last().is_some_and(|l| l.is_empty()) {
            v.pop();
        }
        v
    } else {
        bytes.chunks(RECORD).collect()
    };
    let mut text = String::with_capacity(bytes.len() + lines.len());
    for line in lines {
        // Trailing blanks (0x40) and a CR (0x0D) before the line end go.
        let end = line
            .iter()
            .rposition(|&b| !matches!(b, 0x40 | 0x0D))
            .map_or(0, |i| i + 1);
        let kept = line.get(..end).unwrap_or(&[]);
        text.extend(kept.iter().map(|&b| char::from(ebcdic_to_latin1(b))));
        text.push('\n');
    }
    Ok(Decoded {
        text,
        latin1: false,
        ebcdic: true,
        records,
    })
}

fn ebcdic_to_latin1(b: u8) -> u8 {
    IBM1047[usize::from(b)]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_col_counts_characters() {
        let f = SourceFile::new("x", "ab\r\n¬cd\nlast");
        assert_eq!(f.line_col(0), LineCol { line: 1, column: 1 });
        let off = f.text().find('c').unwrap();
        assert_eq!(f.line_col(off), LineCol { line: 2, column: 2 });
        assert_eq!(f.line_range(0), 0..2);
        assert_eq!(f.line_count(), 3);
        assert_eq!(f.line_col(usize::MAX).line, 3);
    }

    #[test]
    fn decode_kinds() {
        assert_eq!(decode(b"HOME\n").unwrap().text, "HOME\n");
        assert!(
            !decode("\u{feff}A".as_bytes())
                .unwrap()
                .text
                .starts_with('\u{feff}')
        );
        let latin = decode(b"\xAC VALUE\n").unwrap();
        assert!(latin.latin1 && !latin.ebcdic);
        assert_eq!(latin.text, "\u{ac} VALUE\n");
        assert_eq!(decode(b"\x7fELF\x02\x01\x01\x00"), Err(DecodeError::Binary));
        assert_eq!(decode(b""), Ok(plain("")));
    }

    fn plain(text: &str) -> Decoded {
        Decoded {
            text: text.to_owned(),
            latin1: false,
            ebcdic: false,
            records: None,
        }
    }

    /// ISO-8859-1 text to IBM-1047 through the inverse of the table.
    fn to_ebcdic(text: &str) -> Vec<u8> {
        let mut inverse = [0u8; 256];
        for (e, &l) in IBM1047.iter().enumerate() {
            inverse[usize::from(l)] = u8::try_from(e).unwrap();
        }
        text.chars()
            .map(|c| inverse[usize::try_from(u32::from(c)).unwrap()])
            .collect()
    }

    /// A member as fixed 80-byte EBCDIC records without line ends.
    fn records(lines: &[&str]) -> Vec<u8> {
        lines
            .iter()
            .flat_map(|l| {
                assert!(l.chars().count() <= 80);
                to_ebcdic(&format!("{l:<80}"))
            })
            .collect()
    }

    #[test]
    fn ibm1047_is_a_bijection_onto_latin1() {
        let mut seen = [false; 256];
        for &l in &IBM1047 {
            assert!(!seen[usize::from(l)], "{l:#04x} twice");
            seen[usize::from(l)] = true;
        }
        assert!(seen.iter().all(|&s| s));
        // Characters of parmlib members and profiles, from IBM's IBM-1047
        // code page chart.
        for (e, c) in [
            (0x40, ' '),
            (0xC1, 'A'),
            (0xE9, 'Z'),
            (0x81, 'a'),
            (0xA9, 'z'),
            (0xF0, '0'),
            (0xF9, '9'),
            (0x4B, '.'),
            (0x4D, '('),
            (0x5D, ')'),
            (0x6B, ','),
            (0x7D, '\''),
            (0x61, '/'),
            (0x5C, '*'),
            (0x6D, '_'),
            (0x50, '&'),
            (0x5E, ';'),
            (0x7E, '='),
            (0x7A, ':'),
            (0x7C, '@'),
            (0x7B, '#'),
            (0x5B, '$'),
            (0x4A, '¢'),
            (0xB0, '¬'),
            (0x5F, '^'),
            (0xAD, '['),
            (0xBD, ']'),
            (0x25, '\n'),
            (0x15, '\u{85}'),
        ] {
            assert_eq!(char::from(ebcdic_to_latin1(e)), c, "{e:#04x}");
        }
    }

    #[test]
    fn latin1_text_is_read_as_latin1_not_as_ebcdic() {
        // A member edited on a Latin-1 workstation: ¬, ¢ and é as single bytes.
        let member = b"/* IZUPRM0A - ge\xe4ndert: \xac SYSB, co\xfbt \xa2, caf\xe9 */\n\
            HOSTNAME('zosmf.example.com')\n\
            KEYRING_NAME('IZUKeyring.IZUDFLT') /* cl\xe9 */\n\
            USER_DIR('/global/zosmf/sysa')\n";
        let d = decode(member).unwrap();
        assert!(d.latin1 && !d.ebcdic, "{d:?}");
        assert!(
            d.text
                .starts_with("/* IZUPRM0A - geändert: ¬ SYSB, coût ¢, café */\n")
        );
        assert_eq!(d.notice().as_deref(), Some("not UTF-8; read as ISO-8859-1"));
        // A profile with a French comment full of accented letters, which
        // fall in the ranges of EBCDIC letters.
        let profile = b"; \xe9\xe9\xe0\xe8\xe9\xe7\xe9\xe8\xe0\xe9\xe9 \xc9\xc9\xc8\xc7\n\
            VIPADYNAMIC\n  VIPADEFINE 255.255.255.0 10.1.1.10\nENDVIPADYNAMIC\n";
        let d = decode(profile).unwrap();
        assert!(d.latin1 && !d.ebcdic, "{d:?}");
        // A banner of accented capitals: nearly every byte is in the range
        // of EBCDIC letters (0xC9 is EBCDIC `I`), but ASCII line ends and
        // blanks show it is not EBCDIC.
        let mut banner = b"/* ".to_vec();
        banner.extend([0xC9; 66]);
        banner.extend_from_slice(b" */\nAUTOSTART(LOCAL)\n");
        let d = decode(&banner).unwrap();
        assert!(d.latin1 && !d.ebcdic, "{d:?}");
        assert!(d.text.ends_with(" */\nAUTOSTART(LOCAL)\n"));
        // UTF-8 without a blank is not taken for EBCDIC either.
        let cjk = "設定設定設定設定設定設定設定設定設定設定設定設定".as_bytes();
        assert_eq!(decode(cjk), Ok(plain(std::str::from_utf8(cjk).unwrap())));
        let mail = "a@b.c@d@e@f@g@h@i@j".as_bytes();
        assert!(!decode(mail).unwrap().ebcdic);
    }

    #[test]
    fn ebcdic_fixed_records_are_decoded_into_lines() {
        let bytes = records(&[
            "/* IZUPRM0A */",
            "AUTOSTART(LOCAL) AUTOSTART_GROUP('IZUDFLA')",
            "",
            "HOSTNAME('zosmf.example.com')                                           00000400",
            "KEYRING_NAME('IZUKeyring.IZUDFLT') /* ¬ ¢ */",
        ]);
        assert_eq!(bytes.len(), 400);
        // Nothing in it is an ASCII blank or line feed.
        assert!(!bytes.iter().any(|&b| b == b' ' || b == b'\n'));
        let d = decode(&bytes).unwrap();
        assert_eq!(
            d.text,
            "/* IZUPRM0A */\n\
             AUTOSTART(LOCAL) AUTOSTART_GROUP('IZUDFLA')\n\
             \n\
             HOSTNAME('zosmf.example.com')                                           00000400\n\
             KEYRING_NAME('IZUKeyring.IZUDFLT') /* ¬ ¢ */\n"
        );
        assert!(d.ebcdic && !d.latin1);
        assert_eq!(d.records, Some(5));
        assert_eq!(
            d.notice().as_deref(),
            Some(
                "decoded from IBM-1047 (EBCDIC): 5 fixed 80-byte records without line ends, a binary transfer"
            )
        );
        // One record: "VIPADYNAMIC" padded with EBCDIC blanks.
        let mut e = vec![
            0xE5, 0xC9, 0xD7, 0xC1, 0xC4, 0xE8, 0xD5, 0xC1, 0xD4, 0xC9, 0xC3,
        ];
        e.extend([0x40; 69]);
        let d = decode(&e).unwrap();
        assert_eq!((d.text.as_str(), d.records), ("VIPADYNAMIC\n", Some(1)));
        // Blank records only: blank lines, not an error.
        assert_eq!(decode(&[0x40; 160]).unwrap().text, "\n\n");
    }

    #[test]
    fn ebcdic_with_line_ends_is_decoded_line_by_line() {
        let lines = [
            "; PROFILE.TCPIP",
            "VIPADYNAMIC",
            "  VIPADEFINE 255.255.255.0 10.1.1.10   ",
            "ENDVIPADYNAMIC",
        ];
        let want =
            "; PROFILE.TCPIP\nVIPADYNAMIC\n  VIPADEFINE 255.255.255.0 10.1.1.10\nENDVIPADYNAMIC\n";
        // NL (0x15), as z/OS UNIX writes text files, LF (0x25), and CR LF.
        for end in [&[0x15][..], &[0x25], &[0x0D, 0x25]] {
            let mut bytes = Vec::new();
            for l in lines {
                bytes.extend(to_ebcdic(l));
                bytes.extend_from_slice(end);
            }
            let d = decode(&bytes).unwrap();
            assert_eq!(d.text, want, "{end:x?}");
            assert!(d.ebcdic);
            assert_eq!(d.records, None);
        }
        // Short lines without blanks are still recognized by their line ends.
        let mut bytes = to_ebcdic("AUTOSTART(LOCAL)\u{85}SERVER_PROC(IZUSVRA)");
        assert!(bytes.contains(&0x15));
        bytes.push(0x15);
        assert_eq!(
            decode(&bytes).unwrap().text,
            "AUTOSTART(LOCAL)\nSERVER_PROC(IZUSVRA)\n"
        );
    }

    #[test]
    fn ebcdic_without_records_or_line_ends_is_refused() {
        let mut bytes = records(&["AUTOSTART(LOCAL)", "HOSTNAME('x')"]);
        bytes.extend(to_ebcdic("SERVER_PROC(X)  "));
        assert_eq!(decode(&bytes), Err(DecodeError::Ebcdic));
        let help = DecodeError::Ebcdic.help("IZUPRM0A");
        assert!(
            help.contains("iconv -f IBM-1047 -t ISO-8859-1 IZUPRM0A | dd conv=unblock cbs=80"),
            "{help}"
        );
        // A single line shorter than a record is one line.
        let d = decode(&to_ebcdic("AUTOSTART(LOCAL) HTTP_SSL_PORT(443)")).unwrap();
        assert_eq!(
            (d.text.as_str(), d.records),
            ("AUTOSTART(LOCAL) HTTP_SSL_PORT(443)\n", None)
        );
    }

    #[test]
    fn decode_never_panics() {
        // A small generator of byte strings, mostly EBCDIC blanks and letters
        // with some junk, so that every path of `decode` is taken.
        let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
        let mut ebcdic = 0;
        for len in 0..600 {
            let mut bytes = Vec::with_capacity(len);
            for _ in 0..len {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                let b = x.to_le_bytes()[1];
                bytes.push(match x % 16 {
                    0..=6 => 0x40,
                    7..=13 => 0xC1 + b % 9,
                    14 => [0x15, 0x25, 0x0D, 0x20][usize::from(b % 4)],
                    _ => b,
                });
            }
            for input in [&bytes[..], &bytes[..len / 80 * 80]] {
                if decode(input).is_ok_and(|d| d.ebcdic) {
                    ebcdic += 1;
                }
            }
        }
        assert!(ebcdic > 100, "{ebcdic}");
    }
}
