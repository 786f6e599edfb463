// This Source Code Form is subject to the terms of the Mozilla Public
// License, v. 2.0. If a copy of the MPL was not distributed with this
// file, You can obtain one at http://mozilla.org/MPL/2.0/.

//! OTR's binary encodings (BYTE, SHORT, INT, MPI, DATA, CTR, MAC) and the
//! `?OTR:<base64>.` armour.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use num_bigint::BigUint;

use crate::Error;

/// Upper bound for any length field we accept, so a forged length cannot make
/// us allocate much. No OTR field is near this.
const MAX_FIELD: usize = 1 << 20;

/// Builds an OTR binary message.
#[derive(Debug, Default)]
pub(crate) struct Writer {
    buf: Vec<u8>,
}

impl Writer {
    pub(crate) fn new() -> Self {
        Self::default()
    }

    pub(crate) fn byte(&mut self, v: u8) -> &mut Self {
        self.buf.push(v);
        self
    }

    pub(crate) fn short(&mut self, v: u16) -> &mut Self {
        self.buf.extend_from_slice(&v.to_be_bytes());
        self
    }

    pub(crate) fn int(&mut self, v: u32) -> &mut Self {
        self.buf.extend_from_slice(&v.to_be_bytes());
        self
    }

    pub(crate) fn raw(&mut self, v: &[u8]) -> &mut Self {
        self.buf.extend_from_slice(v);
        self
    }

    pub(crate) fn data(&mut self, v: &[u8]) -> &mut Self {
        // Lengths we write are all far below 4 GiB.
        self.int(u32::try_from(v.len()).unwrap_or(u32::MAX));
        self.raw(v)
    }

    pub(crate) fn mpi(&mut self, v: &BigUint) -> &mut Self {
        let bytes = mpi_bytes(v);
        self.data(&bytes)
    }

    pub(crate) fn as_slice(&self) -> &[u8] {
        &self.buf
    }

    pub(crate) fn finish(self) -> Vec<u8> {
        self.buf
    }
}

/// The minimal big-endian bytes of an MPI (zero is the empty string).
pub(crate) fn mpi_bytes(v: &BigUint) -> Vec<u8> {
    if v.bits() == 0 {
        Vec::new()
    } else {
        v.to_bytes_be()
    }
}

/// The MPI encoding (length and bytes) of a number.
pub(crate) fn mpi_encoded(v: &BigUint) -> Vec<u8> {
    let mut w = Writer::new();
    w.mpi(v);
    w.finish()
}

/// Reads an OTR binary message; every read says what it was reading.
#[derive(Debug)]
pub(crate) struct Reader<'a> {
    buf: &'a [u8],
    pos: usize,
}

impl<'a> Reader<'a> {
    pub(crate) fn new(buf: &'a [u8]) -> Self {
        Self { buf, pos: 0 }
    }

    pub(crate) fn position(&self) -> usize {
        self.pos
    }

    pub(crate) fn remaining(&self) -> usize {
        self.buf.len() - self.pos
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.remaining() == 0
    }

    pub(crate) fn take(&mut self, n: usize, what: &'static str) -> Result<&'a [u8], Error> {
        if self.remaining() < n {
            return Err(Error::Truncated { what });
        }
        let s = &self.buf[self.pos..self.pos + n];
        self.pos += n;
        Ok(s)
    }

    pub(crate) fn array<const N: usize>(&mut self, what: &'static str) -> Result<[u8; N], Error> {
        let s = self.take(N, what)?;
        let mut out = [0u8; N];
        out.copy_from_slice(s);
        Ok(out)
    }

    pub(crate) fn byte(&mut self, what: &'static str) -> Result<u8, Error> {
        Ok(self.array::<1>(what)?[0])
    }

    pub(crate) fn short(&mut self, what: &'static str) -> Result<u16, Error> {
        Ok(u16::from_be_bytes(self.array(what)?))
    }

    pub(crate) fn int(&mut self, what: &'static str) -> Result<u32, Error> {
        Ok(u32::from_be_bytes(self.array(what)?))
    }

    pub(crate) fn data(&mut self, what: &'static str) -> Result<&'a [u8], Error> {
        let len = self.int(what)? as usize;
        if len > MAX_FIELD {
            return Err(Error::Malformed { what });
        }
        self.take(len, what)
    }

    pub(crate) fn mpi(&mut self, what: &'static str) -> Result<BigUint, Error> {
        Ok(BigUint::from_bytes_be(self.data(what)?))
    }

    pub(crate) fn rest(&mut self) -> &'a [u8] {
        let s = &self.buf[self.pos..];
        self.pos = self.buf.len();
        s
    }

    pub(crate) fn consumed(&self) -> &'a [u8] {
        &self.buf[..self.pos]
    }

    pub(crate) fn end(&self, what: &'static str) -> Result<(), Error> {
        if self.is_empty() {
            Ok(())
        } else {
            Err(Error::Malformed { what })
        }
    }
}

/// `?OTR:` + base64 + `.`
pub(crate) fn armour(bytes: &[u8]) -> String {
    format!("?OTR:{}.", STANDARD.encode(bytes))
}

/// The bytes inside an `?OTR:...` message (the prefix already removed). Text
/// after the terminating `.` is ignored, as libotr does.
pub(crate) fn dearmour(body: &str) -> Result<Vec<u8>, Error> {
    let end = body.find('.').ok_or(Error::Truncated {
        what: "an encoded OTR message",
    })?;
    let b64: String = body[..end].chars().filter(|c| !c.is_whitespace()).collect();
    STANDARD.decode(b64.as_bytes()).map_err(|_| Error::Base64)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn mpi_round_trip_and_minimal() {
        let v = BigUint::from(0x0102u32);
        let enc = mpi_encoded(&v);
        assert_eq!(enc, [0, 0, 0, 2, 1, 2]);
        assert_eq!(Reader::new(&enc).mpi("x").unwrap(), v);
        assert_eq!(mpi_encoded(&BigUint::from(0u8)), [0, 0, 0, 0]);
    }

    #[test]
    fn truncated_reads_fail() {
        let mut r = Reader::new(&[0, 0, 0, 9, 1]);
        assert_eq!(r.data("x"), Err(Error::Truncated { what: "x" }));
        let mut r = Reader::new(&[0xff, 0xff, 0xff, 0xff]);
        assert!(r.data("x").is_err());
    }

    #[test]
    fn armour_round_trip() {
        let s = armour(&[1, 2, 3, 250]);
        assert!(s.starts_with("?OTR:") && s.ends_with('.'));
        assert_eq!(dearmour(&s[5..]).unwrap(), [1, 2, 3, 250]);
        assert_eq!(dearmour("!!!."), Err(Error::Base64));
        assert!(dearmour("AAAA").is_err());
    }
}
