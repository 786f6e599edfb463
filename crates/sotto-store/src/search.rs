// This Source Code Form is subject to the terms of the Mozilla Public
// License, v. 2.0. If a copy of the MPL was not distributed with this
// file, You can obtain one at http://mozilla.org/MPL/2.0/.

//! Turning user search text into a safe FTS5 query, and the matching rule
//! the in-memory store mirrors.

/// Splits text into lower-cased tokens the way FTS5's `unicode61` tokenizer
/// (with `remove_diacritics 0`) does: maximal runs of letters and digits.
pub(crate) fn tokens(text: &str) -> Vec<String> {
    text.split(|c: char| !c.is_alphanumeric())
        .filter(|t| !t.is_empty())
        .map(str::to_lowercase)
        .collect()
}

/// The words of a search: each whitespace-separated word becomes the token
/// sequence it must match as a phrase. Words without any token are dropped.
pub(crate) fn query_words(text: &str) -> Vec<Vec<String>> {
    text.split_whitespace()
        .map(tokens)
        .filter(|t| !t.is_empty())
        .collect()
}

/// FTS5 MATCH expression: every word as a quoted phrase, implicitly ANDed.
/// Only tokens are put between the quotes, and quotes are doubled anyway, so
/// no user text is ever parsed as FTS5 syntax. `None` when nothing is
/// searchable.
pub(crate) fn fts_query(text: &str) -> Option<String> {
    let words = query_words(text);
    if words.is_empty() {
        return None;
    }
    let phrases: Vec<String> = words
        .iter()
        .map(|w| format!("\"{}\"", w.join(" ").replace('"', "\"\"")))
        .collect();
    Some(phrases.join(" "))
}

/// Whether `body` matches the search words (the in-memory mirror of FTS5).
pub(crate) fn matches(body: &str, words: &[Vec<String>]) -> bool {
    let body = tokens(body);
    words.iter().all(|phrase| {
        body.windows(phrase.len())
            .any(|window| window == phrase.as_slice())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hostile_text_becomes_plain_phrases() {
        assert_eq!(fts_query("\"foo AND ("), Some("\"foo\" \"and\"".to_owned()));
        assert_eq!(
            fts_query("a-b NEAR(c)"),
            Some("\"a b\" \"near c\"".to_owned())
        );
        assert_eq!(fts_query(" ( ) \" * ^ "), None);
        assert_eq!(fts_query(""), None);
    }

    #[test]
    fn phrase_matching() {
        let w = query_words("Grüße münchen");
        assert!(matches("Viele GRÜSSE aus München, grüße!", &w));
        assert!(!matches("Gruesse aus Muenchen", &w));
        assert!(matches("x a b y", &query_words("a-b")));
        assert!(!matches("b a", &query_words("a-b")));
    }
}
