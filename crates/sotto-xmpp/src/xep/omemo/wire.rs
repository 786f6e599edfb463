// This Source Code Form is subject to the terms of the Mozilla Public
// License, v. 2.0. If a copy of the MPL was not distributed with this
// file, You can obtain one at http://mozilla.org/MPL/2.0/.

//! Small, panic-free helpers shared by both namespaces' parsers.

use base64::Engine as _;
use base64::engine::{DecodePaddingMode, GeneralPurpose, GeneralPurposeConfig};
use xmpp_parsers::minidom::Element;

/// Why an OMEMO element could not be parsed or built.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum WireError {
    /// Not the element expected here.
    #[error("expected an OMEMO <{expected}> element, found {found}")]
    WrongElement {
        /// What was expected.
        expected: &'static str,
        /// What was there (name and namespace).
        found: String,
    },
    /// A required child is missing.
    #[error("OMEMO <{element}> lacks <{child}>")]
    MissingChild {
        /// The parent.
        element: &'static str,
        /// The missing child.
        child: &'static str,
    },
    /// A required attribute is missing.
    #[error("OMEMO <{element}> lacks the {attribute} attribute")]
    MissingAttribute {
        /// The element.
        element: &'static str,
        /// The attribute.
        attribute: &'static str,
    },
    /// An attribute has a value we cannot use.
    #[error("OMEMO <{element}> has an invalid {attribute} attribute")]
    BadAttribute {
        /// The element.
        element: &'static str,
        /// The attribute.
        attribute: &'static str,
    },
    /// Element text is not base64, or is empty where data is required.
    #[error("OMEMO <{0}> does not hold base64 data")]
    BadBase64(&'static str),
    /// Something the namespace cannot express was asked to be built.
    #[error("cannot build OMEMO {namespace} element: {reason}")]
    Unrepresentable {
        /// The namespace.
        namespace: &'static str,
        /// What is missing.
        reason: &'static str,
    },
}

/// Standard alphabet; padding optional (some clients strip it) and ASCII
/// whitespace ignored (some wrap long values).
const B64: GeneralPurpose = GeneralPurpose::new(
    &base64::alphabet::STANDARD,
    GeneralPurposeConfig::new().with_decode_padding_mode(DecodePaddingMode::Indifferent),
);

pub(super) fn encode(data: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(data)
}

/// Decodes the element's text; empty data is an error.
pub(super) fn decode(element: &Element, name: &'static str) -> Result<Vec<u8>, WireError> {
    let text: String = element
        .text()
        .chars()
        .filter(|c| !c.is_ascii_whitespace())
        .collect();
    match B64.decode(text.as_bytes()) {
        Ok(data) if !data.is_empty() => Ok(data),
        _ => Err(WireError::BadBase64(name)),
    }
}

/// `name` and namespace of an element, for error messages (no content).
pub(super) fn describe(element: &Element) -> String {
    format!("<{}> in {:?}", element.name(), element.ns())
}

/// Checks name and namespace.
pub(super) fn expect(element: &Element, name: &'static str, ns: &str) -> Result<(), WireError> {
    if element.is(name, ns) {
        Ok(())
    } else {
        Err(WireError::WrongElement {
            expected: name,
            found: describe(element),
        })
    }
}

/// The single required child `name`.
pub(super) fn child<'a>(
    element: &'a Element,
    parent: &'static str,
    name: &'static str,
    ns: &str,
) -> Result<&'a Element, WireError> {
    element.get_child(name, ns).ok_or(WireError::MissingChild {
        element: parent,
        child: name,
    })
}

/// A required u32 attribute.
pub(super) fn u32_attr(
    element: &Element,
    name: &'static str,
    attribute: &'static str,
) -> Result<u32, WireError> {
    let value = element.attr(attribute).ok_or(WireError::MissingAttribute {
        element: name,
        attribute,
    })?;
    value.trim().parse().map_err(|_| WireError::BadAttribute {
        element: name,
        attribute,
    })
}

/// A device id: a u32 other than 0.
pub(super) fn device_id(
    element: &Element,
    name: &'static str,
    attribute: &'static str,
) -> Result<u32, WireError> {
    match u32_attr(element, name, attribute)? {
        0 => Err(WireError::BadAttribute {
            element: name,
            attribute,
        }),
        id => Ok(id),
    }
}

/// An XML boolean attribute (`true`/`1`); absent means false.
pub(super) fn bool_attr(
    element: &Element,
    name: &'static str,
    attribute: &'static str,
) -> Result<bool, WireError> {
    match element.attr(attribute).map(str::trim) {
        None | Some("false") | Some("0") => Ok(false),
        Some("true") | Some("1") => Ok(true),
        Some(_) => Err(WireError::BadAttribute {
            element: name,
            attribute,
        }),
    }
}

/// An element with text content.
pub(super) fn text_element(name: &str, ns: &str, data: &[u8]) -> Element {
    Element::builder(name, ns).append(encode(data)).build()
}
