// This Source Code Form is subject to the terms of the Mozilla Public
// License, v. 2.0. If a copy of the MPL was not distributed with this
// file, You can obtain one at http://mozilla.org/MPL/2.0/.

//! The desktop app's own preferences: `desktop.json` in the profile
//! directory.
//!
//! They are read before the profile is unlocked (the window's size and the
//! theme are needed for the first frame), so the file is plain JSON and
//! holds nothing about the user's contacts or messages: only looks, window
//! size, notification choices and whether the profile key is in the OS
//! keyring. What names a contact (the last open conversation) is kept in the
//! encrypted store instead (see `profile.rs`).

use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::screen::ready::conversation::encryption::Choice;

const FILE: &str = "desktop.json";

/// Light, dark, or whatever the system uses.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ThemeChoice {
    /// Follow the system's colour scheme.
    #[default]
    System,
    /// Always light.
    Light,
    /// Always dark.
    Dark,
}

impl ThemeChoice {
    /// Every choice, in the order the settings show them.
    pub const ALL: [Self; 3] = [Self::System, Self::Light, Self::Dark];

    /// The iced theme; `None` lets iced follow the system.
    pub fn theme(self) -> Option<iced::Theme> {
        match self {
            Self::System => None,
            Self::Light => Some(iced::Theme::Light),
            Self::Dark => Some(iced::Theme::Dark),
        }
    }
}

impl std::fmt::Display for ThemeChoice {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Self::System => "System",
            Self::Light => "Light",
            Self::Dark => "Dark",
        })
    }
}

/// The size of text (and everything else: the whole UI scales with it).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TextSize {
    /// 90 %.
    Small,
    /// 100 %.
    #[default]
    Normal,
    /// 115 %.
    Large,
    /// 130 %.
    Larger,
}

impl TextSize {
    /// Every size, smallest first.
    pub const ALL: [Self; 4] = [Self::Small, Self::Normal, Self::Large, Self::Larger];

    /// The UI scale factor.
    pub fn scale(self) -> f32 {
        match self {
            Self::Small => 0.9,
            Self::Normal => 1.0,
            Self::Large => 1.15,
            Self::Larger => 1.3,
        }
    }
}

impl std::fmt::Display for TextSize {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Self::Small => "Small",
            Self::Normal => "Normal",
            Self::Large => "Large",
            Self::Larger => "Larger",
        })
    }
}

/// Everything in `desktop.json`. Unknown or missing fields fall back to
/// their defaults, so an old file never stops the app from starting.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Prefs {
    /// Colour scheme.
    pub theme: ThemeChoice,
    /// Text size.
    pub text_size: TextSize,
    /// Show desktop notifications for new messages.
    pub notifications: bool,
    /// Notifications say only "New message": no sender, no text.
    pub private_notifications: bool,
    /// The profile key is in the OS keyring (no passphrase).
    pub keyring: bool,
    /// The encryption of conversations the user has not chosen one for.
    /// Kept in the encrypted store (see `profile.rs`): read from an old
    /// `desktop.json` once, never written there.
    #[serde(skip_serializing)]
    pub default_encryption: Choice,
    /// Window width in logical pixels.
    pub window_width: f32,
    /// Window height in logical pixels.
    pub window_height: f32,
}

impl Default for Prefs {
    fn default() -> Self {
        Self {
            theme: ThemeChoice::System,
            text_size: TextSize::Normal,
            notifications: true,
            private_notifications: false,
            keyring: false,
            default_encryption: Choice::Automatic,
            window_width: 1024.0,
            window_height: 700.0,
        }
    }
}

/// The smallest window the layout works in.
pub const MIN_WINDOW: (f32, f32) = (640.0, 420.0);

impl Prefs {
    /// Reads the preferences of the profile in `dir`; defaults when there is
    /// no file or it cannot be read.
    pub fn load(dir: &Path) -> Self {
        let mut prefs: Self = match std::fs::read_to_string(dir.join(FILE)) {
            Ok(text) => serde_json::from_str(&text).unwrap_or_else(|e| {
                tracing::warn!(error = %e, "ignoring an unreadable {FILE}");
                Self::default()
            }),
            Err(_) => Self::default(),
        };
        prefs.window_width = sane(prefs.window_width, MIN_WINDOW.0, 1024.0);
        prefs.window_height = sane(prefs.window_height, MIN_WINDOW.1, 700.0);
        prefs
    }

    /// Writes the preferences next to the profile. Does nothing when the
    /// profile directory does not exist yet (no profile was created).
    pub fn save(&self, dir: &Path) {
        if !dir.is_dir() {
            return;
        }
        let text = match serde_json::to_string_pretty(self) {
            Ok(text) => text,
            Err(e) => {
                tracing::warn!(error = %e, "serialising the preferences");
                return;
            }
        };
        let tmp = dir.join(format!("{FILE}.tmp"));
        let result =
            std::fs::write(&tmp, text).and_then(|()| std::fs::rename(&tmp, dir.join(FILE)));
        if let Err(e) = result {
            tracing::warn!(error = %e, "saving the preferences");
        }
    }
}

fn sane(value: f32, min: f32, default: f32) -> f32 {
    if value.is_finite() && (min..=16_384.0).contains(&value) {
        value
    } else {
        default
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    #[test]
    fn round_trip_and_fallbacks() {
        let tmp = tempfile::tempdir().unwrap();
        assert_eq!(Prefs::load(tmp.path()), Prefs::default());
        let prefs = Prefs {
            theme: ThemeChoice::Dark,
            text_size: TextSize::Large,
            private_notifications: true,
            window_width: 800.0,
            ..Prefs::default()
        };
        prefs.save(tmp.path());
        assert_eq!(Prefs::load(tmp.path()), prefs);
        // The default encryption is never written to the plaintext file.
        let with_choice = Prefs {
            default_encryption: Choice::Plain,
            ..prefs.clone()
        };
        with_choice.save(tmp.path());
        let text = std::fs::read_to_string(tmp.path().join(FILE)).unwrap();
        assert!(!text.contains("default_encryption"), "{text}");
        assert_eq!(
            Prefs::load(tmp.path()).default_encryption,
            Choice::Automatic
        );
        std::fs::write(
            tmp.path().join(FILE),
            r#"{"theme":"light","window_width":-5}"#,
        )
        .unwrap();
        let loaded = Prefs::load(tmp.path());
        assert_eq!(loaded.theme, ThemeChoice::Light);
        assert!((loaded.window_width - 1024.0).abs() < f32::EPSILON);
        // No profile directory yet: nothing is written.
        let missing = tmp.path().join("none");
        prefs.save(&missing);
        assert!(!missing.exists());
    }
}
