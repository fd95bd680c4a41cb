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
}

/// Bytes that cannot be read as configuration text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DecodeError {
    /// Mostly EBCDIC blanks (0x40) and EBCDIC letters: a file transferred in binary.
    Ebcdic,
    /// NUL bytes or many control characters.
    Binary,
}

/// Decode configuration text as SPEC §2 says: UTF-8 (a byte-order mark is
/// dropped); EBCDIC-looking input and binary input are refused; any other
/// non-UTF-8 input is read as ISO-8859-1 (`¬` and `¢` occur in z/OS files).
pub fn decode(bytes: &[u8]) -> Result<Decoded, DecodeError> {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    if looks_binary(bytes) {
        return Err(DecodeError::Binary);
    }
    match std::str::from_utf8(bytes) {
        Ok(s) => Ok(Decoded {
            text: s.to_owned(),
            latin1: false,
        }),
        Err(_) => {
            if looks_ebcdic(bytes) {
                return Err(DecodeError::Ebcdic);
            }
            Ok(Decoded {
                text: bytes.iter().map(|&b| char::from(b)).collect(),
                latin1: true,
            })
        }
    }
}

fn looks_binary(bytes: &[u8]) -> bool {
    if bytes.contains(&0) {
        return true;
    }
    let controls = bytes
        .iter()
        .filter(|&&b| b < 0x20 && !matches!(b, b'\t' | b'\n' | b'\r' | 0x0c))
        .count();
    controls * 10 > bytes.len()
}

fn looks_ebcdic(bytes: &[u8]) -> bool {
    // EBCDIC text is mostly blanks (0x40) and letters and digits in the
    // ranges 0x81-0xA9, 0xC1-0xE9, 0xF0-0xF9; ASCII text has few of those.
    let ebcdic = bytes
        .iter()
        .filter(|&&b| matches!(b, 0x40 | 0x81..=0xA9 | 0xC1..=0xE9 | 0xF0..=0xF9))
        .count();
    ebcdic * 10 >= bytes.len() * 6
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
        assert!(latin.latin1);
        assert_eq!(latin.text, "\u{ac} VALUE\n");
        // "VIPADYNAMIC" in EBCDIC followed by blanks.
        let mut e = vec![
            0xE5, 0xC9, 0xD7, 0xC1, 0xC4, 0xE8, 0xD5, 0xC1, 0xD4, 0xC9, 0xC3,
        ];
        e.extend([0x40; 69]);
        assert_eq!(decode(&e), Err(DecodeError::Ebcdic));
        assert_eq!(decode(b"\x7fELF\x02\x01\x01\x00"), Err(DecodeError::Binary));
    }
}
