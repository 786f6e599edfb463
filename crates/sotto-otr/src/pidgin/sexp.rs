// This Source Code Form is subject to the terms of the Mozilla Public
// License, v. 2.0. If a copy of the MPL was not distributed with this
// file, You can obtain one at http://mozilla.org/MPL/2.0/.

//! A reader for libgcrypt S-expressions in the forms libotr writes (advanced
//! format): lists, tokens, "quoted strings", #hex#, |base64| and the
//! canonical `len:bytes`.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;

use crate::Error;

const FILE: &str = "otr.private_key";

/// An S-expression. No `Debug`: atoms hold key material.
pub(super) enum Sexp {
    Atom(Vec<u8>),
    List(Vec<Sexp>, usize),
}

impl Sexp {
    /// For a list whose first element is the atom `name`: its other elements.
    pub(super) fn tagged(&self, name: &str) -> Option<&[Sexp]> {
        match self {
            Sexp::List(items, _) => match items.first() {
                Some(Sexp::Atom(a)) if a == name.as_bytes() => Some(&items[1..]),
                _ => None,
            },
            Sexp::Atom(_) => None,
        }
    }

    /// The first sub-list tagged `name`.
    pub(super) fn find<'a>(items: &'a [Sexp], name: &str) -> Option<&'a [Sexp]> {
        items.iter().find_map(|s| s.tagged(name))
    }

    pub(super) fn line(&self) -> usize {
        match self {
            Sexp::List(_, line) => *line,
            Sexp::Atom(_) => 0,
        }
    }
}

struct Parser<'a> {
    s: &'a [u8],
    pos: usize,
    line: usize,
}

fn err(line: usize, what: &'static str) -> Error {
    Error::Import {
        file: FILE,
        line,
        what,
    }
}

/// Parses all top-level expressions of `data` (bytes: libgcrypt writes
/// "quoted strings" with raw bytes 0xa1..0xff, so the file need not be UTF-8).
pub(super) fn parse(data: &[u8]) -> Result<Vec<Sexp>, Error> {
    let mut p = Parser {
        s: data,
        pos: 0,
        line: 1,
    };
    let mut out = Vec::new();
    loop {
        p.skip_space();
        if p.pos >= p.s.len() {
            return Ok(out);
        }
        out.push(p.expr(0)?);
    }
}

impl Parser<'_> {
    fn skip_space(&mut self) {
        while let Some(&c) = self.s.get(self.pos) {
            if c == b'\n' {
                self.line += 1;
            }
            if !c.is_ascii_whitespace() {
                break;
            }
            self.pos += 1;
        }
    }

    fn expr(&mut self, depth: usize) -> Result<Sexp, Error> {
        if depth > 32 {
            return Err(err(self.line, "nested too deeply"));
        }
        self.skip_space();
        let Some(&c) = self.s.get(self.pos) else {
            return Err(err(self.line, "unexpected end of file"));
        };
        match c {
            b'(' => {
                let line = self.line;
                self.pos += 1;
                let mut items = Vec::new();
                loop {
                    self.skip_space();
                    match self.s.get(self.pos) {
                        None => return Err(err(self.line, "unclosed parenthesis")),
                        Some(b')') => {
                            self.pos += 1;
                            return Ok(Sexp::List(items, line));
                        }
                        Some(_) => items.push(self.expr(depth + 1)?),
                    }
                }
            }
            b')' => Err(err(self.line, "unexpected ')'")),
            b'"' => self.quoted(),
            b'#' => {
                let body = self.delimited(b'#')?;
                let digits: Vec<u8> = body
                    .iter()
                    .copied()
                    .filter(|c| !c.is_ascii_whitespace())
                    .collect();
                if !digits.len().is_multiple_of(2) {
                    return Err(err(self.line, "odd number of hex digits"));
                }
                digits
                    .chunks(2)
                    .map(|pair| {
                        std::str::from_utf8(pair)
                            .ok()
                            .and_then(|s| u8::from_str_radix(s, 16).ok())
                            .ok_or(err(self.line, "bad hex digit"))
                    })
                    .collect::<Result<Vec<u8>, _>>()
                    .map(Sexp::Atom)
            }
            b'|' => {
                let body = self.delimited(b'|')?;
                let b64: Vec<u8> = body
                    .iter()
                    .copied()
                    .filter(|c| !c.is_ascii_whitespace())
                    .collect();
                STANDARD
                    .decode(b64)
                    .map(Sexp::Atom)
                    .map_err(|_| err(self.line, "bad base64"))
            }
            _ => self.token(),
        }
    }

    /// The bytes up to the closing `delim` (the opening one at `pos`).
    fn delimited(&mut self, delim: u8) -> Result<Vec<u8>, Error> {
        let start = self.pos + 1;
        let len = self.s[start..]
            .iter()
            .position(|&c| c == delim)
            .ok_or(err(self.line, "unterminated atom"))?;
        let body = self.s[start..start + len].to_vec();
        self.line += body.iter().filter(|&&c| c == b'\n').count();
        self.pos = start + len + 1;
        Ok(body)
    }

    fn quoted(&mut self) -> Result<Sexp, Error> {
        self.pos += 1;
        let mut out = Vec::new();
        loop {
            let Some(&c) = self.s.get(self.pos) else {
                return Err(err(self.line, "unterminated string"));
            };
            self.pos += 1;
            match c {
                b'"' => return Ok(Sexp::Atom(out)),
                b'\\' => self.escape(&mut out)?,
                b'\n' => {
                    self.line += 1;
                    out.push(c);
                }
                _ => out.push(c),
            }
        }
    }

    /// One escape in a quoted string, as libgcrypt writes and reads them:
    /// `\b \t \v \n \f \r \" \' \\`, `\xHH`, `\ooo` and line continuations.
    fn escape(&mut self, out: &mut Vec<u8>) -> Result<(), Error> {
        let Some(&e) = self.s.get(self.pos) else {
            return Err(err(self.line, "unterminated string"));
        };
        self.pos += 1;
        let byte = match e {
            b'b' => 0x08,
            b't' => b'\t',
            b'v' => 0x0b,
            b'n' => b'\n',
            b'f' => 0x0c,
            b'r' => b'\r',
            b'x' => self.number(2, 16)?,
            b'0'..=b'7' => {
                self.pos -= 1;
                self.number(3, 8)?
            }
            b'\n' => {
                self.line += 1;
                // A continuation; "\\\n\r" counts as one.
                if self.s.get(self.pos) == Some(&b'\r') {
                    self.pos += 1;
                }
                return Ok(());
            }
            b'\r' => {
                if self.s.get(self.pos) == Some(&b'\n') {
                    self.pos += 1;
                    self.line += 1;
                }
                return Ok(());
            }
            other => other,
        };
        out.push(byte);
        Ok(())
    }

    /// `len` digits in `radix` at the current position, as a byte.
    fn number(&mut self, len: usize, radix: u32) -> Result<u8, Error> {
        let digits = self
            .s
            .get(self.pos..self.pos + len)
            .and_then(|d| std::str::from_utf8(d).ok())
            .and_then(|d| u8::from_str_radix(d, radix).ok())
            .ok_or(err(self.line, "bad escape in a string"))?;
        self.pos += len;
        Ok(digits)
    }

    fn token(&mut self) -> Result<Sexp, Error> {
        let start = self.pos;
        while let Some(&c) = self.s.get(self.pos) {
            if c.is_ascii_whitespace() || matches!(c, b'(' | b')' | b'"' | b'#' | b'|') {
                break;
            }
            // Canonical form: a decimal length, ':', then that many bytes.
            if c == b':'
                && self.pos > start
                && self.s[start..self.pos].iter().all(u8::is_ascii_digit)
            {
                let len: usize = std::str::from_utf8(&self.s[start..self.pos])
                    .ok()
                    .and_then(|n| n.parse().ok())
                    .ok_or(err(self.line, "bad length prefix"))?;
                let from = self.pos + 1;
                let bytes = self
                    .s
                    .get(from..from.saturating_add(len))
                    .ok_or(err(self.line, "length prefix past the end"))?;
                self.pos = from + len;
                return Ok(Sexp::Atom(bytes.to_vec()));
            }
            self.pos += 1;
        }
        if self.pos == start {
            return Err(err(self.line, "unexpected character"));
        }
        Ok(Sexp::Atom(self.s[start..self.pos].to_vec()))
    }
}
