// This Source Code Form is subject to the terms of the Mozilla Public
// License, v. 2.0. If a copy of the MPL was not distributed with this
// file, You can obtain one at http://mozilla.org/MPL/2.0/.

//! Desktop notifications (notify-rust: the freedesktop notification service
//! on Linux and the BSDs, Notification Center on macOS, toasts on Windows).
//!
//! Showing one may block on D-Bus, so it runs on a blocking thread. A
//! failure is logged without the notification's content.

/// What a notification says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Note {
    /// The title.
    pub summary: String,
    /// The text.
    pub body: String,
}

/// The notification for a new message. `private` leaves out who wrote and
/// what; a file link shows as its name, never with its key (notification
/// daemons keep what they show).
pub fn for_message(sender: &str, text: &str, private: bool) -> Note {
    if private {
        return Note {
            summary: "Sotto".into(),
            body: "New message".into(),
        };
    }
    const MAX: usize = 200;
    let text = sotto_core::shown_outside(text);
    let text = text.as_str();
    let mut body: String = text.chars().take(MAX).collect();
    if text.chars().count() > MAX {
        body.push('…');
    }
    Note {
        summary: sender.to_owned(),
        body,
    }
}

/// Shows a notification; never fails the caller.
pub async fn show(note: Note) {
    let result = tokio::task::spawn_blocking(move || {
        notify_rust::Notification::new()
            .appname("Sotto")
            .summary(&note.summary)
            .body(&note.body)
            .show()
            .map(|_| ())
    })
    .await;
    match result {
        Ok(Ok(())) => {}
        Ok(Err(e)) => tracing::warn!(error = %e, "showing a desktop notification"),
        Err(e) => tracing::warn!(error = %e, "the notification thread failed"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn private_notes_say_nothing() {
        let note = for_message("Bob", "the launch code is 1234", true);
        assert!(!note.summary.contains("Bob") && !note.body.contains("1234"));
        let note = for_message("Bob", &"x".repeat(500), false);
        assert_eq!(note.summary, "Bob");
        assert_eq!(note.body.chars().count(), 201);
    }

    #[test]
    fn a_file_key_never_reaches_the_notification_daemon() {
        let key = "k".repeat(88);
        let note = for_message(
            "Bob",
            &format!("aesgcm://up.example.org/a/b/holiday.jpg#{key}"),
            false,
        );
        assert_eq!(note.body, "File: holiday.jpg");
        let note = for_message("Bob", &format!("see aesgcm://h/x.pdf#{key} now"), false);
        assert!(!note.body.contains(&key), "{}", note.body);
    }
}
