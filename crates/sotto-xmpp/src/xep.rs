// This Source Code Form is subject to the terms of the Mozilla Public
// License, v. 2.0. If a copy of the MPL was not distributed with this
// file, You can obtain one at http://mozilla.org/MPL/2.0/.

//! One module per protocol extension: parsing and building its stanzas.
//! Nothing here does I/O.

pub mod aesgcm;
pub mod bookmarks;
pub mod disco;
pub mod mam;
pub mod message;
pub mod muc;
pub mod omemo;
pub mod pep;
pub mod presence;
pub mod register;
pub mod roster;
pub mod sce;
