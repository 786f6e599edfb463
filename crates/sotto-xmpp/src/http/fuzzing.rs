// This Source Code Form is subject to the terms of the Mozilla Public
// License, v. 2.0. If a copy of the MPL was not distributed with this
// file, You can obtain one at http://mozilla.org/MPL/2.0/.

//! The download's answer reader over an in-memory answer, for the fuzz
//! targets (cargo feature `fuzzing`). Not an API.

use super::{HttpError, UploadUrl, fetch};

/// Runs the GET exchange against a server whose whole answer is `answer`
/// (the request goes nowhere), refusing bodies over `max_len`; returns the
/// body as the real download would.
pub fn get_answer(answer: &[u8], max_len: u64) -> Result<Vec<u8>, HttpError> {
    let url = UploadUrl::parse("https://upload.example.org/f")?;
    let stream = tokio::io::join(answer, tokio::io::sink());
    // Neither side of the stream ever waits, so no runtime is needed.
    futures::executor::block_on(fetch(stream, &url, max_len, &mut |_, _| {}))
}
